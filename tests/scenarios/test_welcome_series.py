"""Welcome series (1) with the registration confirmation (7), end to end: Shopify
customers/create, the generic API's Signed Up and Shopify orders → the journey under the
virtual clock → SES."""

from __future__ import annotations

import copy
from datetime import UTC, timedelta
from email.header import decode_header, make_header
from email.utils import parsedate_to_datetime

from tests.conftest import POSTAL_ADDRESS, START, STORE_ID, iso, load_event

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
MARTA = "706405506930370084"  # tests/events/shopify_customers_create.json
OLENA = "603851970716743426"  # tests/events/shopify_orders_create.json

CONFIRMATION = "Your Encore demo store account is ready"
WELCOME = "Welcome to Encore demo store: 10% off your next order"
BEST_SELLERS = "The Encore demo store favourites everyone is buying"
EXPIRY_REMINDER = "Your 10% welcome code expires on November 9, 2026"

CATALOGUE = [
    {"product_id": "linen-shirt", "title": "Linen shirt", "category": "shirts", "price_cents": 4900, "url": "https://shop.example/p/linen-shirt"},
    {"product_id": "canvas-tote", "title": "Canvas tote", "category": "bags", "price_cents": 2500, "url": "https://shop.example/p/canvas-tote"},
    {"product_id": "wool-socks", "title": "Wool socks", "category": "socks", "price_cents": 1200, "in_stock": False},
]


def _sent(harness, to: str | None = None) -> list[tuple[str, object]]:
    """(subject, virtual send time) of every email SES accepted, in sending order."""
    return [
        (str(make_header(decode_header(mail["Subject"]))), parsedate_to_datetime(mail["Date"]).astimezone(UTC))
        for mail in harness.emails()
        if to is None or mail["To"] == to
    ]


def _text(mail) -> str:
    return next(part for part in mail.walk() if part.get_content_type() == "text/plain").get_payload(decode=True).decode()


def _journeys(harness) -> list[dict]:
    return harness.stack.executions("WelcomeSeriesStateMachine")


def _only_journey(harness) -> dict:
    journeys = _journeys(harness)
    assert len(journeys) == 1, journeys
    return journeys[0]


def _path(harness, journey) -> list[tuple[str, object]]:
    return harness.states_entered(journey)


def _store_settings(harness, **sections) -> None:
    """Load the store's settings as the operator would (the sender stays the verified one)."""
    from infra.cli.settings import load_settings

    parameters = harness.stack.resolver.parameters
    document = {"sender": f"Encore demo store <hello@{parameters['SenderDomain']}>", "postal_address": POSTAL_ADDRESS, **sections}
    load_settings(STORE_ID, document, prefix=parameters["ParametersPrefix"], force=True)


def _catalogue(harness) -> None:
    from encore.catalogue import import_catalogue
    from encore.models import bind_table

    bind_table(harness.stack.physical("EncoreTable"))
    import_catalogue(STORE_ID, CATALOGUE, imported_at=harness.now())


def _message(harness, customer_id: str, journey: dict, step: str) -> dict | None:
    return harness.item(f"STORE#{STORE_ID}#CUSTOMER#{customer_id}", f"MESSAGE#{journey['name']}#{step}")


def _register(harness, *, webhook_id: str = "customer-create-1", consent: bool = True, **changes):
    """Shopify customers/create for Marta, at the current virtual time."""
    payload = copy.deepcopy(load_event("shopify_customers_create"))
    payload["updated_at"] = payload["created_at"] = iso(harness.now())
    if not consent:
        payload["email_marketing_consent"] = {"state": "not_subscribed", "opt_in_level": None, "consent_updated_at": None}
    payload.update(changes)
    return harness._settled(harness.client.shopify("customers/create", payload, webhook_id=webhook_id))


def _subscribe(harness, *, webhook_id: str, granted: bool = True):
    """Shopify customers/update for Marta: email consent changed now."""
    consent = {"state": "subscribed" if granted else "unsubscribed", "opt_in_level": "single_opt_in", "consent_updated_at": iso(harness.now())}
    return harness.shopify(
        "customers/update", "shopify_customers_update", webhook_id=webhook_id, updated_at=iso(harness.now()), email_marketing_consent=consent
    )


def _signed_up(harness, user_id: str = OLENA):
    payload = copy.deepcopy(load_event("generic_signed_up"))
    payload.update(userId=user_id, timestamp=iso(harness.now()), messageId=f"signed-up-{user_id}")
    reply = harness.client.track(payload)
    harness.clock.settle()
    return reply


def _order_by_marta(harness, *, webhook_id: str, order_id: int):
    customer = copy.deepcopy(load_event("shopify_orders_create")["customer"])
    customer.update(id=int(MARTA), email="marta@example.com", first_name="Marta", last_name="Jonaitė")
    return harness.order(
        webhook_id=webhook_id, id=order_id, name=f"#{order_id}", customer=customer, email="marta@example.com", contact_email="marta@example.com"
    )


def test_registration_is_confirmed_then_welcome_best_sellers_and_the_coupon_expiry_reminder_follow(harness):
    _store_settings(harness, welcome_series={"best_sellers": ["linen-shirt", "wool-socks", "canvas-tote"]})
    _catalogue(harness)
    assert _register(harness).status == 202
    harness.run_until(30 * DAY)

    assert _sent(harness) == [
        (CONFIRMATION, START),
        (WELCOME, START),
        (BEST_SELLERS, START + 2 * DAY),
        (EXPIRY_REMINDER, START + 5 * DAY),
    ]
    confirmation, welcome, best_sellers, reminder = harness.emails()
    assert confirmation["To"] == "marta@example.com"
    assert "List-Unsubscribe" not in confirmation  # transactional
    # The welcome shows the curated best sellers in the store's order, minus the sold-out one.
    assert "Linen shirt: $49.00" in _text(welcome) and "Canvas tote: $25.00" in _text(welcome)
    assert "Wool socks" not in _text(welcome) and "Wool socks" not in _text(best_sellers)
    assert _text(welcome).index("Linen shirt") < _text(welcome).index("Canvas tote")
    # The reminder shows the very code the welcome issued.
    journey = _only_journey(harness)
    code = _message(harness, MARTA, journey, "welcome_1")["coupon_code"]
    assert code in _text(welcome) and code in _text(reminder)
    assert harness.item(f"STORE#{STORE_ID}#COUPON#{code}", "COUPON")["percent_off"] == 10
    assert _message(harness, MARTA, journey, "welcome_3").get("coupon_code") is None  # shown, not issued

    assert journey["status"] == "SUCCEEDED"
    assert _path(harness, journey) == [
        ("Is it a registration?", START),
        ("Send the registration confirmation", START),
        ("Does the customer get the welcome series?", START),
        ("Send the welcome email", START),
        ("Was the welcome email held back?", START),
        ("Did the welcome email go out?", START),
        ("Wait for an order until the best sellers email is due", START),
        ("Send the best sellers email", START + 2 * DAY),
        ("Was the best sellers email held back?", START + 2 * DAY),
        ("Wait for an order until the coupon expiry reminder is due", START + 2 * DAY),
        ("Send the coupon expiry reminder", START + 5 * DAY),
        ("Was the coupon expiry reminder held back?", START + 5 * DAY),
        ("Journey ended after the coupon expiry reminder", START + 5 * DAY),
    ]
    milestone = harness.item(f"STORE#{STORE_ID}#CUSTOMER#{MARTA}", "MILESTONE#welcomed")
    assert milestone["journey"] == journey["name"]


def test_registration_without_marketing_consent_is_confirmed_and_the_welcome_waits_for_a_subscription(harness):
    _register(harness, consent=False)
    harness.run_until(3 * DAY)
    # Transactional: confirmed without consent; the marketing emails are not sent.
    assert _sent(harness) == [(CONFIRMATION, START)]
    (journey,) = _journeys(harness)
    assert journey["name"].endswith("-registration")
    assert [state for state, _ in _path(harness, journey)] == [
        "Is it a registration?",
        "Send the registration confirmation",
        "Does the customer get the welcome series?",
        "Journey ended after the registration confirmation",
    ]

    # Subscribing later welcomes her then, without a second confirmation.
    _subscribe(harness, webhook_id="customer-update-1")
    harness.run_until(10 * DAY)
    assert _sent(harness) == [
        (CONFIRMATION, START),
        ("Welcome to Encore demo store: 10% off your next order", START + 3 * DAY),
        (BEST_SELLERS, START + 5 * DAY),
        ("Your 10% welcome code expires on November 12, 2026", START + 8 * DAY),
    ]
    welcome = next(j for j in _journeys(harness) if j["name"].endswith("-welcome"))
    path = _path(harness, welcome)
    assert path[:2] == [("Is it a registration?", START + 3 * DAY), ("Send the welcome email", START + 3 * DAY)]
    assert path[-1] == ("Journey ended after the coupon expiry reminder", START + 8 * DAY)
    assert len(path) == 11


def test_the_registration_is_confirmed_even_with_the_welcome_series_switched_off(harness):
    _store_settings(harness, welcome_series={"enabled": False})
    _register(harness)
    _order_by_marta(harness, webhook_id="order-marta-1", order_id=1001)  # a first order: no welcome either
    harness.run_until(7 * DAY)
    assert _sent(harness) == [(CONFIRMATION, START), ("Order #1001 confirmed", START)]
    (journey,) = _journeys(harness)
    assert _path(harness, journey)[-1] == ("Journey ended after the registration confirmation", START)


def test_marketing_emails_stop_when_the_customer_unsubscribes_during_the_welcome(harness):
    _register(harness)
    harness.run_until(DAY)
    _subscribe(harness, webhook_id="customer-update-1", granted=False)
    harness.run_until(7 * DAY)

    assert _sent(harness) == [(CONFIRMATION, START), (WELCOME, START)]
    journey = _only_journey(harness)
    for step in ("welcome_2", "welcome_3"):
        message = _message(harness, MARTA, journey, step)
        assert (message["status"], message["reason"]) == ("skipped", "no_marketing_consent")
    assert _path(harness, journey)[-1] == ("Journey ended after the coupon expiry reminder", START + 5 * DAY)


def test_a_sign_up_through_the_api_is_welcomed_and_an_order_in_the_first_wait_ends_the_journey_at_once(harness):
    assert _signed_up(harness).status in (200, 202)
    harness.run_until(DAY + 3 * HOUR)
    harness.order()  # Olena's first order, in the first wait
    harness.run_until(10 * DAY)

    # The sign-up came with the browser's locale (uk-UA): Ukrainian. The Shopify order then
    # names the customer's language as English, and later mail follows it.
    assert _sent(harness) == [
        ("Ваш обліковий запис у магазині Encore demo store готовий", START),
        ("Ласкаво просимо до Encore demo store: знижка 10% на наступне замовлення", START),
        ("Order #1001 confirmed", START + DAY + 3 * HOUR),
    ]
    journey = _only_journey(harness)  # the order did not start a second welcome
    assert journey["status"] == "SUCCEEDED"
    path = _path(harness, journey)
    assert path[-3:] == [
        ("Wait for an order until the best sellers email is due", START),
        ("Why did the first wait end?", START + DAY + 3 * HOUR),
        ("Journey ended because the customer ordered", START + DAY + 3 * HOUR),
    ]
    assert len(path) == 9


def test_an_order_in_the_second_wait_ends_the_journey_before_the_coupon_expiry_reminder(harness):
    _register(harness)
    harness.run_until(4 * DAY)
    _order_by_marta(harness, webhook_id="order-marta-1", order_id=1001)
    harness.run_until(10 * DAY)

    assert _sent(harness) == [
        (CONFIRMATION, START),
        (WELCOME, START),
        (BEST_SELLERS, START + 2 * DAY),
        ("Order #1001 confirmed", START + 4 * DAY),
    ]
    path = _path(harness, _only_journey(harness))
    assert path[-3:] == [
        ("Wait for an order until the coupon expiry reminder is due", START + 2 * DAY),
        ("Why did the second wait end?", START + 4 * DAY),
        ("Journey ended because the customer ordered", START + 4 * DAY),
    ]
    assert len(path) == 12


def test_a_first_order_starts_the_welcome_and_only_a_later_order_ends_it(harness):
    harness.order()  # Olena, subscribed, first order
    harness.run_until(3 * DAY)
    harness.order(webhook_id="order-2", id=820982911946154599, name="#1002")
    harness.run_until(10 * DAY)

    assert _sent(harness) == [
        ("Order #1001 confirmed", START),
        (WELCOME, START),
        (BEST_SELLERS, START + 2 * DAY),
        ("Order #1002 confirmed", START + 3 * DAY),
    ]
    journey = _only_journey(harness)
    assert journey["name"] == f"welcome-series-{STORE_ID}-{OLENA}-welcome"
    path = _path(harness, journey)
    assert path[0] == ("Is it a registration?", START)
    assert path[1] == ("Send the welcome email", START)
    assert path[-1] == ("Journey ended because the customer ordered", START + 3 * DAY)
    assert len(path) == 10


def test_a_customer_is_never_welcomed_twice(harness):
    # A registration and a first order landing together (an account created at checkout)
    # start one welcome, and the registration is confirmed once.
    customer = copy.deepcopy(load_event("shopify_customers_create"))
    order = copy.deepcopy(load_event("shopify_orders_create"))
    order.update(created_at=iso(harness.now()), customer={**order["customer"], "id": int(MARTA)}, email="marta@example.com")
    harness.client.shopify("customers/create", customer, webhook_id="customer-create-1")
    harness.client.shopify("orders/create", order, webhook_id="order-1")
    harness.run_until(8 * DAY)
    assert sorted(_sent(harness)) == sorted(
        [(CONFIRMATION, START), ("Order #1001 confirmed", START), (WELCOME, START), (BEST_SELLERS, START + 2 * DAY), (EXPIRY_REMINDER, START + 5 * DAY)]
    )
    assert len([j for j in _journeys(harness) if j["name"].endswith("-welcome")]) == 1

    # Long after that journey closed (Step Functions would forget its name after 90 days):
    # a new subscription, a repeated registration, and a "first" order again (the first one
    # was cancelled) welcome her no more: the milestone decides.
    harness.run_until(120 * DAY)
    before = len(harness.emails())
    _subscribe(harness, webhook_id="customer-update-later")
    _register(harness, webhook_id="customer-create-again")
    harness.shopify(
        "orders/cancelled", "shopify_orders_cancelled", webhook_id="cancel-1", cancelled_at=iso(harness.now()), updated_at=iso(harness.now()), customer=None
    )
    assert harness.profile(MARTA)["orders_count"] == 0
    _order_by_marta(harness, webhook_id="order-marta-2", order_id=1002)
    assert harness.profile(MARTA)["orders_count"] == 1
    harness.run_until(130 * DAY)
    assert [subject for subject, _ in _sent(harness)[before:]] == ["Order #1002 confirmed"]
    assert len([j for j in _journeys(harness) if j["name"].endswith("-welcome")]) == 1


def test_erasing_the_customer_ends_the_welcome_at_once(harness):
    harness.order()  # Olena's first order welcomes her
    harness.run_until(DAY)
    harness.shopify("customers/redact", "shopify_customers_redact", webhook_id="redact-1")
    harness.run_until(10 * DAY)
    assert [subject for subject, _ in _sent(harness)] == ["Order #1001 confirmed", WELCOME]
    path = _path(harness, _only_journey(harness))
    assert path[-2:] == [("Why did the first wait end?", START + DAY), ("Journey ended because the customer's data was erased", START + DAY)]
    assert len(path) == 7


def test_an_imported_old_registration_welcomes_nobody(harness):
    old = iso(START - 30 * DAY)
    payload = dict(load_event("shopify_customers_create"), created_at=old, updated_at=old)
    payload["email_marketing_consent"] = dict(payload["email_marketing_consent"], consent_updated_at=old)
    harness._settled(harness.client.shopify("customers/create", payload, webhook_id="import-1"))
    harness.run_until(3 * DAY)
    assert _journeys(harness) == [] and harness.emails() == []


def test_welcome_settings_become_waits_and_the_reminder_must_come_before_the_coupon_expires():
    import pytest
    from pydantic import ValidationError

    from encore.stores import StoreSettings

    defaults = StoreSettings(store_id="s", postal_address="1 Main St").welcome_series
    assert defaults.execution_waits() == {"best_sellers_seconds": 2 * 86400, "expiry_reminder_seconds": 3 * 86400}
    assert (defaults.coupon_percent_off, defaults.coupon_valid_days) == (10, 7)
    with pytest.raises(ValidationError, match="before the coupon expires"):
        StoreSettings.from_dict("s", {"postal_address": "1 Main St", "welcome_series": {"coupon_valid_days": 5}})
