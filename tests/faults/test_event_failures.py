"""An event function that fails is retried as Lambda retries an asynchronous invocation (twice,
about 1 and then 2 minutes later), and what still fails lands in the failure queue with the
event and the error (Lambda's on-failure destination record), never silently dropped. A
status webhook that arrives before its order is kept and applied when the order arrives."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest

from infra.local.lambdas import InProcessLambdas
from tests.conftest import START, load_event

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@pytest.fixture
def failing(harness, monkeypatch):
    """``failing(function_logical_id, times)``: that function raises on its next ``times``
    calls (None: always); returns the virtual moments of every call it receives."""
    calls: dict[str, list] = {}
    plan: dict[str, list] = {}
    original = InProcessLambdas._handler

    def _handler(self, spec):
        handler = original(self, spec)
        if spec.name not in plan:
            return handler

        def wrapped(event, context):
            calls[spec.name].append(harness.now())
            remaining = plan[spec.name]
            if remaining[0] is None or remaining[0] > 0:
                if remaining[0] is not None:
                    remaining[0] -= 1
                raise RuntimeError("injected failure")
            return handler(event, context)

        return wrapped

    monkeypatch.setattr(InProcessLambdas, "_handler", _handler)

    def fail(logical: str, times: int | None = None) -> list:
        name = harness.stack.physical(logical)
        plan[name] = [times]
        calls[name] = []
        return calls[name]

    return fail


def _queue(harness, logical: str) -> list[dict]:
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=harness.stack.resolver.physical_name(logical))["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
    return [json.loads(message["Body"]) for message in messages]


@pytest.mark.handler_errors_expected  # the function fails on purpose
def test_an_event_function_that_keeps_failing_is_retried_twice_then_parked_with_its_error(harness, failing):
    calls = failing("CartUpdatedFunction")
    assert harness.checkout().status == 202
    harness.run_until(HOUR)

    # Lambda's asynchronous retries: the first a minute after the failure, the second two
    # minutes after that — virtual time, no sleeping.
    assert calls == [START, START + MINUTE, START + 3 * MINUTE]
    (record,) = _queue(harness, "EventFailuresQueue")
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestContext"]["functionArn"].endswith(f":function:{harness.stack.physical('CartUpdatedFunction')}:$LATEST")
    assert record["requestPayload"]["detail-type"] == "cart_updated"
    assert record["requestPayload"]["detail"]["cart_id"]
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorType"] == "RuntimeError"
    assert record["responsePayload"]["errorMessage"] == "injected failure"
    # The rule's dead-letter queue is for events EventBridge could not deliver: none here.
    assert _queue(harness, "EventDeadLetterQueue") == []


@pytest.mark.handler_errors_expected  # the first call fails on purpose
def test_a_function_that_fails_once_succeeds_on_lambdas_retry_and_the_journey_follows(harness, failing):
    calls = failing("CartUpdatedFunction", times=1)
    assert harness.checkout().status == 202
    harness.run_until(2 * HOUR)

    assert calls == [START, START + MINUTE]
    assert len(harness.journeys()) == 1
    assert any("left something in your cart" in mail["Subject"] for mail in harness.emails("cart-abandonment"))
    assert _queue(harness, "EventFailuresQueue") == [] and _queue(harness, "EventDeadLetterQueue") == []


def test_a_fulfilment_delivered_before_its_order_is_kept_and_applied_when_the_order_arrives(harness):
    fulfilment = dict(load_event("shopify_fulfillments_create"), created_at=harness.now().isoformat(), updated_at=harness.now().isoformat())
    assert harness.client.shopify("fulfillments/create", fulfilment, webhook_id="fulfilment-first").status == 202
    harness.clock.settle()
    harness.run_until(2 * HOUR)  # well past Lambda's retries
    assert harness.order(webhook_id="order-late").status == 202
    harness.run_until(DAY)

    order = load_event("shopify_orders_create")
    item = harness.item(f"STORE#demo-store#CUSTOMER#{order['customer']['id']}", f"ORDER#{order['id']}")
    assert item["fulfilled_at"] is not None
    assert item["tracking_number"] == "1Z2345"
    subjects = [mail["Subject"] for mail in harness.emails("post-purchase")]
    assert f"Your order {order['name']} is on its way" in subjects, subjects
    # Kept, not retried: the status function never failed (the fixture checks every handler).


def test_a_payment_delivered_before_its_order_is_kept_as_the_orders_paid_moment_and_no_payment_reminder_follows(harness):
    # orders/paid carries the customer, so it is applied at once as the order's paid moment
    # (this already held before the fix: shown here, with the fulfilment case above).
    from tests.scenarios.test_unpaid_order import PENDING

    assert harness.shopify("orders/paid", "shopify_orders_paid", webhook_id="paid-first", updated_at=harness.now().isoformat()).status == 202
    harness.run_until(2 * HOUR)
    assert harness.order(webhook_id="order-late", **PENDING).status == 202  # the create payload still says pending
    harness.run_until(3 * DAY)

    order = load_event("shopify_orders_create")
    assert harness.item(f"STORE#demo-store#CUSTOMER#{order['customer']['id']}", f"ORDER#{order['id']}")["paid_at"] is not None
    subjects = [mail["Subject"] for mail in harness.emails("unpaid-order", "post-purchase")]
    assert subjects == [f"Order {order['name']} confirmed"], subjects
