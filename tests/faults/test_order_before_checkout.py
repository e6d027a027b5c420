"""An order delivered before its checkout (or its cart) ends or prevents the cart journey."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import load_event

DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)


def _subjects(harness) -> list[str]:
    return [mail["Subject"] for mail in harness.emails()]


def test_a_shopify_order_delivered_before_its_checkout_starts_no_cart_journey(harness):
    harness.order(webhook_id="order-first")
    harness.run_until(MINUTE)
    harness.checkout(webhook_id="checkout-late")  # the same cart token, delivered after the order
    harness.run_until(5 * DAY)

    assert [journey for journey in harness.journeys() if journey["name"].startswith("cart-abandonment-")] == []
    assert not any("cart" in subject.lower() for subject in _subjects(harness)), _subjects(harness)


def test_a_generic_order_without_a_cart_id_prevents_the_journey_of_a_cart_delivered_after_it(harness):
    added = load_event("generic_product_added")
    order = load_event("generic_order_completed")
    order["properties"].pop("cart_id", None)
    order["timestamp"] = harness.now().isoformat()
    added["timestamp"] = (harness.now() - MINUTE).isoformat()  # the cart changed before the order
    assert harness.client.track(order).status == 202
    harness.clock.settle()
    assert harness.client.track({"batch": [added]}).status == 202
    harness.run_until(5 * DAY)

    assert [journey for journey in harness.journeys() if journey["name"].startswith("cart-abandonment-")] == []
    assert not any("cart" in subject.lower() for subject in _subjects(harness)), _subjects(harness)


def test_a_cart_changed_after_the_order_is_a_new_shopping_trip_and_is_still_reminded(harness):
    added = load_event("generic_product_added")
    order = load_event("generic_order_completed")
    order["properties"].pop("cart_id", None)
    order["timestamp"] = harness.now().isoformat()
    assert harness.client.track(order).status == 202
    harness.run_until(DAY)
    added["timestamp"] = harness.now().isoformat()
    assert harness.client.track({"batch": [added]}).status == 202
    harness.run_until(3 * DAY)
    assert any("left something in your cart" in subject for subject in _subjects(harness)), _subjects(harness)
