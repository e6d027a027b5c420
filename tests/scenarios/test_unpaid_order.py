"""Unpaid order: payment reminders at +1 h and +24 h while the order stays unpaid; paying
or cancelling ends the journey at once."""

from __future__ import annotations

from datetime import UTC, timedelta
from email.utils import parsedate_to_datetime

from tests.conftest import START

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
PENDING = {"financial_status": "pending", "order_status_url": "https://demo-store.myshopify.com/548380009/orders/123456abcd/authenticate?key=abcdefg"}


def _sent(harness) -> list[tuple[str, object]]:
    return [(mail["Subject"], parsedate_to_datetime(mail["Date"]).astimezone(UTC)) for mail in harness.emails("unpaid-order", "post-purchase")]


def _journey(harness) -> dict:
    (journey,) = harness.stack.executions("UnpaidOrderStateMachine")
    return journey


def test_an_unpaid_order_gets_two_payment_reminders_with_the_payment_link(harness):
    harness.order(**PENDING)
    harness.run_until(5 * DAY)
    reminders = [(subject, date) for subject, date in _sent(harness) if "payment" in subject.lower() or "not paid" in subject]
    assert reminders == [
        ("Your order #1001 is waiting for payment", START + HOUR),
        ("Last reminder: order #1001 is not paid yet", START + 24 * HOUR),
    ]
    first = harness.emails("unpaid-order", "post-purchase")[1]
    text = next(part for part in first.walk() if part.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert PENDING["order_status_url"] in text
    assert "Journey ended without a payment" in dict(harness.states_entered(_journey(harness)))


def test_paying_after_the_first_reminder_ends_the_journey_at_once(harness):
    harness.order(**PENDING)
    harness.run_until(3 * HOUR)
    harness.shopify("orders/paid", "shopify_orders_paid", webhook_id="paid-1", updated_at=harness.now().isoformat())
    journey = _journey(harness)
    assert journey["status"] == "SUCCEEDED"
    assert journey["stopDate"].astimezone(UTC) == START + 3 * HOUR
    harness.run_until(5 * DAY)
    assert [subject for subject, _ in _sent(harness)] == ["Order #1001 confirmed", "Your order #1001 is waiting for payment"]


def test_a_cancelled_unpaid_order_gets_no_reminder(harness):
    harness.order(**PENDING)
    harness.run_until(30 * timedelta(minutes=1))
    harness.shopify("orders/cancelled", "shopify_orders_cancelled", webhook_id="c-1", cancelled_at=harness.now().isoformat())
    harness.run_until(5 * DAY)
    assert "Journey ended with the order cancelled" in dict(harness.states_entered(_journey(harness)))
    assert [subject for subject, _ in _sent(harness)] == ["Order #1001 confirmed"]


def test_a_paid_order_starts_no_payment_journey(harness):
    harness.order()  # financial_status "paid" in the sample
    harness.run_until(2 * DAY)
    assert harness.stack.executions("UnpaidOrderStateMachine") == []
