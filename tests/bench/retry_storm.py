"""A Shopify retry storm on the local stack: every webhook delivered 1–9 times, reordered,
re-sent under new webhook ids, parked and redriven, and the archive replayed 48 h later.

``python -m tests.bench.retry_storm [--customers N] [--seed S]`` prints the table (``make
bench-storm``); ``tests/faults/test_retry_storm.py`` runs the same storm with 200 customers
in ``make test`` and asserts every figure.

The storm (one seeded ``random.Random``, so a run is repeatable):
- each customer registers (``customers/create``), opens a checkout (``checkouts/create``) and
  updates it (``checkouts/update``); half of them order (``orders/create`` 20 minutes, 3 hours
  or 30 hours after the checkout: before the first reminder, between the first and second,
  between the second and third) and pay a minute later (``orders/paid``);
- every webhook is sent 1–9 times on Shopify's retry schedule (the first try and up to 8
  retries over 4 hours, an exponential backoff: +1, +3, +7, +15, +31, +63, +127, +241
  minutes). Shopify retries when it got no 2xx within 5 seconds: Encore received the earlier
  tries and Shopify never saw the answer. For a quarter of the webhooks the first tries never
  reach Encore (the network dropped them), so the event first arrives up to 4 hours late;
  for one customer in seven the checkout's tries all arrive after the order's (an order
  before its checkout);
- one webhook in ten is re-sent later by Shopify under a NEW ``X-Shopify-Webhook-Id`` with the
  same ``X-Shopify-Event-Id`` (what Shopify's "resend" does);
- one event in twenty (customers, checkouts, payments) meets an event function that keeps
  failing for 10 minutes to 44 hours (over by 47 h): Lambda's two retries fail too, the event
  waits in the on-failure queue, and the operator runs ``encore redrive --all`` every 6 hours
  up to 48 h;
- at 48 h the operator replays the archive's first 12 hours (``encore replay``).

Orders are never the parked kind: a cart reminder sent while the order function itself is
down is not one "after the order was accepted" by Encore's journeys (they learn of the order
from that function), and Lambda's retries are minutes apart, far shorter than a reminder's wait.
"""

from __future__ import annotations

import argparse
import copy
import heapq
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
STORE_ID = "demo-store"
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
# Shopify: "8 retries over 4 hours" (since 2024-09-10). The intervals are not published: an
# exponential backoff that ends at 4 hours (cumulative minutes after the first try).
SHOPIFY_RETRY_OFFSETS = tuple(timedelta(minutes=m) for m in (0, 1, 3, 7, 15, 31, 63, 127, 241))
ORDER_DELAYS = (20 * MINUTE, 3 * HOUR, 30 * HOUR)  # after the checkout's last update
REDRIVE_TIMES = tuple(hours * HOUR for hours in (6, 12, 18, 24, 30, 36, 42, 48))
REPLAY_AT, REPLAY_WINDOW = 48 * HOUR + 30 * MINUTE, (timedelta(0), 12 * HOUR)
RUN_UNTIL = 8 * 24 * HOUR  # every third reminder (72 h after a late checkout) is out
# Which event function consumes each parked kind (EventBridge detail-type → function).
PARKABLE = {"customer_updated", "cart_updated", "order_paid"}


@dataclass(frozen=True)
class Webhook:
    topic: str
    payload: dict
    event_id: str
    detail_type: str  # the canonical event's type (what a parked function consumes)


@dataclass(order=True)
class Delivery:
    at: datetime
    sequence: int
    webhook: Webhook = field(compare=False)
    webhook_id: str = field(compare=False)


@dataclass
class Shopper:
    number: int
    customer_id: str
    email: str
    cart_token: str
    checkout_at: datetime
    order_at: datetime | None = None
    total_cents: int = 0
    order_accepted_at: datetime | None = None  # the first 2xx for its orders/create
    checkout_first_seen: datetime | None = None


@dataclass
class Storm:
    shoppers: list[Shopper] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    parked_until: dict[str, datetime] = field(default_factory=dict)  # canonical event id → fault ends
    sent_at: dict[str, datetime] = field(default_factory=dict)  # event id → Shopify's first try


@dataclass
class Outcome:
    customers: int = 0
    webhooks: int = 0
    deliveries: int = 0
    resent_under_new_id: int = 0
    late_first_arrivals: int = 0
    orders_before_checkout: int = 0
    parked: int = 0
    redriven: int = 0
    replayed_events: int = 0
    responses: Counter = field(default_factory=Counter)
    journeys: int = 0
    duplicate_journeys: int = 0
    emails: int = 0
    duplicate_emails: int = 0
    cart_reminders: int = 0
    reminders_after_order: list[str] = field(default_factory=list)
    orders_expected: int = 0
    orders_counted: int = 0
    revenue_expected_cents: int = 0
    revenue_cents: int = 0
    lost: list[str] = field(default_factory=list)  # what an accepted event should have left and did not
    abandoned_without_reminder: list[str] = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: float = 0.0

    def failures(self) -> dict[str, object]:
        """Every figure that must be zero (or empty)."""
        return {
            "duplicate journeys": self.duplicate_journeys,
            "duplicate emails": self.duplicate_emails,
            "cart reminders after the order": self.reminders_after_order,
            "orders counted (expected / counted)": 0 if self.orders_counted == self.orders_expected else f"{self.orders_expected} / {self.orders_counted}",
            "revenue off by (cents)": self.revenue_cents - self.revenue_expected_cents,
            "lost events": self.lost,
            "abandoned carts with no reminder": self.abandoned_without_reminder,
            "responses not 2xx": {status: count for status, count in self.responses.items() if not 200 <= status < 300},
        }


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _load(name: str) -> dict:
    from tests.conftest import load_event

    return load_event(name)


def plan(customers: int, seed: int) -> Storm:
    """Who does what when, and every delivery Shopify makes of it (sorted by arrival)."""
    rng = random.Random(seed)
    storm = Storm()
    sequence = 0

    def deliver(webhook: Webhook, at: datetime, *, late_start: datetime | None = None) -> None:
        nonlocal sequence
        tries = rng.randint(1, 9)
        storm.sent_at[webhook.event_id] = at
        times = [at + offset for offset in SHOPIFY_RETRY_OFFSETS[:tries]]
        if late_start is not None:  # every try before this moment failed to reach Encore
            times = [moment for moment in times if moment >= late_start] or [late_start]
        elif tries > 1 and rng.random() < 0.25:
            times = times[rng.randint(1, tries - 1) :]  # the first tries were dropped
        for attempt, moment in enumerate(times):
            sequence += 1
            storm.deliveries.append(Delivery(moment, sequence, webhook, f"{webhook.event_id}-try-{attempt}"))
        if rng.random() < 0.10:  # Shopify's resend: a new webhook id, the same event id
            sequence += 1
            storm.deliveries.append(Delivery(times[0] + rng.uniform(1, 240) * MINUTE, sequence, webhook, f"{webhook.event_id}-resent"))
        if webhook.detail_type in PARKABLE and rng.random() < 0.05:
            # The fault lasts 10 minutes to 44 hours, and is gone before the operator's last
            # redrive (48 h): what is still parked then is lost by the plan, not by Encore.
            ends = times[0] + rng.uniform(10, 44 * 60) * MINUTE
            storm.parked_until[f"{webhook.event_id}:{webhook.topic}"] = min(ends, START + REDRIVE_TIMES[-1] - HOUR)

    for n in range(customers):
        customer_id, email = str(7_100_000 + n), f"storm{n}@example.com"
        registered = START + rng.uniform(0, 240) * MINUTE
        shopper = Shopper(n, customer_id, email, f"storm-cart-{n:05d}", checkout_at=registered + 5 * MINUTE)
        storm.shoppers.append(shopper)

        customer = copy.deepcopy(_load("shopify_customers_create"))
        customer.update(id=int(customer_id), email=email, first_name=f"Shopper{n}", phone=None, created_at=_iso(registered), updated_at=_iso(registered))
        customer["email_marketing_consent"]["consent_updated_at"] = _iso(registered)
        deliver(Webhook("customers/create", customer, f"storm-customer-{n}", "customer_updated"), registered)

        order_before_checkout = False
        if rng.random() < 0.5:
            shopper.order_at = shopper.checkout_at + rng.choice(ORDER_DELAYS)
            order_before_checkout = shopper.order_at - shopper.checkout_at < HOUR and rng.random() < 2 / 7
        checkout_late = shopper.order_at + 2 * MINUTE if order_before_checkout else None

        created = copy.deepcopy(_load("shopify_checkouts_create"))
        created.update(
            id=9_100_000 + n,
            token=f"storm-checkout-{n:05d}",
            cart_token=shopper.cart_token,
            email=email,
            created_at=_iso(shopper.checkout_at - 4 * MINUTE),
            updated_at=_iso(shopper.checkout_at - 4 * MINUTE),
        )
        created["customer"].update(id=int(customer_id), email=email, first_name=f"Shopper{n}")
        updated = copy.deepcopy(created)
        updated["updated_at"] = _iso(shopper.checkout_at)
        deliver(Webhook("checkouts/create", created, f"storm-checkout-create-{n}", "cart_updated"), shopper.checkout_at - 4 * MINUTE, late_start=checkout_late)
        deliver(Webhook("checkouts/update", updated, f"storm-checkout-update-{n}", "cart_updated"), shopper.checkout_at, late_start=checkout_late)

        if shopper.order_at is None:
            continue
        order = copy.deepcopy(_load("shopify_orders_create"))
        shopper.total_cents = rng.randint(1500, 30000)
        order.update(
            id=8_100_000 + n,
            name=f"#S{n}",
            order_number=10_000 + n,
            email=email,
            cart_token=shopper.cart_token,
            checkout_token=created["token"],
            token=f"storm-order-{n}",
            created_at=_iso(shopper.order_at),
            processed_at=_iso(shopper.order_at),
            updated_at=_iso(shopper.order_at),
            total_price=f"{shopper.total_cents / 100:.2f}",
            financial_status="pending",
        )
        order["customer"].update(id=int(customer_id), email=email, first_name=f"Shopper{n}")
        paid = {**copy.deepcopy(order), "financial_status": "paid", "updated_at": _iso(shopper.order_at + MINUTE)}
        deliver(Webhook("orders/create", order, f"storm-order-{n}", "order_placed"), shopper.order_at)
        deliver(Webhook("orders/paid", paid, f"storm-order-paid-{n}", "order_paid"), shopper.order_at + MINUTE)
    storm.deliveries.sort()
    return storm


class _ParkingFault:
    """An event function that fails for one event until its fault ends (a dependency down
    for a while): wraps the in-process Lambda runtime's ``invoke`` as the injected faults do."""

    def __init__(self, lambdas, parked_until: dict[str, datetime], now):
        self.lambdas, self.parked_until, self.now = lambdas, parked_until, now
        self.failed: Counter = Counter()
        self._original = None

    def install(self) -> None:
        self._original = original = self.lambdas.invoke

        def invoke(name, arn, event):
            detail = event.get("detail") if isinstance(event, dict) else None
            event_id = (detail or {}).get("event_id") if isinstance(detail, dict) else None
            ends = self.parked_until.get(event_id) if event_id else None
            if ends is not None and event.get("detail-type") in PARKABLE and self.now() < ends:
                self.failed[event_id] += 1
                return '{"errorType": "RuntimeError", "errorMessage": "injected: a dependency of the function is down"}', True, "RuntimeError: injected"
            return original(name, arn, event)

        self.lambdas.invoke = invoke

    def uninstall(self) -> None:
        if self._original is not None:
            self.lambdas.invoke = self._original


def run(stack, client, *, customers: int, seed: int) -> Outcome:
    """Drive the storm through the stack's HTTP API on the virtual clock; read the outcome."""
    import freezegun.api

    from infra.cli import main as cli

    real_seconds = freezegun.api.real_perf_counter  # time.monotonic is the virtual clock's here
    started, cpu_started = real_seconds(), time.process_time()
    storm = plan(customers, seed)
    outcome = Outcome(customers=customers, deliveries=len(storm.deliveries))
    outcome.webhooks = len({delivery.webhook.event_id for delivery in storm.deliveries})
    outcome.resent_under_new_id = sum(1 for delivery in storm.deliveries if delivery.webhook_id.endswith("-resent"))
    shoppers = {shopper.customer_id: shopper for shopper in storm.shoppers}
    fault = _ParkingFault(stack.lambdas, storm.parked_until, stack.clock.now)
    fault.install()
    # The operator's chores, on the same timeline as the deliveries.
    chores: list[tuple[datetime, int, str]] = [(START + at, 0, "redrive") for at in REDRIVE_TIMES] + [(START + REPLAY_AT, 1, "replay")]
    heapq.heapify(chores)
    first_arrival: dict[str, datetime] = {}
    try:
        for delivery in storm.deliveries:
            while chores and chores[0][0] <= delivery.at:
                _chore(stack, cli, heapq.heappop(chores), outcome)
            stack.clock.run_until(max(delivery.at, stack.clock.now()))
            webhook = delivery.webhook
            reply = client.shopify(webhook.topic, webhook.payload, webhook_id=delivery.webhook_id, event_id=webhook.event_id)
            outcome.responses[reply.status] += 1
            stack.clock.settle()
            if 200 <= reply.status < 300 and webhook.event_id not in first_arrival:
                first_arrival[webhook.event_id] = stack.clock.now()
                if stack.clock.now() - storm.sent_at[webhook.event_id] > MINUTE:
                    outcome.late_first_arrivals += 1
                shopper = shoppers[str(webhook.payload.get("customer", {}).get("id") or webhook.payload["id"])]
                if webhook.topic == "orders/create":
                    shopper.order_accepted_at = stack.clock.now()
                elif webhook.topic.startswith("checkouts/") and shopper.checkout_first_seen is None:
                    shopper.checkout_first_seen = stack.clock.now()
        while chores:
            _chore(stack, cli, heapq.heappop(chores), outcome)
        stack.clock.run_until(START + RUN_UNTIL)
    finally:
        fault.uninstall()
    outcome.parked = len(fault.failed)
    outcome.orders_before_checkout = sum(
        1 for s in storm.shoppers if s.order_accepted_at and s.checkout_first_seen and s.order_accepted_at < s.checkout_first_seen
    )
    _read_outcome(stack, storm, outcome)
    outcome.seconds = real_seconds() - started
    outcome.cpu_seconds = time.process_time() - cpu_started
    return outcome


def _chore(stack, cli, chore: tuple[datetime, int, str], outcome: Outcome) -> None:
    """The operator at the console: ``encore redrive --all`` or ``encore replay``."""
    import contextlib
    import io

    at, _, what = chore
    stack.clock.run_until(max(at, stack.clock.now()))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        if what == "redrive":
            code = cli(["redrive", "--all"])
        else:
            since, until = (START + bound for bound in REPLAY_WINDOW)
            code = cli(["replay", "--since", _iso(since), "--until", _iso(until)])
    if code != 0:
        raise AssertionError(f"encore {what} failed: {out.getvalue()}")
    if what == "redrive":
        outcome.redriven += _redriven_count(out.getvalue())
    else:
        outcome.replayed_events += _archived_events_in(stack, *REPLAY_WINDOW)
    stack.clock.settle()


def _redriven_count(output: str) -> int:
    import re

    return sum(int(count) for count in re.findall(r"redriven (\d+)", output))  # one line per queue


def _archived_events_in(stack, since: timedelta, until: timedelta) -> int:
    from moto.events.models import events_backends

    from infra.local.template import ACCOUNT_ID, REGION

    start, end = (START + since).timestamp(), (START + until).timestamp()
    archives = events_backends[ACCOUNT_ID][REGION].archives.values()
    return sum(1 for archive in archives for event in archive.events if start <= _epoch(event["time"]) < end)


def _epoch(value) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, datetime):
        return value.timestamp()
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def _items(stack) -> list[dict]:
    import boto3
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    items = []
    for page in boto3.client("dynamodb").get_paginator("scan").paginate(TableName=stack.physical("EncoreTable")):
        items.extend({key: deserializer.deserialize(value) for key, value in item.items()} for item in page["Items"])
    return items


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00").replace("+0000", "+00:00"))


def _read_outcome(stack, storm: Storm, outcome: Outcome) -> None:
    items = _items(stack)
    prefix = f"STORE#{STORE_ID}#CUSTOMER#"
    by_customer: dict[str, dict[str, dict]] = {}
    for item in items:
        if item["pk"].startswith(prefix):
            by_customer.setdefault(item["pk"].removeprefix(prefix), {})[item["sk"]] = item

    # Journeys: one cart-abandonment journey per cart at most (names are per cart; a second
    # one under another name would be a duplicate).
    journeys = stack.executions("CartAbandonmentStateMachine")
    outcome.journeys = len(journeys)
    per_customer = Counter(next((s.customer_id for s in storm.shoppers if s.cart_token in j["name"]), j["name"]) for j in journeys)
    outcome.duplicate_journeys = sum(count - 1 for count in per_customer.values() if count > 1)

    # Messages: SES accepted each (recipient, subject) once.
    sent = Counter((mail["To"], mail["Subject"]) for mail in stack.sent_emails())
    outcome.emails = sum(sent.values())
    outcome.duplicate_emails = sum(count - 1 for count in sent.values() if count > 1)

    for shopper in storm.shoppers:
        mine = by_customer.get(shopper.customer_id, {})
        profile = mine.get("PROFILE")
        if profile is None:
            outcome.lost.append(f"{shopper.customer_id}: no profile")
            continue
        if f"CART#{shopper.cart_token}" not in mine:
            outcome.lost.append(f"{shopper.customer_id}: no cart")
        reminders = [
            item
            for sk, item in mine.items()
            if sk.startswith("MESSAGE#cart-abandonment-") and "#reminder_" in sk and item.get("status") in ("sent", "claimed", "uncertain")
        ]
        outcome.cart_reminders += len(reminders)
        if shopper.order_at is None:
            if not reminders:
                outcome.abandoned_without_reminder.append(shopper.customer_id)
            continue
        outcome.orders_expected += 1
        outcome.revenue_expected_cents += shopper.total_cents
        outcome.orders_counted += int(profile.get("orders_count") or 0)
        outcome.revenue_cents += int(profile.get("revenue_cents") or 0)
        order = mine.get(f"ORDER#{8_100_000 + shopper.number}")
        if order is None or order.get("paid_at") is None:
            outcome.lost.append(f"{shopper.customer_id}: order {'not paid' if order else 'missing'}")
        if mine.get(f"CART#{shopper.cart_token}", {}).get("status") != "ordered":
            outcome.lost.append(f"{shopper.customer_id}: cart not closed by its order")
        for reminder in reminders:
            at = _moment(reminder.get("sent_at") or reminder["claimed_at"])
            if shopper.order_accepted_at is None or at >= shopper.order_accepted_at:
                outcome.reminders_after_order.append(f"{shopper.customer_id} {reminder['sk']} at {at:%d %H:%M}, order accepted {shopper.order_accepted_at}")


def fresh_stack(customers_settings: dict | None = None):
    from infra.local.stack import LocalStack
    from infra.local.store_client import StoreClient
    from tests.conftest import only_scenarios

    stack = LocalStack(start=START)
    stack.start()
    credentials = stack.add_store(STORE_ID, {**only_scenarios("cart_abandonment"), **(customers_settings or {})})
    api = stack.serve_http_api()
    return stack, StoreClient(api.url, credentials)


def table(outcome: Outcome, seed: int) -> str:
    rows = [
        ("customers", outcome.customers),
        ("webhooks (distinct events)", outcome.webhooks),
        ("deliveries (tries + resends)", outcome.deliveries),
        ("  re-sent under a new webhook id", outcome.resent_under_new_id),
        ("  first arrival late (dropped tries)", outcome.late_first_arrivals),
        ("  orders before their checkout", outcome.orders_before_checkout),
        ("events parked / redriven from the queues", f"{outcome.parked} / {outcome.redriven}"),
        ("events replayed from the archive", outcome.replayed_events),
        ("cart journeys", outcome.journeys),
        ("emails accepted by SES", outcome.emails),
        ("cart reminders", outcome.cart_reminders),
        ("orders counted / expected", f"{outcome.orders_counted} / {outcome.orders_expected}"),
        ("revenue (cents) counted / expected", f"{outcome.revenue_cents} / {outcome.revenue_expected_cents}"),
        ("seconds (wall / CPU)", f"{outcome.seconds:.0f} / {outcome.cpu_seconds:.0f}"),
    ]
    lines = [f"retry storm, seed {seed}"]
    lines += [f"{name:40}{value!s:>24}" for name, value in rows]
    lines.append("must be zero:")
    for name, value in outcome.failures().items():
        shown = len(value) if isinstance(value, (list, dict)) else value
        lines.append(f"  {name:38}{shown!s:>24}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--seed", type=int, default=48)
    args = parser.parse_args(argv)
    stack, client = fresh_stack()
    try:
        outcome = run(stack, client, customers=args.customers, seed=args.seed)
    finally:
        stack.stop()
    print(table(outcome, args.seed))
    for name, value in outcome.failures().items():
        for entry in (value if isinstance(value, list) else [])[:10]:
            print(f"{name}: {entry}")
    return 1 if any(outcome.failures().values()) else 0


if __name__ == "__main__":
    sys.exit(main())
