"""Post-purchase (transactional): confirmation at once, shipping notice when the order ships,
delivery notice when it arrives — even for a customer without marketing consent."""

from __future__ import annotations

from datetime import UTC, timedelta
from email.utils import parsedate_to_datetime

from tests.conftest import START, load_event

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def _sent(harness) -> list[tuple[str, object]]:
    return [(mail["Subject"], parsedate_to_datetime(mail["Date"]).astimezone(UTC)) for mail in harness.emails("post-purchase")]


def _post_purchase(harness) -> dict:
    (journey,) = [j for j in harness.stack.executions("PostPurchaseStateMachine")]
    return journey


def _without_consent(**changes) -> dict:
    customer = {
        "id": 603851970716743426,
        "email": "olena@example.com",
        "first_name": "Olena",
        "last_name": "Koval",
        "email_marketing_consent": {"state": "not_subscribed", "opt_in_level": None, "consent_updated_at": None},
    }
    return {"customer": customer, "buyer_accepts_marketing": False, **changes}


def test_confirmation_shipping_and_delivery_notices_follow_the_order_without_marketing_consent(harness):
    assert harness.order(**_without_consent()).status == 202
    harness.run_until(2 * DAY)
    harness.shopify("orders/fulfilled", "shopify_orders_fulfilled", webhook_id="f-1", updated_at=harness.now().isoformat())
    harness.run_until(4 * DAY)
    harness.shopify("fulfillments/update", "shopify_fulfillments_update", webhook_id="f-2", updated_at=harness.now().isoformat())
    harness.run_until(40 * DAY)

    assert _sent(harness) == [
        ("Order #1001 confirmed", START),
        ("Your order #1001 is on its way", START + 2 * DAY),
        ("Your order #1001 has arrived", START + 4 * DAY),
    ]
    shipping = harness.emails("post-purchase")[1]
    text = next(part for part in shipping.walk() if part.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert "https://www.ups.com/WebTracking?loc=en&tracknum=1Z2345" in text
    journey = _post_purchase(harness)
    assert journey["status"] == "SUCCEEDED"
    assert "Journey ended with the order delivered" in dict(harness.states_entered(journey))


def test_a_shipment_reported_before_the_journey_waits_for_it_is_not_missed(harness):
    # Both webhooks land back to back, without letting the journey reach its wait: the
    # fulfilment may arrive before the journey parks, and must be found already happened.
    order = dict(load_event("shopify_orders_create"), created_at=harness.now().isoformat())
    fulfilled = dict(load_event("shopify_orders_fulfilled"), updated_at=harness.now().isoformat())
    harness.client.shopify("orders/create", order, webhook_id="o-1")
    harness.client.shopify("orders/fulfilled", fulfilled, webhook_id="f-1")
    harness.run_until(HOUR)
    assert [subject for subject, _ in _sent(harness)] == [
        "Order #1001 confirmed",
        "Your order #1001 is on its way",
    ]


def test_a_cancelled_order_ends_the_journey_without_more_notices(harness):
    harness.order()
    harness.run_until(3 * HOUR)
    harness.shopify("orders/cancelled", "shopify_orders_cancelled", webhook_id="c-1", cancelled_at=harness.now().isoformat())
    harness.run_until(70 * DAY)
    assert [subject for subject, _ in _sent(harness)] == ["Order #1001 confirmed"]
    assert "Journey ended because the order was cancelled" in dict(harness.states_entered(_post_purchase(harness)))


def test_no_news_of_a_shipment_ends_the_journey_quietly_after_the_wait(harness):
    harness.order()
    harness.run_until(31 * DAY)
    journey = _post_purchase(harness)
    assert journey["status"] == "SUCCEEDED"
    assert dict(harness.states_entered(journey))["Journey ended without news of a shipment"] == START + 30 * DAY


def test_a_historical_order_gets_no_confirmation(harness):
    harness.order(created_at=(START - 3 * DAY).isoformat())
    harness.run_until(HOUR)
    assert harness.stack.executions("PostPurchaseStateMachine") == []
    assert harness.emails() == []
