"""Up-sell end to end: a view (generic API) or an add-to-cart (Shopify checkout) of a product
with a higher tier in the catalogue → the upgrade offer 15 minutes later → a thank-you when
the customer buys the upgrade, else one reminder 2 days later. Browse abandonment runs
alongside for the same customer without either disturbing the other."""

from __future__ import annotations

from datetime import UTC, timedelta
from email.utils import parsedate_to_datetime

from tests.conftest import START, STORE_ID, only_scenarios

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
CUSTOMER = "603851970716743426"  # Olena: the customer of the Shopify checkout and order files
PHONE_64, PHONE_256, PHONE_512 = "7001", "7002", "7003"
CATALOGUE = [
    {"product_id": PHONE_64, "title": "Phone 64 GB", "category": "Phones", "price_cents": 49900, "currency": "USD", "url": "https://shop.example/p/phone-64"},
    # Two higher tiers of the 64 GB phone: the next one up (the cheaper) is offered.
    {"product_id": PHONE_512, "title": "Phone 512 GB", "category": "Phones", "price_cents": 69900, "currency": "USD", "upgrade_of": [PHONE_64, PHONE_256]},
    {
        "product_id": PHONE_256,
        "title": "Phone 256 GB",
        "category": "Phones",
        "price_cents": 59900,
        "currency": "USD",
        "url": "https://shop.example/p/phone-256",
        "upgrade_of": [PHONE_64],
    },
]
JOURNEY = f"up-sell-{STORE_ID}-{CUSTOMER}-{PHONE_64}"
OFFER = "Olena, have you seen Phone 256 GB?"
REMINDER = "Olena, still considering Phone 256 GB?"
THANK_YOU = "Enjoy your Phone 256 GB, Olena!"
OTHERS_OFF = only_scenarios("up_sell", "cart_abandonment", "unpaid_order")


def _setup(harness, *, consent: bool = True, settings: dict | None = None) -> None:
    harness.configure_store(settings if settings is not None else OTHERS_OFF, CATALOGUE)
    traits = {"email": "olena@example.com", "first_name": "Olena", "last_name": "Koval", "accepts_email_marketing": consent}
    assert harness.identify(CUSTOMER, **traits).status == 202


def _view(harness, product_id: str = PHONE_64, *, dwell: int | None = None) -> None:
    assert harness.view(CUSTOMER, product_id, dwell=dwell).status == 202


def _line(product_id: str) -> dict:
    product = next(entry for entry in CATALOGUE if entry["product_id"] == product_id)
    return {"product_id": int(product_id), "title": product["title"], "quantity": 1, "price": f"{product['price_cents'] / 100:.2f}"}


def _emails(harness, subjects=(OFFER, REMINDER, THANK_YOU)) -> list[tuple[str, object]]:
    return [(mail["Subject"], parsedate_to_datetime(mail["Date"]).astimezone(UTC)) for mail in harness.emails() if mail["Subject"] in subjects]


def _journeys(harness) -> list[dict]:
    return harness.stack.executions("UpSellStateMachine")


def _states(harness, journey: dict) -> list[str]:
    return [name for name, _ in harness.states_entered(journey)]


def _text(mail) -> str:
    return next(part for part in mail.walk() if part.get_content_type() == "text/plain").get_payload(decode=True).decode()


def test_a_viewed_product_with_an_upgrade_gets_the_offer_after_15_minutes_and_one_reminder_2_days_later(harness):
    _setup(harness)
    _view(harness)
    harness.run_until(HOUR)
    _view(harness)  # once per customer and product
    harness.run_until(5 * DAY)

    assert _emails(harness) == [(OFFER, START + 15 * MINUTE), (REMINDER, START + 15 * MINUTE + 2 * DAY)]
    offer = next(mail for mail in harness.emails() if mail["Subject"] == OFFER)
    assert [line for line in _text(offer).splitlines() if line.startswith("- ")] == [
        "- Phone 256 GB: $599.00 https://shop.example/p/phone-256?utm_source=encore&utm_medium=email&utm_campaign=up-sell&utm_content=up_sell_offer"
    ]
    (journey,) = _journeys(harness)
    assert journey["name"] == JOURNEY and journey["status"] == "SUCCEEDED"
    assert _states(harness, journey) == [
        "Wait for an order of the product or its upgrade until the upgrade offer is due",
        "Send the upgrade offer",
        "Was the upgrade offer held back?",
        "Was the upgrade offer sent?",
        "Wait for an order of the upgrade until the upgrade reminder is due",
        "Send the upgrade reminder",
        "Was the upgrade reminder held back?",
        "Journey ended after the reminder",
    ]


def test_buying_the_upgrade_after_the_offer_gets_a_thank_you_at_once_and_no_reminder(harness):
    _setup(harness)
    _view(harness)
    harness.run_until(3 * HOUR)
    harness.order(line_items=[_line(PHONE_256)])
    harness.run_until(5 * DAY)

    assert _emails(harness) == [(OFFER, START + 15 * MINUTE), (THANK_YOU, START + 3 * HOUR)]
    (journey,) = _journeys(harness)
    assert _states(harness, journey)[-7:] == [
        "Wait for an order of the upgrade until the upgrade reminder is due",
        "Did the order end the wait for the upgrade?",
        "Note whether the order holds the upgrade",
        "Did the customer buy the upgrade?",
        "Send the thank-you for the upgrade",
        "Was the thank-you held back?",
        "Journey ended because the customer bought the upgrade",
    ]


def test_an_add_to_cart_gets_the_offer_and_buying_the_product_itself_afterwards_ends_the_journey_quietly(harness):
    _setup(harness)
    harness.checkout(line_items=[_line(PHONE_64)])
    harness.run_until(3 * HOUR)
    harness.order(line_items=[_line(PHONE_64)])
    harness.run_until(5 * DAY)

    assert _emails(harness) == [(OFFER, START + 15 * MINUTE)]
    (journey,) = _journeys(harness)
    assert journey["stopDate"].astimezone(UTC) == START + 3 * HOUR
    assert _states(harness, journey)[-3:] == [
        "Note whether the order holds the upgrade",
        "Did the customer buy the upgrade?",
        "Journey ended because the customer bought the product without the upgrade",
    ]


def test_an_order_of_the_product_before_the_offer_ends_the_journey_without_one(harness):
    _setup(harness)
    harness.checkout(line_items=[_line(PHONE_64)])
    harness.run_until(10 * MINUTE)
    harness.order(line_items=[_line(PHONE_64)])
    harness.run_until(5 * DAY)

    assert _emails(harness) == []
    (journey,) = _journeys(harness)
    assert _states(harness, journey) == [
        "Wait for an order of the product or its upgrade until the upgrade offer is due",
        "Did the customer order before the offer?",
        "Journey ended because the customer decided before the offer",
    ]


def test_no_offer_when_the_upgrade_is_in_the_cart_or_already_bought(harness):
    _setup(harness)
    harness.checkout(line_items=[_line(PHONE_64), _line(PHONE_512)])  # an upgrade is in the cart already
    harness.run_until(HOUR)
    harness.order(line_items=[_line(PHONE_256)])
    harness.run_until(2 * HOUR)
    _view(harness)
    harness.run_until(3 * DAY)
    assert _journeys(harness) == []
    assert _emails(harness) == []


def test_without_marketing_consent_the_offer_is_skipped_and_the_journey_ends(harness):
    _setup(harness, consent=False)
    _view(harness)
    harness.run_until(5 * DAY)
    assert harness.emails() == []
    (journey,) = _journeys(harness)
    assert _states(harness, journey)[-2:] == ["Was the upgrade offer sent?", "Journey ended because the offer was not sent"]
    (skipped,) = [item for item in harness.table_items() if item["sk"]["S"].startswith(f"MESSAGE#{JOURNEY}#")]
    assert skipped["reason"]["S"] == "no_marketing_consent"


def test_browse_abandonment_and_up_sell_run_side_by_side_for_the_same_customer(harness):
    # Both journeys message the customer: the shared frequency cap is raised so that each
    # journey's own timing is what the test sees.
    others_off = {name: {"enabled": False} for name in ("welcome_series", "cross_sell", "review_request", "education_series", "cart_threshold_nudge")}
    _setup(harness, settings={**others_off, "delivery": {"max_journeys_per_window": 3}})
    _view(harness, dwell=90)  # a long look at a product with an upgrade: both scenarios start
    harness.run_until(20 * MINUTE)
    _view(harness, PHONE_512, dwell=30)  # the visit goes on: browse waits, up-sell is not released
    harness.run_until(4 * HOUR)
    harness.order(line_items=[_line(PHONE_256)])
    harness.run_until(5 * DAY)

    browse_reminder = "Olena, still thinking about Phone 64 GB?"
    assert _emails(harness, (OFFER, REMINDER, THANK_YOU, browse_reminder)) == [
        (OFFER, START + 15 * MINUTE),
        (browse_reminder, START + 20 * MINUTE + 30 * MINUTE + HOUR),
        (THANK_YOU, START + 4 * HOUR),
    ]
    (up_sell,) = _journeys(harness)
    (browse,) = harness.stack.executions("BrowseAbandonmentStateMachine")
    assert up_sell["status"] == browse["status"] == "SUCCEEDED"
    assert up_sell["stopDate"].astimezone(UTC) == browse["stopDate"].astimezone(UTC) == START + 4 * HOUR
    assert _states(harness, up_sell)[-1] == "Journey ended because the customer bought the upgrade"
    assert _states(harness, browse)[:4] == ["Wait for the visit to end", "What did the customer do next?", "Wait for the visit to end", "Is retargeting on?"]
    assert _states(harness, browse)[-1] == "Journey ended because the customer ordered"
    # The browse email shows the viewed phone and, from its category, the other tiers.
    text = _text(next(mail for mail in harness.emails() if mail["Subject"] == browse_reminder))
    assert [line.split(":")[0] for line in text.splitlines() if line.startswith("- ")] == ["- Phone 64 GB", "- Phone 512 GB", "- Phone 256 GB"]
