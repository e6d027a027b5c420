"""Cart threshold nudge end to end: a Shopify checkout just below the free-delivery threshold
($50.00 by default; "just below" is from $37.50) → "add $X more" once the cart has rested
15 minutes, before cart-abandonment reminder 1 and without touching that journey. A change
that reaches the threshold, or an order, ends it without a message."""

from __future__ import annotations

from datetime import UTC, timedelta
from email.utils import parsedate_to_datetime

from encore.journeys import execution_name
from encore.scenarios.cart_threshold_nudge import NAME as CART_THRESHOLD_NUDGE
from tests.conftest import START, STORE_ID, only_scenarios

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
CART_ID = "eeafa272cebfd4b22385bc4b645e762c"  # the cart token of the Shopify checkout and cart files
JOURNEY = execution_name(CART_THRESHOLD_NUDGE, STORE_ID, "603851970716743426", CART_ID)
CART_REMINDER_1 = "Olena, you left something in your cart"
OTHERS_OFF = only_scenarios("cart_threshold_nudge", "cart_abandonment", "unpaid_order")


def _setup(harness) -> None:
    from infra.cli.settings import load_settings

    load_settings(STORE_ID, OTHERS_OFF, force=True)


def _shirts(quantity: int, price: str = "49.00") -> list[dict]:
    return [{"product_id": 632910392, "title": "Linen shirt", "quantity": quantity, "price": price}] if quantity else []


def _cart_update(harness, webhook_id: str, line_items: list[dict]) -> None:
    """Shopify ``carts/update`` of the checkout's cart (linked to Olena by the checkout)."""
    reply = harness.shopify("carts/update", "shopify_carts_update", webhook_id=webhook_id, line_items=line_items, updated_at=harness.now().isoformat())
    assert reply.status == 202


def _sent(harness) -> list[tuple[str, object]]:
    return [(mail["Subject"], parsedate_to_datetime(mail["Date"]).astimezone(UTC)) for mail in harness.emails()]


def _nudges(harness) -> list[tuple[str, object]]:
    return [(subject, date) for subject, date in _sent(harness) if "more for free delivery" in subject]


def _journeys(harness) -> list[dict]:
    return harness.stack.executions("CartThresholdNudgeStateMachine")


def _states(harness, journey: dict) -> list[str]:
    return [name for name, _ in harness.states_entered(journey)]


def _message(harness, step: str) -> dict:
    (item,) = [item for item in harness.table_items() if item["sk"]["S"] == f"MESSAGE#{JOURNEY}#{step}"]
    return item


def test_a_cart_just_below_free_delivery_gets_the_nudge_15_minutes_later_and_cart_reminder_1_still_follows(harness):
    _setup(harness)
    assert harness.checkout(line_items=_shirts(1)).status == 202  # $49.00 of $50.00
    harness.run_until(2 * HOUR)

    assert [(subject, date) for subject, date in _sent(harness) if date <= START + HOUR] == [
        ("Olena, add $1.00 more for free delivery", START + 15 * MINUTE),
        (CART_REMINDER_1, START + HOUR),
    ]
    nudge = harness.emails()[0]
    text = next(part for part in nudge.walk() if part.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert "You are only $1.00 away from free delivery: every order from $50.00 ships free." in text
    assert "- Linen shirt x 1: $49.00" in text
    (journey,) = _journeys(harness)
    assert journey["name"] == JOURNEY and journey["status"] == "SUCCEEDED"
    assert _states(harness, journey) == [
        "Wait for the cart to change or an order until the cart has rested",
        "Send the free-delivery nudge",
        "Was the nudge held back?",
        "Journey ended after the nudge",
    ]
    (cart_journey,) = harness.stack.executions("CartAbandonmentStateMachine")
    assert cart_journey["status"] == "RUNNING"


def test_a_change_that_stays_just_below_waits_again_and_the_nudge_shows_the_new_cart(harness):
    _setup(harness)
    harness.checkout(line_items=_shirts(1))
    harness.run_until(10 * MINUTE)
    _cart_update(harness, "cart-2", _shirts(1, price="45.00"))  # another size, $45.00
    harness.run_until(DAY)

    assert _nudges(harness) == [("Olena, add $5.00 more for free delivery", START + 25 * MINUTE)]
    (journey,) = _journeys(harness)
    assert _states(harness, journey) == [
        "Wait for the cart to change or an order until the cart has rested",
        "What happened to the cart?",
        "Is the cart still just below the threshold?",
        "Wait for the cart to change or an order until the cart has rested",
        "Send the free-delivery nudge",
        "Was the nudge held back?",
        "Journey ended after the nudge",
    ]


def test_no_nudge_once_the_cart_reaches_the_threshold(harness):
    _setup(harness)
    harness.checkout(line_items=_shirts(1))
    harness.run_until(10 * MINUTE)
    _cart_update(harness, "cart-2", _shirts(2))  # $98.00: free delivery reached
    harness.run_until(2 * DAY)

    assert _nudges(harness) == []
    # Cart reminder 1 counts from the cart's last update (issue 12, defect 9).
    assert (CART_REMINDER_1, START + 10 * MINUTE + HOUR) in _sent(harness)
    (journey,) = _journeys(harness)
    assert journey["stopDate"].astimezone(UTC) == START + 10 * MINUTE
    assert _states(harness, journey)[-1] == "Journey ended because the cart reached the threshold"


def test_no_nudge_after_an_order(harness):
    _setup(harness)
    harness.checkout(line_items=_shirts(1))
    harness.run_until(10 * MINUTE)
    harness.order(line_items=_shirts(1))
    harness.run_until(2 * DAY)

    assert _nudges(harness) == []
    (journey,) = _journeys(harness)
    assert journey["stopDate"].astimezone(UTC) == START + 10 * MINUTE
    assert _states(harness, journey) == [
        "Wait for the cart to change or an order until the cart has rested",
        "What happened to the cart?",
        "Journey ended because the customer ordered",
    ]


def test_an_emptied_cart_is_not_nudged(harness):
    # Emptying a cart releases no wait (there is nothing to re-check): the send step finds
    # the cart empty and skips the message.
    _setup(harness)
    harness.checkout(line_items=_shirts(1))
    harness.run_until(5 * MINUTE)
    _cart_update(harness, "cart-2", [])
    harness.run_until(2 * DAY)

    assert _nudges(harness) == []
    assert _message(harness, "nudge")["reason"] == {"S": "cart_empty"}


def test_carts_far_below_or_above_the_threshold_start_no_nudge(harness):
    _setup(harness)
    harness.checkout(line_items=_shirts(1, price="20.00"), webhook_id="checkout-1")
    harness.run_until(5 * MINUTE)
    harness.checkout(line_items=_shirts(2), webhook_id="checkout-2")
    harness.run_until(DAY)
    assert _journeys(harness) == []
    assert _nudges(harness) == []


def test_without_marketing_consent_the_nudge_is_skipped(harness):
    _setup(harness)
    harness.checkout(line_items=_shirts(1), consent=False)
    harness.run_until(DAY)
    assert harness.emails() == []
    assert _message(harness, "nudge")["reason"] == {"S": "no_marketing_consent"}
