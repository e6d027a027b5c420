"""What one abandoned-cart journey costs: AWS requests, DynamoDB writes, state transitions.

    make bench

Counts every botocore API call made in this process (handlers, the Step Functions engine's
own Lambda calls, the local HTTP API's Lambda invoke) while one customer's webhook is
ingested and their journey runs to its end, and prints them per phase. Figures, not
timings: they do not depend on how busy the machine is.
"""

from __future__ import annotations

import json
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta

import botocore.client

from tests.conftest import START, STORE_ID, load_event

DYNAMODB_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


@contextmanager
def counting_requests():
    calls: Counter = Counter()
    original = botocore.client.BaseClient._make_api_call

    def counted(client, operation_name, api_params):
        calls[f"{client.meta.service_model.service_name}:{operation_name}"] += 1
        return original(client, operation_name, api_params)

    botocore.client.BaseClient._make_api_call = counted
    try:
        yield calls
    finally:
        botocore.client.BaseClient._make_api_call = original


def _report(title: str, calls: Counter) -> dict:
    writes = sum(count for name, count in calls.items() if name.split(":")[1] in DYNAMODB_WRITES and name.startswith("dynamodb"))
    print(f"\n{title}: {sum(calls.values())} AWS requests, {writes} DynamoDB writes")
    for name, count in sorted(calls.items()):
        print(f"  {count:3d}  {name}")
    return {"requests": sum(calls.values()), "dynamodb_writes": writes, "calls": dict(calls)}


def main() -> None:
    from infra.local.stack import LocalStack
    from infra.local.store_client import StoreClient

    with LocalStack(start=START) as stack:
        client = StoreClient(stack.serve_http_api().url, stack.add_store(STORE_ID))
        checkout = load_event("shopify_checkouts_update")
        checkout["updated_at"] = START.isoformat()
        figures = {}
        with counting_requests() as calls:
            client.shopify("checkouts/update", checkout, webhook_id="bench-1")
            stack.clock.settle()
        figures["accepted_event"] = _report("One accepted webhook (ingest → bus → cart Lambda → StartExecution)", calls)
        with counting_requests() as calls:
            client.shopify("checkouts/update", checkout, webhook_id="bench-1")
            stack.clock.settle()
        figures["duplicate_event"] = _report("The same webhook again (duplicate)", calls)
        with counting_requests() as calls:
            stack.clock.advance(timedelta(days=11))
        figures["journey"] = _report("The journey: three reminders, then the late-order window", calls)
        order = load_event("shopify_orders_create")
        order["created_at"] = stack.clock.now().isoformat()
        with counting_requests() as calls:
            client.shopify("orders/create", order, webhook_id="bench-order")
            stack.clock.settle()
        figures["order_event"] = _report("One accepted order (after the journey ended)", calls)
        (execution,) = stack.executions("CartAbandonmentStateMachine")
        history = stack.history(execution["executionArn"])
        transitions = sum(1 for event in history if event["type"].endswith("StateEntered"))
        figures["state_transitions"] = transitions
        figures["history_events"] = len(history)
        figures["emails_sent"] = len(stack.sent_emails())
        print(f"\nState transitions: {transitions} ({len(history)} history events), emails sent: {figures['emails_sent']}")
        print(
            json.dumps(
                {k: v for k, v in figures.items() if not isinstance(v, dict)}
                | {k: {"requests": v["requests"], "dynamodb_writes": v["dynamodb_writes"]} for k, v in figures.items() if isinstance(v, dict)}
            )
        )


if __name__ == "__main__":
    main()
