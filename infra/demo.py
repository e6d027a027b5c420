"""``make demo``: run a sample store through the whole stack on the local runtime.

Boots the stack from template.yaml on moto under the virtual clock, registers a store,
plans a deterministic sample of shoppers (``infra.sample_store``) over two virtual weeks,
posts their webhooks over HTTP in virtual-time order, runs the clock until every journey
has ended, then prints what happened and writes the evidence (emails, execution
histories, summary.json) under ``--out``.

    TZ=UTC PYTHONPATH=.:layers/common .venv/bin/python -m infra.demo [--seed 7] [--customers 36] [--out out/demo]

Exits non-zero if a journey failed, a Lambda errored, or a customer's journey did not do
what their planned behaviour says it should.
"""

from __future__ import annotations

import time

_PROCESS_STARTED = time.perf_counter()  # before the heavy imports (boto3, moto): they count too

import argparse
import json
import re
import shutil
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from email import message_from_bytes, policy
from email.message import EmailMessage
from functools import cache
from pathlib import Path

import boto3
from boto3.dynamodb.types import TypeDeserializer

from encore.journeys import execution_name
from infra.local.stack import LocalStack
from infra.local.store_client import Reply, StoreClient
from infra.sample_store import (
    BEHAVIOURS,
    DAY,
    GENERIC,
    SHOPIFY,
    STORE_ID,
    PlannedCustomer,
    PlannedEvent,
    planned_events,
    plan_store,
    shopify_cart_update,
    shopify_checkout,
    shopify_order,
    track_order_completed,
    track_product_added,
)

START = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)
STATE_MACHINE = "CartAbandonmentStateMachine"
POST_PURCHASE_STATE_MACHINE = "PostPurchaseStateMachine"
# After the last event every journey must still be able to end: reminder 3 comes 72 h after
# the cart, then the journey listens 7 more days for a late order.
RUN_AFTER_LAST_EVENT = 11 * DAY
FORGED_SIGNATURE = "sha256=" + "0" * 64  # the generic API's form, with the wrong digest

# encore.carts and encore.messaging are imported inside the two functions below, once the
# stack is up: importing them builds the Powertools logger, which reads its level from the
# environment then. Imported before LocalStack sets POWERTOOLS_LOG_LEVEL, every handler's
# INFO line would land on the demo's stdout.


@cache
def journey_scenario() -> str:
    from encore.journeys import CART_ABANDONMENT

    return CART_ABANDONMENT


@cache
def coupon_pattern() -> re.Pattern:
    from encore.messaging import COUPON_ALPHABET

    code = "[" + COUPON_ALPHABET + "]{4}"
    return re.compile(rf"\b{code}-{code}-{code}\b")


# ----------------------------------------------------------------------------- driving
@dataclass
class Posted:
    """One request the demo made and how the API answered it."""

    event: PlannedEvent
    reply: Reply

    @property
    def outcome(self) -> str:
        body = self.reply.body if isinstance(self.reply.body, dict) else {}
        if self.reply.status == 202:
            if body.get("duplicates"):
                return "202 duplicate (already accepted)"
            if body.get("ignored") and not body.get("accepted"):
                return "202 ignored"
            return "202 accepted"
        return f"{self.reply.status} rejected: {body.get('title') or self.reply.body}"


def sent_emails(stack: LocalStack) -> list[EmailMessage]:
    """What SES accepted, parsed with the modern policy: headers decoded (names with
    accents arrive RFC 2047-encoded), ``get_body`` for the parts."""
    return [message_from_bytes(mail.as_bytes(), policy=policy.default) for mail in stack.sent_emails()]


def email_parts(message: EmailMessage) -> tuple[str, str]:
    """(text, html) of a sent email."""
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    return (text.get_content() if text else ""), (html.get_content() if html else "")


def coupon_from_email(stack: LocalStack, customer: PlannedCustomer) -> str | None:
    """Read the code the way a shopper would: from the text of the reminder-3 email."""
    for message in reversed(sent_emails(stack)):
        if message["To"] == customer.email:
            found = coupon_pattern().search(email_parts(message)[0])
            if found:
                return found.group(0)
    return None


def post(stack: LocalStack, client: StoreClient, event: PlannedEvent) -> Reply:
    customer, at = event.customer, event.at
    coupon = coupon_from_email(stack, customer) if event.action in ("order", "order_completed") and customer.behaviour.uses_coupon else None
    match event.action:
        case "checkout" | "checkout_retry":
            # A retry is the same delivery again: same body, same X-Shopify-Webhook-Id.
            return client.shopify("checkouts/update", shopify_checkout(customer, customer.started_at), webhook_id=customer.ids["checkout"])
        case "cart_update":
            return client.shopify("carts/update", shopify_cart_update(customer, at), webhook_id=customer.ids["cart_update"])
        case "order":
            return client.shopify("orders/create", shopify_order(customer, at, coupon), webhook_id=customer.ids["order"])
        case "product_added":
            return client.track(track_product_added(customer, at))
        case "product_added_more":
            return client.track(track_product_added(customer, at, more=True))
        case "order_completed":
            return client.track(track_order_completed(customer, at, coupon))
        case "forged_order":
            return client.track(track_order_completed(customer, at, None, forged=True), signature=FORGED_SIGNATURE)
    raise ValueError(f"unknown action {event.action}")


def inject(stack: LocalStack, client: StoreClient, events: list[PlannedEvent]) -> list[Posted]:
    """Post every event at its own virtual time: the journeys' timers fire in between."""
    posted = []
    for event in events:
        stack.clock.run_until(event.at)
        posted.append(Posted(event, post(stack, client, event)))
    return posted


# ----------------------------------------------------------------------------- observing
def table_items(stack: LocalStack) -> list[dict]:
    deserialize = TypeDeserializer().deserialize
    items = []
    for page in boto3.client("dynamodb").get_paginator("scan").paginate(TableName=stack.physical("EncoreTable")):
        items += [{key: deserialize(value) for key, value in item.items()} for item in page["Items"]]
    return sorted(items, key=lambda item: (item["pk"], item["sk"]))


@dataclass
class Journey:
    name: str
    status: str
    final_state: str
    history: list[dict]


def _history_detail(event: dict) -> dict:
    return next((value for key, value in event.items() if key.endswith("EventDetails") and isinstance(value, dict)), {})


def journeys(stack: LocalStack, state_machine: str = STATE_MACHINE) -> dict[str, Journey]:
    found = {}
    for execution in sorted(stack.executions(state_machine), key=lambda e: e["name"]):
        history = stack.history(execution["executionArn"])
        entered = [_history_detail(e).get("name") for e in history if e["type"].endswith("StateEntered")]
        found[execution["name"]] = Journey(execution["name"], execution["status"], entered[-1] if entered else "", history)
    return found


def _sorted_counts(counter: Counter) -> dict:
    return dict(sorted(counter.items()))


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Observed:
    """Everything the stack did, read back after the clock stopped."""

    posted: list[Posted]
    journeys: dict[str, Journey]
    items: list[dict]
    emails: list[EmailMessage]
    email_templates: list[str]  # template of each email, by matching its Message record
    invocations: list
    post_purchase: dict[str, Journey]


def observe(stack: LocalStack, posted: list[Posted]) -> Observed:
    items = table_items(stack)
    emails = sent_emails(stack)
    # Emails carry no template name: the Message records say which template produced
    # which (recipient, subject); a customer gets each template at most once per journey.
    by_subject = {}
    profiles = {item["customer_id"]: item.get("email") for item in items if item["sk"] == "PROFILE"}
    for item in items:
        if item["sk"].startswith("MESSAGE#") and item.get("status") == "sent":
            by_subject[(profiles.get(item["customer_id"]), item.get("subject"))] = item["template"]
    templates = [by_subject.get((str(mail["To"]), str(mail["Subject"])), "unknown") for mail in emails]
    return Observed(
        posted, journeys(stack), items, emails, templates, list(stack.lambdas.invocations), journeys(stack, POST_PURCHASE_STATE_MACHINE)
    )


# ----------------------------------------------------------------------------- summarising
def _customer_journeys(plan: list[PlannedCustomer]) -> dict[str, PlannedCustomer]:
    return {execution_name(journey_scenario(), STORE_ID, c.customer_id, c.cart_id): c for c in plan}


def _http_summary(observed: Observed) -> dict:
    outcomes = Counter(p.outcome for p in observed.posted)
    return {"total": len(observed.posted), "by_outcome": _sorted_counts(outcomes)}


def _journey_summary(observed: Observed, plan: list[PlannedCustomer]) -> dict:
    owners = _customer_journeys(plan)
    by_scenario: dict[str, dict] = {}
    for behaviour in BEHAVIOURS:
        by_scenario[behaviour.label] = {"customers": sum(c.behaviour is behaviour for c in plan), "journeys": 0, "SUCCEEDED": 0, "RUNNING": 0, "FAILED": 0, "ended": Counter()}
    unplanned = 0
    for journey in observed.journeys.values():
        owner = owners.get(journey.name)
        if owner is None:
            unplanned += 1
            continue
        row = by_scenario[owner.behaviour.label]
        row["journeys"] += 1
        row[journey.status] = row.get(journey.status, 0) + 1
        if journey.status != "RUNNING":
            row["ended"][journey.final_state] += 1
    for row in by_scenario.values():
        row["ended"] = _sorted_counts(row["ended"])
    statuses = Counter(j.status for j in observed.journeys.values())
    return {"total": len(observed.journeys), "by_status": _sorted_counts(statuses), "by_scenario": by_scenario, "not_planned": unplanned}


def _message_summary(observed: Observed) -> dict:
    messages = [item for item in observed.items if item["sk"].startswith("MESSAGE#")]
    sent = Counter(item["template"] for item in messages if item["status"] == "sent")
    skipped = Counter(f"{item['template']} ({item.get('reason')})" for item in messages if item["status"] == "skipped")
    claimed = sum(item["status"] == "claimed" for item in messages)  # claimed but never sent: a crash mid-send
    return {
        "emails_sent": len(observed.emails),
        "sent_by_template": _sorted_counts(sent),
        "skipped": _sorted_counts(skipped),
        "claimed_not_sent": claimed,
    }


def _coupon_summary(observed: Observed) -> dict:
    coupons = {item["code"]: item for item in observed.items if item["sk"] == "COUPON"}
    orders = [item for item in observed.items if item["sk"].startswith("ORDER#")]
    used = [code for order in orders for code in order.get("coupon_codes") or []]
    return {
        "issued": len(coupons),
        "redeemed": sum(code in coupons for code in used),
        "redeemed_by_their_owner": sum(
            code in coupons and coupons[code]["customer_id"] == order["customer_id"] for order in orders for code in order.get("coupon_codes") or []
        ),
        "unknown_codes_used": sum(code not in coupons for code in used),
        "marked_redeemed_in_table": sum(bool(item.get("redeemed_order_id")) for item in coupons.values()),
    }


def _order_summary(observed: Observed) -> dict:
    orders = [item for item in observed.items if item["sk"].startswith("ORDER#")]
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    for order in orders:
        revenue[order["currency"]] += Decimal(order["total_cents"]) / 100
    return {"total": len(orders), "revenue": {currency: f"{amount:.2f}" for currency, amount in sorted(revenue.items())}}


def _lambda_summary(observed: Observed) -> dict:
    by_function: dict[str, dict] = {}
    for invocation in observed.invocations:
        row = by_function.setdefault(invocation.function, {"invocations": 0, "errors": 0})
        row["invocations"] += 1
        row["errors"] += invocation.errored
    errors = [f"{i.function}: {i.error}" for i in observed.invocations if i.errored]
    return {"invocations": len(observed.invocations), "errors": len(errors), "by_function": dict(sorted(by_function.items())), "error_texts": errors}


def _customer_mismatches(observed: Observed, plan: list[PlannedCustomer]) -> dict[str, list[str]]:
    """Each customer against their plan: one journey, the right emails, the right ending.
    Returns the problems of each customer that has any."""
    owners = _customer_journeys(plan)
    sent_to: dict[str, list[str]] = defaultdict(list)
    for mail, template in zip(observed.emails, observed.email_templates):
        sent_to[str(mail["To"])].append(template)
    coupons = {item["code"]: item["customer_id"] for item in observed.items if item["sk"] == "COUPON"}
    coupon_orders = {
        item["customer_id"] for item in observed.items if item["sk"].startswith("ORDER#") and any(coupons.get(code) == item["customer_id"] for code in item.get("coupon_codes") or [])
    }
    found: dict[str, list[str]] = {}
    for customer in plan:
        problems = []
        mine = [j for name, j in observed.journeys.items() if owners.get(name) is customer]
        if len(mine) != 1:
            problems.append(f"{len(mine)} journeys, expected 1")
        for journey in mine:
            if journey.status != "SUCCEEDED" or journey.final_state != customer.behaviour.expected_end:
                problems.append(f"journey {journey.status} at '{journey.final_state}', expected SUCCEEDED at '{customer.behaviour.expected_end}'")
        # Same-minute emails of two journeys (thank-you, confirmation) may go in either order.
        if sorted(sent_to[customer.email]) != sorted(customer.expected_emails):
            problems.append(f"emails {sent_to[customer.email]}, expected {list(customer.expected_emails)}")
        if customer.behaviour.uses_coupon and customer.customer_id not in coupon_orders:
            problems.append("no order with the customer's own coupon")
        if problems:
            found[f"#{customer.index + 1:03d} {customer.platform} {customer.behaviour.key}"] = problems
    return found


# What the API must answer to each kind of request the sample store sends.
EXPECTED_HTTP = {"checkout_retry": "202 duplicate (already accepted)", "forged_order": "401 rejected: signature does not match the body"}


def _delivery_mismatches(observed: Observed) -> list[str]:
    return [
        f"#{p.event.customer.index + 1:03d} {p.event.action} at {_iso(p.event.at)}: {p.outcome}, expected {EXPECTED_HTTP.get(p.event.action, '202 accepted')}"
        for p in observed.posted
        if p.outcome != EXPECTED_HTTP.get(p.event.action, "202 accepted")
    ]


def summarise(observed: Observed, plan: list[PlannedCustomer], *, seed: int, start: datetime, end: datetime) -> dict:
    customers = _customer_mismatches(observed, plan)
    mismatches = _delivery_mismatches(observed) + [f"{who}: {problem}" for who, problems in customers.items() for problem in problems]
    journeys = _journey_summary(observed, plan)
    lambdas = _lambda_summary(observed)
    # Every journey must have ended, and ended well: FAILED, TIMED_OUT, ABORTED or still
    # RUNNING after the clock ran past every journey's end are all failures of the demo.
    not_succeeded = journeys["total"] - journeys["by_status"].get("SUCCEEDED", 0)
    return {
        "store": STORE_ID,
        "seed": seed,
        "customers": {
            "total": len(plan),
            "shopify": sum(c.platform == SHOPIFY for c in plan),
            "generic_api": sum(c.platform == GENERIC for c in plan),
            "by_behaviour": {b.label: sum(c.behaviour is b for c in plan) for b in BEHAVIOURS},
        },
        "virtual_period": {"start": _iso(start), "end": _iso(end), "days": round((end - start) / DAY, 2)},
        "http_requests": _http_summary(observed),
        "journeys": journeys,
        # Every order starts one; with no shipments in the sample they wait for one.
        "post_purchase_journeys": {
            "total": len(observed.post_purchase),
            "by_status": _sorted_counts(Counter(j.status for j in observed.post_purchase.values())),
            "at_state": _sorted_counts(Counter(j.final_state for j in observed.post_purchase.values())),
        },
        "messages": _message_summary(observed),
        "coupons": _coupon_summary(observed),
        "orders": _order_summary(observed),
        "lambda": lambdas,
        "checks": {"customers": len(plan), "as_planned": len(plan) - len(customers), "mismatches": mismatches},
        "ok": not not_succeeded and not lambdas["errors"] and not mismatches,
    }


# ----------------------------------------------------------------------------- writing
def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "email"


def write_emails(directory: Path, observed: Observed) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    for number, (mail, template) in enumerate(zip(observed.emails, observed.email_templates), start=1):
        stem = f"{number:03d}-{template if template != 'unknown' else _slug(str(mail['Subject']))}"
        text, html = email_parts(mail)
        (directory / f"{stem}.eml").write_bytes(mail.as_bytes())
        (directory / f"{stem}.txt").write_text(text)
        (directory / f"{stem}.html").write_text(html)
    return len(observed.emails)


def history_lines(journey: Journey) -> list[str]:
    """Console-like: virtual timestamp, event type, state name (or what the event is about)."""
    lines = []
    for event in journey.history:
        detail = _history_detail(event)
        about = detail.get("name") or detail.get("resourceType", "") + (":" + detail["resource"] if detail.get("resource") else "")
        if detail.get("error"):
            about = f"{about} {detail['error']}" + (f": {detail['cause']}" if detail.get("cause") else "")
        lines.append(f"{_iso(event['timestamp'])}  {event['type']:<32} {about}".rstrip())
    return lines


def write_executions(directory: Path, observed: Observed) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    for journey in observed.journeys.values():
        header = f"{journey.name}\nstatus: {journey.status}, final state: {journey.final_state}\n\n"
        (directory / f"{journey.name}.txt").write_text(header + "\n".join(history_lines(journey)) + "\n")
    return len(observed.journeys)


def reset_output(out: Path) -> None:
    """Remove only what an earlier demo run wrote, so stale files never mix with new ones."""
    for name in ("emails", "executions"):
        shutil.rmtree(out / name, ignore_errors=True)
    (out / "summary.json").unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)


# ----------------------------------------------------------------------------- printing
def _table(rows: list[tuple], indent: str = "  ") -> list[str]:
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    return [indent + "  ".join(str(cell).ljust(width) if i == 0 else str(cell).rjust(width) for i, (cell, width) in enumerate(zip(row, widths))).rstrip() for row in rows]


def render(summary: dict) -> str:
    c, period, http = summary["customers"], summary["virtual_period"], summary["http_requests"]
    out = [
        f"Encore demo: store '{summary['store']}', seed {summary['seed']}, {c['total']} customers ({c['shopify']} Shopify, {c['generic_api']} generic API)",
        f"Virtual period: {period['start']} -> {period['end']} ({period['days']} days)",
        "",
        f"HTTP requests: {http['total']}",
        *_table([(outcome, count) for outcome, count in http["by_outcome"].items()]),
        "",
    ]
    journeys = summary["journeys"]
    status_text = ", ".join(f"{status} {count}" for status, count in journeys["by_status"].items())
    out += [f"Journeys (cart abandonment): {journeys['total']} ({status_text})"]
    rows = [("scenario", "customers", "journeys", "SUCCEEDED", "RUNNING", "FAILED")]
    for label, row in journeys["by_scenario"].items():
        rows.append((label, row["customers"], row["journeys"], row["SUCCEEDED"], row["RUNNING"], row["FAILED"]))
    out += _table(rows)
    post = summary["post_purchase_journeys"]
    out += [f"Journeys (post-purchase): {post['total']} ("
            + ", ".join(f"{status} {count}" for status, count in post["by_status"].items())
            + "; at: " + ", ".join(f"{state} x{count}" for state, count in post["at_state"].items()) + ")"]
    out += ["  how they ended:"]
    for label, row in journeys["by_scenario"].items():
        ended = "; ".join(f"{state} x{count}" for state, count in row["ended"].items()) or "-"
        out.append(f"    {label:<40} {ended}")
    if journeys["not_planned"]:
        out.append(f"  journeys that belong to no planned customer: {journeys['not_planned']}")
    messages = summary["messages"]
    out += ["", f"Messages: {messages['emails_sent']} emails sent"]
    out += _table([(template, count) for template, count in messages["sent_by_template"].items()])
    skipped = sum(messages["skipped"].values())
    out.append(f"  skipped (recorded, not sent): {skipped}" + (" - " + ", ".join(f"{k} x{v}" for k, v in messages["skipped"].items()) if skipped else ""))
    if messages["claimed_not_sent"]:
        out.append(f"  claimed but never sent: {messages['claimed_not_sent']}")
    coupons, orders = summary["coupons"], summary["orders"]
    out += [
        "",
        f"Coupons: {coupons['issued']} issued, {coupons['redeemed']} redeemed ({coupons['redeemed_by_their_owner']} by the customer they were issued to), "
        f"{coupons['unknown_codes_used']} unknown codes used; {coupons['marked_redeemed_in_table']} marked redeemed in the table",
        f"Orders: {orders['total']} - " + ", ".join(f"{amount} {currency}" for currency, amount in orders["revenue"].items()),
    ]
    lambdas = summary["lambda"]
    out += ["", f"Lambda: {lambdas['invocations']} invocations, {lambdas['errors']} errors"]
    out += _table([(name, f"{row['invocations']} invocations", f"{row['errors']} errors") for name, row in lambdas["by_function"].items()])
    out += [f"  ERROR {text}" for text in lambdas["error_texts"]]
    checks = summary["checks"]
    out += ["", f"Checks: {checks['as_planned']}/{checks['customers']} customers' journeys as planned"]
    out += [f"  MISMATCH {text}" for text in checks["mismatches"]]
    out += ["", f"Result: {'OK' if summary['ok'] else 'FAILED'}"]
    if "outputs" in summary:
        o = summary["outputs"]
        out.append(f"Wrote {o['emails']} emails and {o['executions']} execution histories under {o['directory']}/")
    if "wall_time_seconds" in summary:
        out.append(f"Wall time: {summary['wall_time_seconds']:.1f} s")
    return "\n".join(out)


# ----------------------------------------------------------------------------- main
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m infra.demo", description="make demo: run a sample store through the whole stack on the local runtime.")
    parser.add_argument("--seed", type=int, default=7, help="sample store seed (default 7): same seed, same store, same summary")
    parser.add_argument("--customers", type=int, default=36, help="number of sample customers, half per platform (default 36)")
    parser.add_argument("--out", type=Path, default=Path("out/demo"), help="where emails, histories and summary.json go (default out/demo)")
    args = parser.parse_args(argv)
    if args.customers < 2:
        parser.error("--customers must be at least 2 (one per platform)")
    return args


def run(args: argparse.Namespace) -> dict:
    plan = plan_store(seed=args.seed, customers=args.customers, start=START)
    events = planned_events(plan)
    end = events[-1].at + RUN_AFTER_LAST_EVENT
    reset_output(args.out)
    with LocalStack(start=START) as stack:
        credentials = stack.add_store(STORE_ID)
        api = stack.serve_http_api()
        client = StoreClient(api.url, credentials)
        journey_scenario(), coupon_pattern()  # import the domain now, with the stack's log level
        posted = inject(stack, client, events)
        stack.clock.run_until(end)
        stack.clock.settle()
        observed = observe(stack, posted)
    summary = summarise(observed, plan, seed=args.seed, start=START, end=end)
    summary["outputs"] = {
        "directory": str(args.out),
        "emails": write_emails(args.out / "emails", observed),
        "executions": write_executions(args.out / "executions", observed),
    }
    return summary


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    summary = run(args)
    summary["wall_time_seconds"] = round(time.perf_counter() - _PROCESS_STARTED, 1)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(render(summary))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
