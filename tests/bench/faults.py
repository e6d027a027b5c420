"""Exactly once under faults: the same shoppers, once without faults and once with them.

``python -m tests.bench.faults [--customers N] [--seed S]`` prints the table; the small run is
``tests/faults/test_exactly_once.py``. Each customer abandons a checkout; every other one
orders two hours later (after the first reminder). Faults (``infra.local.faults``) hit the
functions' own AWS calls; what copes is what copes in AWS: the platform re-sends a webhook
answered with an error (Shopify: 8 tries), Step Functions retries a failed task, Lambda
retries an asynchronous invocation twice, and an event whose function stayed down waits in its
on-failure queue until the operator fixes the fault and runs ``encore redrive`` an hour later.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

FAULTS = {
    "ses_throttled": 0.20,
    "ses_response_lost": 0.05,
    "crash_after_send": 0.05,
    "dynamodb_throttled": 0.03,
    "write_applied_then_condition_failed": 0.05,
    "event_function_down": 0.05,
}
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
STORE_ID = "demo-store"
MARKETING_WINDOW = timedelta(days=7)


@dataclass
class Outcome:
    journeys: dict[str, str] = field(default_factory=dict)  # execution name → status
    emails: Counter = field(default_factory=Counter)  # (recipient, subject) → times SES accepted it
    revenue_cents: int = 0
    expected_revenue_cents: int = 0
    over_cap: int = 0
    webhook_retries: int = 0
    injected: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def duplicates(self) -> int:
        return sum(count - 1 for count in self.emails.values() if count > 1)


def _load(name: str) -> dict:
    from tests.conftest import load_event

    return load_event(name)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _post(stack, client, topic: str, payload: dict, webhook_id: str, outcome: Outcome) -> None:
    """Like Shopify: anything but 2xx is sent again, 8 tries in all, minutes apart (a 409 for a
    delivery still in progress is answered again only once that attempt's time is up)."""
    for attempt in range(8):
        reply = client.shopify(topic, payload, webhook_id=webhook_id)
        if 200 <= reply.status < 300:
            return
        outcome.webhook_retries += 1
        stack.clock.run_until(stack.clock.now() + timedelta(minutes=2**attempt))
    raise AssertionError(f"{topic} {webhook_id} refused 8 times: {reply.status} {reply.body}")


def run(stack, client, *, customers: int, seed: int, faults: dict[str, float] | None, meet_each_fault: bool = False) -> Outcome:
    import boto3

    from infra.local.faults import FaultInjector, FaultRates, async_function_names, event_function_names

    outcome = Outcome()
    started = os.times().elapsed  # time.monotonic is the virtual clock's here
    injector = FaultInjector(
        stack.lambdas,
        FaultRates(**(faults or {})),
        seed=seed,
        async_functions=async_function_names(stack),
        event_functions=event_function_names(stack),
        meet_each_fault=meet_each_fault,
    )
    injector.install()
    try:
        orders = []
        for n in range(customers):
            checkout = copy.deepcopy(_load("shopify_checkouts_update"))
            customer_id = 7_000_000 + n
            email = f"shopper{n}@example.com"
            checkout.update(id=9_000_000 + n, token=f"checkout-{n:06d}", cart_token=f"cart-{n:06d}", email=email, updated_at=_iso(stack.clock.now()))
            checkout["customer"].update(id=customer_id, email=email)
            _post(stack, client, "checkouts/update", checkout, f"checkout-{n}", outcome)
            stack.clock.settle()
            if n % 2 == 0:
                orders.append((n, customer_id, email))
        _redrive_an_hour_later(stack, injector, START + timedelta(hours=1))
        stack.clock.run_until(START + timedelta(hours=2))
        for n, customer_id, email in orders:
            order = copy.deepcopy(_load("shopify_orders_create"))
            order.update(id=8_000_000 + n, cart_token=f"cart-{n:06d}", checkout_token=f"checkout-{n:06d}", email=email, created_at=_iso(stack.clock.now()))
            order["customer"].update(id=customer_id, email=email)
            outcome.expected_revenue_cents += round(float(order["total_price"]) * 100)
            _post(stack, client, "orders/create", order, f"order-{n}", outcome)
            stack.clock.settle()
        _redrive_an_hour_later(stack, injector, START + timedelta(hours=3))
        stack.clock.run_until(START + timedelta(days=5))
    finally:
        injector.uninstall()
    outcome.injected = injector.injected
    sfn = boto3.client("stepfunctions")
    for machine in sfn.list_state_machines()["stateMachines"]:
        for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine["stateMachineArn"]):
            outcome.journeys.update({execution["name"]: execution["status"] for execution in page["executions"]})
    for mail in stack.sent_emails():
        outcome.emails[(mail["To"], mail["Subject"])] += 1
    outcome.revenue_cents, outcome.over_cap = _table_figures(stack)
    outcome.seconds = os.times().elapsed - started
    return outcome


def _redrive_an_hour_later(stack, injector, moment: datetime) -> None:
    """The operator, an hour after the events' functions failed: the fault is fixed, then
    ``encore redrive`` puts what the on-failure queues hold back on the bus (the same command
    on the fault-free run finds nothing)."""
    import contextlib
    import io

    from infra.cli import main as encore

    stack.clock.run_until(moment)
    injector.recover_event_functions()
    with contextlib.redirect_stdout(io.StringIO()):
        if encore(["redrive", STORE_ID]) != 0:
            raise AssertionError("encore redrive failed")
    stack.clock.settle()


def _table_figures(stack) -> tuple[int, int]:
    """Revenue in every profile, and customers mailed by more marketing journeys in a window
    than the cap (one) allows, counting every send that may have gone out."""
    import boto3
    from boto3.dynamodb.types import TypeDeserializer

    from encore.messaging import is_marketing

    deserializer = TypeDeserializer()
    items = []
    for page in boto3.client("dynamodb").get_paginator("scan").paginate(TableName=stack.physical("EncoreTable")):
        items.extend({key: deserializer.deserialize(value) for key, value in item.items()} for item in page["Items"])
    revenue = sum(int(item.get("revenue_cents", 0)) for item in items if item["sk"] == "PROFILE")
    marketing: dict[str, list[tuple[str, str]]] = {}
    for item in items:
        if item["sk"].startswith("MESSAGE#") and item.get("status") in ("sent", "claimed", "uncertain") and is_marketing(item["template"]):
            marketing.setdefault(item["pk"], []).append((item.get("sent_at") or item["claimed_at"], item["journey"]))
    over = 0
    for sends in marketing.values():
        sends.sort()
        moments = [(datetime.fromisoformat(at.replace("+0000", "+00:00")), journey) for at, journey in sends]
        if any(other != journey and abs(when - at) < MARKETING_WINDOW for at, journey in moments for when, other in moments):
            over += 1
    return revenue, over


def compare(clean: Outcome, faulted: Outcome) -> dict[str, object]:
    """The figures the issue asks for; every one must be 0 (or True)."""
    return {
        "journeys ending differently": sum(1 for name, status in clean.journeys.items() if faulted.journeys.get(name) != status)
        + sum(1 for name in faulted.journeys if name not in clean.journeys),
        "messages sent (clean / faulted)": f"{sum(clean.emails.values())} / {sum(faulted.emails.values())}",
        "messages missing or extra": sum(((clean.emails - faulted.emails) + (faulted.emails - clean.emails)).values()),
        "duplicates": faulted.duplicates,
        "revenue off by (cents)": faulted.revenue_cents - faulted.expected_revenue_cents,
        "marketing over the cap": faulted.over_cap,
    }


def fresh_stack():
    from infra.local.stack import LocalStack
    from infra.local.store_client import StoreClient

    stack = LocalStack(start=START)
    stack.start()
    credentials = stack.add_store(STORE_ID)
    api = stack.serve_http_api()
    return stack, StoreClient(api.url, credentials)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=60)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args(argv)
    outcomes = {}
    for label, faults in (("without faults", None), ("with faults", FAULTS)):
        stack, client = fresh_stack()
        try:
            outcomes[label] = run(stack, client, customers=args.customers, seed=args.seed, faults=faults)
        finally:
            stack.stop()
    clean, faulted = outcomes["without faults"], outcomes["with faults"]
    print(f"{args.customers} customers, seed {args.seed}; faults: " + ", ".join(f"{name} {rate:.0%}" for name, rate in FAULTS.items()))
    print(f"{'':34}{'without faults':>16}{'with faults':>14}")
    for name, pick in (
        ("journeys", lambda o: len(o.journeys)),
        ("emails accepted by SES", lambda o: sum(o.emails.values())),
        ("revenue (cents)", lambda o: o.revenue_cents),
        ("webhooks re-sent by the platform", lambda o: o.webhook_retries),
        ("wall-clock seconds", lambda o: f"{o.seconds:.0f}"),
    ):
        print(f"{name:34}{pick(clean)!s:>16}{pick(faulted)!s:>14}")
    print("faults injected: " + json.dumps(dict(faulted.injected)))
    figures = compare(clean, faulted)
    for name, value in figures.items():
        print(f"{name:34}{value!s:>30}")
    bad = [name for name, value in figures.items() if name != "messages sent (clean / faulted)" and value != 0]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
