"""Education series (9), end to end: Shopify orders → the first purchase in a catalogue
category → three usage and care tips from the store's settings under the virtual clock → SES."""

from __future__ import annotations

import copy
from datetime import UTC, timedelta
from email.utils import parsedate_to_datetime

from tests.conftest import POSTAL_ADDRESS, START, STORE_ID, iso, load_event

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
OLENA = "603851970716743426"  # tests/events/shopify_orders_create.json
LINEN_SHIRT, OXFORD_SHIRT, COFFEE, UMBRELLA = 632910392, 632910393, 632910500, 632910600

CATALOGUE = [
    {"product_id": str(LINEN_SHIRT), "title": "Linen shirt", "category": "shirts", "price_cents": 4900},
    {"product_id": str(OXFORD_SHIRT), "title": "Oxford shirt", "category": "shirts", "price_cents": 5900},
    {"product_id": str(COFFEE), "title": "Single-origin coffee beans", "category": "coffee", "price_cents": 1600},
    {"product_id": str(UMBRELLA), "title": "Travel umbrella", "category": "accessories", "price_cents": 2900},
]
TIPS = {
    "shirts": [
        {
            "title": "Wash your shirt cold, inside out",
            "body": "Cold water keeps the colour and the fit.\n\nTurn it inside out and skip the dryer: hang it to dry.",
        },
        {"title": "Iron it while it is still damp", "body": "A slightly damp shirt irons in half the time, and linen creases far less."},
        {"title": "Store it on a wide hanger", "body": "Wide, shaped hangers keep the shoulders in form; wire hangers leave bumps."},
    ],
    "coffee": [
        {"title": "Keep your beans airtight and dark", "body": "Light, air and moisture make coffee stale: an opaque, airtight jar is best."},
        {"title": "Grind right before you brew", "body": "Ground coffee loses most of its aroma within minutes."},
        {"title": "Start with 1 gram of coffee to 16 of water", "body": "Then adjust: a finer grind for more strength, coarser for less bitterness."},
    ],
}
SHIRT_TIPS = [tip["title"] for tip in TIPS["shirts"]]
COFFEE_TIPS = [tip["title"] for tip in TIPS["coffee"]]


def _sent(harness) -> list[tuple[str, object]]:
    return [(mail["Subject"], parsedate_to_datetime(mail["Date"]).astimezone(UTC)) for mail in harness.emails()]


def _tips_sent(harness) -> list[tuple[str, object]]:
    tips = set(SHIRT_TIPS + COFFEE_TIPS)
    return [(subject, date) for subject, date in _sent(harness) if subject in tips]


def _text(mail) -> str:
    return next(part for part in mail.walk() if part.get_content_type() == "text/plain").get_payload(decode=True).decode().replace("\r\n", "\n")


def _journeys(harness) -> dict[str, dict]:
    """Education journeys by category (the execution name ends with it)."""
    return {journey["name"].rsplit("-", 1)[-1]: journey for journey in harness.stack.executions("EducationSeriesStateMachine")}


def _setup(harness, *, welcome: bool = False, frequency_cap: bool = True) -> None:
    """The store's tips and catalogue. The welcome a first order starts is off unless asked:
    these tests look at the education series. Without the frequency cap (its own tests are
    test_delivery_guards), two journeys show their own timing."""
    from encore.catalogue import import_catalogue
    from encore.models import bind_table
    from infra.cli.settings import load_settings

    parameters = harness.stack.resolver.parameters
    document = {
        "sender": f"Encore demo store <hello@{parameters['SenderDomain']}>",
        "postal_address": POSTAL_ADDRESS,
        "education_series": {"tips": TIPS},
        "welcome_series": {"enabled": welcome},
        **({} if frequency_cap else {"delivery": {"max_journeys_per_window": 5}}),
    }
    load_settings(STORE_ID, document, prefix=parameters["ParametersPrefix"], force=True)
    bind_table(harness.stack.physical("EncoreTable"))
    import_catalogue(STORE_ID, CATALOGUE, imported_at=harness.now())


def _order(harness, order_id: int, *products: int, consent: bool = True, **changes):
    catalogue = {int(entry["product_id"]): entry for entry in CATALOGUE}
    template = load_event("shopify_orders_create")["line_items"][0]
    lines = [
        dict(copy.deepcopy(template), product_id=p, title=catalogue[p]["title"], quantity=1, price=f"{catalogue[p]['price_cents'] / 100:.2f}") for p in products
    ]
    if not consent:
        customer = copy.deepcopy(load_event("shopify_orders_create")["customer"])
        customer["email_marketing_consent"] = {"state": "not_subscribed", "opt_in_level": None, "consent_updated_at": None}
        changes.update(customer=customer, buyer_accepts_marketing=False)
    return harness.order(webhook_id=f"order-{order_id}", id=order_id, name=f"#{order_id}", line_items=lines, **changes)


def _milestone(harness, category: str) -> dict | None:
    return harness.item(f"STORE#{STORE_ID}#CUSTOMER#{OLENA}", f"MILESTONE#first_purchase_in#{category}")


def test_a_first_purchase_in_a_category_gets_its_three_tips_at_2_7_and_14_days(harness):
    _setup(harness)
    assert _order(harness, 1001, LINEN_SHIRT).status == 202
    harness.run_until(15 * DAY)

    assert _sent(harness) == [
        ("Order #1001 confirmed", START),
        ("Wash your shirt cold, inside out", START + 2 * DAY),
        ("Iron it while it is still damp", START + 7 * DAY),
        ("Store it on a wide hanger", START + 14 * DAY),
    ]
    first = _text(harness.emails()[1])
    assert "shirts: tip 1 of 3\n\nWash your shirt cold, inside out" in first
    assert "Cold water keeps the colour and the fit.\n\nTurn it inside out" in first
    assert "List-Unsubscribe" in harness.emails()[1]  # marketing

    journey = _journeys(harness)["shirts"]
    assert journey["name"] == f"education-series-{STORE_ID}-{OLENA}-shirts"
    assert journey["status"] == "SUCCEEDED"
    assert harness.states_entered(journey) == [
        ("Wait until the first tip is due", START),
        ("Send the first tip", START + 2 * DAY),
        ("Was the first tip held back?", START + 2 * DAY),
        ("Wait until the second tip is due", START + 2 * DAY),
        ("Send the second tip", START + 7 * DAY),
        ("Was the second tip held back?", START + 7 * DAY),
        ("Wait until the third tip is due", START + 7 * DAY),
        ("Send the third tip", START + 14 * DAY),
        ("Was the third tip held back?", START + 14 * DAY),
        ("Journey ended after the third tip", START + 14 * DAY),
    ]
    assert _milestone(harness, "shirts")["order_id"] == "1001"


def test_a_second_purchase_in_the_same_category_starts_nothing_nor_does_a_category_without_tips(harness):
    _setup(harness)
    _order(harness, 1001, LINEN_SHIRT)
    harness.run_until(DAY)
    _order(harness, 1002, OXFORD_SHIRT, UMBRELLA)  # shirts again; accessories have no tips
    harness.run_until(15 * DAY)

    assert list(_journeys(harness)) == ["shirts"]
    assert _tips_sent(harness) == [(SHIRT_TIPS[0], START + 2 * DAY), (SHIRT_TIPS[1], START + 7 * DAY), (SHIRT_TIPS[2], START + 14 * DAY)]
    # The first purchase in a category without tips is still recorded: adding tips later
    # does not make the next umbrella a "first".
    assert _milestone(harness, "shirts")["order_id"] == "1001"
    assert _milestone(harness, "accessories")["order_id"] == "1002"


def test_a_first_purchase_in_a_second_category_starts_its_own_series(harness):
    _setup(harness, frequency_cap=False)
    _order(harness, 1001, LINEN_SHIRT)
    harness.run_until(3 * DAY)
    _order(harness, 1002, COFFEE, LINEN_SHIRT)
    harness.run_until(18 * DAY)

    assert _tips_sent(harness) == [
        (SHIRT_TIPS[0], START + 2 * DAY),
        (COFFEE_TIPS[0], START + 5 * DAY),
        (SHIRT_TIPS[1], START + 7 * DAY),
        (COFFEE_TIPS[1], START + 10 * DAY),
        (SHIRT_TIPS[2], START + 14 * DAY),
        (COFFEE_TIPS[2], START + 17 * DAY),
    ]
    journeys = _journeys(harness)
    assert sorted(journeys) == ["coffee", "shirts"]
    assert all(journey["status"] == "SUCCEEDED" for journey in journeys.values())


def test_tips_are_skipped_without_marketing_consent_and_the_series_still_runs_its_course(harness):
    _setup(harness)
    _order(harness, 1001, LINEN_SHIRT, consent=False)
    harness.run_until(15 * DAY)

    assert _sent(harness) == [("Order #1001 confirmed", START)]  # transactional only
    journey = _journeys(harness)["shirts"]
    for number in (1, 2, 3):
        message = harness.item(f"STORE#{STORE_ID}#CUSTOMER#{OLENA}", f"MESSAGE#{journey['name']}#education_tip_{number}")
        assert (message["status"], message["reason"]) == ("skipped", "no_marketing_consent")
    assert harness.states_entered(journey)[-1] == ("Journey ended after the third tip", START + 14 * DAY)


def test_erasing_the_customer_ends_the_series_at_once(harness):
    _setup(harness)
    _order(harness, 1001, LINEN_SHIRT)
    harness.run_until(3 * DAY)
    harness.shopify("customers/redact", "shopify_customers_redact", webhook_id="redact-1")
    harness.run_until(15 * DAY)

    assert _tips_sent(harness) == [(SHIRT_TIPS[0], START + 2 * DAY)]
    path = harness.states_entered(_journeys(harness)["shirts"])
    assert path[-2:] == [
        ("Wait until the second tip is due", START + 2 * DAY),
        ("Journey ended because the customer's data was erased", START + 3 * DAY),
    ]
    assert len(path) == 5


def test_an_imported_old_order_starts_no_series_but_still_counts_as_the_first_purchase(harness):
    _setup(harness)
    _order(harness, 900, LINEN_SHIRT, created_at=iso(START - 60 * DAY))
    _order(harness, 1001, OXFORD_SHIRT)
    harness.run_until(15 * DAY)
    assert _journeys(harness) == {}
    assert _tips_sent(harness) == []
    assert _milestone(harness, "shirts")["order_id"] == "900"


def test_welcome_and_education_run_side_by_side_for_the_same_customer(harness):
    # A first order starts both; the second order ends the welcome (a purchase is its
    # exit) and neither ends the education series nor starts a second one.
    _setup(harness, welcome=True, frequency_cap=False)
    _order(harness, 1001, LINEN_SHIRT)
    harness.run_until(3 * DAY)
    _order(harness, 1002, OXFORD_SHIRT)
    harness.run_until(15 * DAY)

    assert sorted(_sent(harness), key=lambda sent: (sent[1], sent[0])) == [
        ("Order #1001 confirmed", START),
        ("Welcome to Encore demo store: 10% off your next order", START),
        ("The Encore demo store favourites everyone is buying", START + 2 * DAY),
        (SHIRT_TIPS[0], START + 2 * DAY),
        ("Order #1002 confirmed", START + 3 * DAY),
        (SHIRT_TIPS[1], START + 7 * DAY),
        (SHIRT_TIPS[2], START + 14 * DAY),
    ]
    (welcome,) = harness.stack.executions("WelcomeSeriesStateMachine")
    assert harness.states_entered(welcome)[-1] == ("Journey ended because the customer ordered", START + 3 * DAY)
    education = _journeys(harness)
    assert list(education) == ["shirts"]
    assert harness.states_entered(education["shirts"])[-1] == ("Journey ended after the third tip", START + 14 * DAY)


def test_under_the_default_frequency_cap_the_welcome_takes_precedence_over_the_tips(harness):
    # The store's default guards: one journey a week per customer, and the welcome outranks
    # the education series. The first tip is held back (the journey waits and asks again)
    # until the welcome's last email (day 5) leaves the week, then goes out on day 12; the
    # later tips keep their gaps after it.
    _setup(harness, welcome=True)
    _order(harness, 1001, LINEN_SHIRT)
    harness.run_until(30 * DAY)

    assert _tips_sent(harness) == [
        (SHIRT_TIPS[0], START + 12 * DAY),
        (SHIRT_TIPS[1], START + 17 * DAY),
        (SHIRT_TIPS[2], START + 24 * DAY),
    ]
    journey = _journeys(harness)["shirts"]
    first = harness.item(f"STORE#{STORE_ID}#CUSTOMER#{OLENA}", f"MESSAGE#{journey['name']}#education_tip_1")
    assert (first["status"], first["deferred_reason"]) == ("sent", "frequency_cap")
    path = harness.states_entered(journey)
    assert path[:10] == [
        ("Wait until the first tip is due", START),
        ("Send the first tip", START + 2 * DAY),
        ("Was the first tip held back?", START + 2 * DAY),
        ("Wait until the first tip may be sent", START + 2 * DAY),
        ("Send the first tip", START + 9 * DAY),
        ("Was the first tip held back?", START + 9 * DAY),
        ("Wait until the first tip may be sent", START + 9 * DAY),
        ("Send the first tip", START + 12 * DAY),
        ("Was the first tip held back?", START + 12 * DAY),
        ("Wait until the second tip is due", START + 12 * DAY),
    ]
    assert path[-1] == ("Journey ended after the third tip", START + 24 * DAY)


def test_education_settings_gaps_late_orders_and_tips_by_category():
    import pytest
    from pydantic import ValidationError

    from encore.stores import StoreSettings

    settings = StoreSettings.from_dict("s", {"postal_address": "1 Main St", "education_series": {"tips": TIPS}}).education_series
    assert settings.execution_waits() == {"before_tip_1_seconds": 2 * 86400, "before_tip_2_seconds": 5 * 86400, "before_tip_3_seconds": 7 * 86400}
    # An order that reached us 3 hours late keeps its tips at 2, 7 and 14 days after it.
    assert settings.execution_waits(elapsed_seconds=3 * 3600)["before_tip_1_seconds"] == 2 * 86400 - 3 * 3600
    assert settings.tip("coffee", 2).title == COFFEE_TIPS[1]
    assert settings.tip("garden", 1) is None and settings.tip(None, 1) is None
    with pytest.raises(ValidationError):
        StoreSettings.from_dict("s", {"postal_address": "1 Main St", "education_series": {"tips": {"coffee": TIPS["coffee"][:2]}}})  # three tips each
    with pytest.raises(ValidationError):
        StoreSettings.from_dict("s", {"postal_address": "1 Main St", "education_series": {"tip_offsets_days": [7, 2, 14]}})
