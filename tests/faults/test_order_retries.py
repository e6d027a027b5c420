"""Defect 5: every event handler is safe to re-run from any point.

A DynamoDB write that is throttled midway through an order, then the retry, must leave the
same state as a run without the fault; a conditional write that was applied but whose answer
was lost (the SDK's retry then reads ConditionalCheckFailed) must not be taken for a
duplicate, neither at the ingest (the webhook would never be published) nor at the message
claim (the step would never be sent).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from infra.local.faults import FaultInjector, FaultRates, async_function_names
from tests.conftest import STORE_ID

CUSTOMER = "603851970716743426"  # tests/events/shopify_orders_create.json
PRODUCT = "632910392"  # two at 49.00
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}
HOUR = timedelta(hours=1)


class _NthCall:
    """Fails the n-th matching call of one function, once."""

    def __init__(self, function: str, fault: str, n: int, matches):
        self.function, self.fault, self.n, self.matches = function, fault, n, matches
        self.seen = 0
        self.failed: list[tuple[str, dict]] = []

    def __call__(self, function: str, operation: str, params: dict) -> str | None:
        if self.function not in function or not self.matches(operation, params):
            return None
        self.seen += 1
        if self.seen == self.n:
            self.failed.append((operation, params))
            return self.fault
        return None


def _inject(harness, decide) -> FaultInjector:
    return FaultInjector(harness.stack.lambdas, FaultRates(), async_functions=async_function_names(harness.stack), decide=decide).install()


def _executions(harness, logical: str) -> list[dict]:
    return harness.stack.executions(logical)


@pytest.mark.handler_errors_expected  # the throttled invocation fails, Lambda's retry succeeds
@pytest.mark.parametrize("nth_write", [2, 4, 5, 6])
def test_an_order_throttled_at_any_write_then_retried_counts_records_and_starts_everything_once(harness, nth_write):
    harness.checkout()  # a cart journey waits for this order
    harness.run_until(10 * timedelta(minutes=1))
    plan = _NthCall("OrderPlaced", "dynamodb_throttled", nth_write, lambda operation, _: operation in WRITES)
    injector = _inject(harness, plan)
    try:
        harness.order()
    finally:
        injector.uninstall()
    harness.run_until(HOUR)
    assert plan.failed, f"order processing makes fewer than {nth_write} writes"

    profile = harness.profile(CUSTOMER)
    assert (profile["orders_count"], profile["revenue_cents"]) == (1, 9800)
    bought = harness.item(f"STORE#{STORE_ID}#CUSTOMER#{CUSTOMER}", f"PURCHASE#{PRODUCT}")
    assert bought is not None and (bought["quantity"], bought["orders"]) == (2, 1)
    assert len(_executions(harness, "PostPurchaseStateMachine")) == 1
    # Started after the placing transaction, by the same run: a retry after a failure there
    # must still start it (it once returned early, taking the order for a repeated webhook).
    assert len(_executions(harness, "WelcomeSeriesStateMachine")) == 1
    confirmations = [mail for mail in harness.emails("post-purchase")]
    assert len(confirmations) == 1
    (cart_journey,) = harness.journeys()
    assert cart_journey["status"] == "SUCCEEDED"  # the order released it
    assert not any("cart" in mail["Subject"].lower() for mail in harness.emails("cart-abandonment"))


def _processed_event_put(operation: str, params: dict) -> bool:
    return operation == "PutItem" and params.get("Item", {}).get("sk", {}).get("S", "").startswith("EVENT")


def test_a_dedupe_write_applied_but_answered_condition_failed_still_publishes_the_webhook_once(harness):
    plan = _NthCall("Ingest", "write_applied_then_condition_failed", 1, _processed_event_put)
    injector = _inject(harness, plan)
    try:
        reply = harness.checkout()
    finally:
        injector.uninstall()
    assert plan.failed, "the ingest wrote no dedupe record"
    assert reply.status == 202, reply
    assert reply.json["accepted"], reply.json
    assert len(harness.journeys()) == 1  # published: the cart journey started

    again = harness.checkout()  # the platform's own retry of the same delivery
    assert again.json["duplicates"] and not again.json["accepted"]
    harness.run_until(2 * HOUR)
    assert len(harness.journeys()) == 1
    assert len(harness.emails("cart-abandonment")) == 1


def _message_claim(operation: str, params: dict) -> bool:
    return operation == "PutItem" and params.get("Item", {}).get("sk", {}).get("S", "").startswith("MESSAGE#cart-abandonment-")


def test_a_message_claim_applied_but_answered_condition_failed_still_sends_the_step_once(harness):
    harness.checkout()
    plan = _NthCall("SendMessage", "write_applied_then_condition_failed", 1, _message_claim)
    injector = _inject(harness, plan)
    try:
        harness.run_until(2 * HOUR)
    finally:
        injector.uninstall()
    assert plan.failed, "no claim was written"
    reminders = harness.emails("cart-abandonment")
    assert len(reminders) == 1, [mail["Subject"] for mail in reminders]


def test_a_cart_write_applied_but_answered_as_a_failed_condition_still_starts_the_journey(harness):
    """Found by `make bench-faults` (60 customers): the cart's conditional update was applied,
    its answer came back ConditionalCheckFailed, and the checkout was taken for a stale update:
    no journey, no reminders. The cart's own last event id tells the two apart."""

    def is_cart_update(operation: str, params: dict) -> bool:
        return operation == "UpdateItem" and params.get("Key", {}).get("sk", {}).get("S", "").startswith("CART#")

    plan = _NthCall("CartUpdated", "write_applied_then_condition_failed", 1, is_cart_update)
    injector = _inject(harness, plan)
    try:
        harness.checkout()
    finally:
        injector.uninstall()
    assert plan.failed, "the cart's update was not hit"

    harness.run_until(2 * HOUR)
    assert [journey["status"] for journey in harness.journeys()] == ["RUNNING"]
    assert len(harness.emails("cart-abandonment")) == 1  # reminder 1, an hour after the checkout
