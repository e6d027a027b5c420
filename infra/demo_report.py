"""What ``make demo`` makes of what the stack did: the summary (printed and in
``summary.json``), the checks of every customer against their plan, and the evidence files
(rendered emails, execution histories).

``infra.demo`` drives the stack and reads it back into an ``Observed``; this module only
reads that and the plan (``infra.sample_store``).
"""

from __future__ import annotations

import re
import shutil
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

from encore.scenarios import registry
from encore.scenarios.review_request import NAME as REVIEW_REQUEST
from infra.local.store_client import Reply
from infra.sample_store import DAY, GENERIC, SENT, SHOPIFY, STORE_ID, Expected, ExpectedJourney, Plan, PlannedCustomer, PlannedEvent

# The scenarios' numbers (as SCENARIOS.md numbers them) and titles, from their declarations.
SCENARIOS = {scenario.name: (scenario.number, scenario.title) for scenario in registry.SCENARIOS}


# ----------------------------------------------------------------------------- what was seen
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


@dataclass
class Journey:
    name: str
    scenario: str
    customer_id: str
    status: str
    final_state: str  # the terminal state, or the state it waits in
    stopped_at: datetime | None
    history: list[dict]

    def as_planned(self) -> ExpectedJourney:
        """In the plan's terms, to compare."""
        return ExpectedJourney(self.scenario, self.final_state, self.stopped_at if self.status != "RUNNING" else None)

    def describe(self) -> str:
        if self.status in ("RUNNING", "SUCCEEDED"):
            return self.as_planned().describe()
        return f"{self.scenario} {self.status} at '{self.final_state}'"


@dataclass
class Observed:
    """Everything the stack did, read back after the clock stopped."""

    posted: list[Posted]
    journeys: list[Journey]
    items: list[dict]
    emails: list[EmailMessage]
    email_templates: list[str]  # template of each email, by matching its Message record
    invocations: list
    staff_alerts: list[dict]  # the SNS messages published to the store's staff

    def messages(self) -> list[dict]:
        return [item for item in self.items if item["sk"].startswith("MESSAGE#")]


def moment(value: str | None) -> datetime | None:
    """A PynamoDB UTCDateTimeAttribute as stored ("2026-11-03T14:00:00.000000+0000")."""
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z") if value else None


def _scenario_of(journey: str) -> str:
    return next((name for name in sorted(SCENARIOS, key=len, reverse=True) if journey.startswith(f"{name}-")), "unknown")


def as_expected(message: dict) -> Expected:
    """A Message record in the plan's terms, to compare."""
    status = message["status"]
    outcome = SENT if status == "sent" else f"{status} ({message.get('reason')})" if message.get("reason") else status
    at = moment(message.get("sent_at")) if status == "sent" else moment(message.get("claimed_at"))
    return Expected(at, _scenario_of(message["journey"]), message["template"], outcome, message.get("deferred_reason") or "")


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sorted_counts(counter: Counter) -> dict:
    return dict(sorted(counter.items()))


# ----------------------------------------------------------------------------- summarising
def _scenario_summary(observed: Observed) -> dict:
    """Per scenario: journeys by status and by how they ended (or where they wait), messages
    sent (by template), skipped and held back (by reason), staff alerts."""
    journeys: dict[str, list[Journey]] = defaultdict(list)
    for journey in observed.journeys:
        journeys[journey.scenario].append(journey)
    messages: dict[str, list[dict]] = defaultdict(list)
    for message in observed.messages():
        messages[_scenario_of(message["journey"])].append(message)
    summary = {}
    for scenario, (number, title) in sorted(SCENARIOS.items(), key=lambda item: item[1][0]):
        mine, sent_to = journeys[scenario], messages[scenario]
        summary[scenario] = {
            "number": number,
            "title": title,
            "journeys": {
                "total": len(mine),
                "by_status": _sorted_counts(Counter(j.status for j in mine)),
                "ended": _sorted_counts(Counter(j.final_state for j in mine if j.status != "RUNNING")),
                "waiting": _sorted_counts(Counter(j.final_state for j in mine if j.status == "RUNNING")),
            },
            "messages": {
                "sent": _sorted_counts(Counter(m["template"] for m in sent_to if m["status"] == "sent")),
                "skipped": _sorted_counts(Counter(m.get("reason") or "?" for m in sent_to if m["status"] == "skipped")),
                "held_back": _sorted_counts(Counter(m["deferred_reason"] for m in sent_to if m.get("deferred_reason"))),
            },
            "staff_alerts": len(observed.staff_alerts) if scenario == REVIEW_REQUEST else 0,
        }
    return summary


def _message_summary(observed: Observed) -> dict:
    messages = observed.messages()
    return {
        "emails_sent": len(observed.emails),
        "recorded_sent": sum(m["status"] == "sent" for m in messages),
        "skipped": sum(m["status"] == "skipped" for m in messages),
        "held_back": sum(bool(m.get("deferred_reason")) for m in messages),
        "still_held_back": sum(m["status"] == "deferred" for m in messages),
        "claimed_not_sent": sum(m["status"] == "claimed" for m in messages),  # a crash mid-send
    }


def _held_back(observed: Observed, plan: Plan) -> list[dict]:
    """Every message a guard held back first: whose, why, when it was due and what became of it."""
    numbers = {customer.customer_id: f"#{customer.index + 1:03d}" for customer in plan.customers}
    held = [message for message in observed.messages() if message.get("deferred_reason")]
    return [
        {
            "customer": numbers.get(message["customer_id"], message["customer_id"]),
            "message": f"{_scenario_of(message['journey'])}/{message['template']}",
            "reason": message["deferred_reason"],
            "due": _iso(moment(message["first_attempt_at"])),
            "outcome": f"sent {_iso(moment(message['sent_at']))}" if message["status"] == "sent" else f"{message['status']} ({message.get('reason')})",
        }
        for message in sorted(held, key=lambda message: message["first_attempt_at"])
    ]


def _coupon_summary(observed: Observed) -> dict:
    coupons = {item["code"]: item for item in observed.items if item["sk"] == "COUPON"}
    orders = [item for item in observed.items if item["sk"].startswith("ORDER#")]
    used = [code for order in orders for code in order.get("coupon_codes") or []]
    return {
        "issued": len(coupons),
        "issued_by_scenario": _sorted_counts(Counter(_scenario_of(coupon["journey"]) for coupon in coupons.values())),
        "redeemed": sum(code in coupons for code in used),
        "redeemed_by_their_owner": sum(
            code in coupons and coupons[code]["customer_id"] == order["customer_id"] for order in orders for code in order.get("coupon_codes") or []
        ),
        "unknown_codes_used": sum(code not in coupons for code in used),
        "marked_redeemed_in_table": sum(bool(item.get("redeemed_order_id")) for item in coupons.values()),
    }


def _order_summary(observed: Observed, plan: Plan) -> dict:
    orders = [item for item in observed.items if item["sk"].startswith("ORDER#")]
    in_period = [order for order in orders if moment(order["placed_at"]) >= plan.start]
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    for order in in_period:
        revenue[order["currency"]] += Decimal(order["total_cents"]) / 100
    return {
        "placed": len(in_period),
        "historical": len(orders) - len(in_period),  # returning customers' past orders, imported
        "revenue": {currency: f"{amount:.2f}" for currency, amount in sorted(revenue.items())},
    }


def _lambda_summary(observed: Observed) -> dict:
    by_function: dict[str, dict] = {}
    for invocation in observed.invocations:
        row = by_function.setdefault(invocation.function, {"invocations": 0, "errors": 0})
        row["invocations"] += 1
        row["errors"] += invocation.errored
    errors = [f"{i.function}: {i.error}" for i in observed.invocations if i.errored]
    return {"invocations": len(observed.invocations), "errors": len(errors), "by_function": dict(sorted(by_function.items())), "error_texts": errors}


def _coverage(plan: Plan) -> list[dict]:
    """Customers x scenarios, from the plan: the cart mix by behaviour, the cast one by one."""
    rows: dict[str, dict] = {}
    for customer in plan.customers:
        key = customer.story.label if not customer.in_cast else f"#{customer.index + 1:03d} {customer.story.label}"
        row = rows.setdefault(key, {"story": key, "platform": set(), "customers": 0, "scenarios": Counter()})
        row["customers"] += 1
        row["platform"].add(customer.platform)
        row["scenarios"].update(customer.scenarios)
    return [
        {
            **row,
            "platform": "/".join(sorted(row["platform"])),
            "scenarios": {SCENARIOS[s][0]: n for s, n in sorted(row["scenarios"].items(), key=lambda i: SCENARIOS[i[0]][0])},
        }
        for row in rows.values()
    ]


# ----------------------------------------------------------------------------- checking
def _who(customer: PlannedCustomer) -> str:
    return f"#{customer.index + 1:03d} {customer.platform} {customer.story.key}"


def _difference(expected: list, actual: list, describe) -> list[str]:
    """What the plan has that the stack did not do, and the other way round."""
    problems = []
    for label, ours, theirs in (("missing", expected, actual), ("unexpected", actual, expected)):
        surplus = Counter(ours)
        surplus.subtract(theirs)
        for item in ours:  # in order, once per surplus copy
            if surplus[item] > 0:
                surplus[item] -= 1
                problems.append(f"{label} {describe(item)}")
    return problems


def _customer_mismatches(observed: Observed, plan: Plan) -> tuple[dict[str, list[str]], int]:
    """Each customer against their plan: the messages (when, from which scenario, held back
    or skipped), the journeys (how and when each ended), the staff alerts and the coupon.
    Returns the problems of each customer that has any, and the journeys nobody planned."""
    journeys: dict[str, list[Journey]] = defaultdict(list)
    for journey in observed.journeys:
        journeys[journey.customer_id].append(journey)
    messages: dict[str, list[Expected]] = defaultdict(list)
    for message in observed.messages():
        messages[message["customer_id"]].append(as_expected(message))
    alerts = Counter(alert.get("customer_id") for alert in observed.staff_alerts)
    coupons = {item["code"]: item["customer_id"] for item in observed.items if item["sk"] == "COUPON"}
    coupon_orders = {
        item["customer_id"]
        for item in observed.items
        if item["sk"].startswith("ORDER#") and any(coupons.get(code) == item["customer_id"] for code in item.get("coupon_codes") or [])
    }
    found: dict[str, list[str]] = {}
    for customer in plan.customers:
        problems = _difference(
            sorted(customer.messages, key=lambda m: m.sort_key), sorted(messages.pop(customer.customer_id, []), key=lambda m: m.sort_key), Expected.describe
        )
        mine = journeys.pop(customer.customer_id, [])
        problems += [f"journey {j.describe()}" for j in mine if j.status not in ("RUNNING", "SUCCEEDED")]
        problems += _difference(
            sorted(customer.journeys, key=lambda j: j.sort_key),
            sorted((j.as_planned() for j in mine if j.status in ("RUNNING", "SUCCEEDED")), key=lambda j: j.sort_key),
            lambda j: f"journey {j.describe()}",
        )
        if alerts[customer.customer_id] != customer.staff_alerts:
            problems.append(f"{alerts[customer.customer_id]} staff alerts, expected {customer.staff_alerts}")
        if customer.story.uses_coupon and customer.customer_id not in coupon_orders:
            problems.append("no order with the customer's own coupon")
        if problems:
            found[_who(customer)] = problems
    unplanned = sum(len(rest) for rest in journeys.values()) + sum(len(rest) for rest in messages.values())
    return found, unplanned


def _delivery_mismatches(observed: Observed) -> list[str]:
    return [
        f"{_who(p.event.customer)} {p.event.action} at {_iso(p.event.at)}: {p.outcome}, expected {p.event.expected_reply}"
        for p in observed.posted
        if p.outcome != p.event.expected_reply
    ]


def summarise(observed: Observed, plan: Plan, *, seed: int) -> dict:
    customers, unplanned = _customer_mismatches(observed, plan)
    mismatches = _delivery_mismatches(observed) + [f"{who}: {problem}" for who, problems in customers.items() for problem in problems]
    if unplanned:
        mismatches.append(f"{unplanned} journeys or messages belong to no planned customer")
    lambdas, messages = _lambda_summary(observed), _message_summary(observed)
    if messages["emails_sent"] != messages["recorded_sent"] or messages["claimed_not_sent"] or messages["still_held_back"]:
        mismatches.append(f"emails and message records disagree: {messages}")
    mix, cast = plan.cart_mix, plan.cast
    return {
        "store": STORE_ID,
        "seed": seed,
        "customers": {
            "total": len(plan.customers),
            "cart_mix": len(mix),
            "cast": len(cast),
            "shopify": sum(c.platform == SHOPIFY for c in plan.customers),
            "generic_api": sum(c.platform == GENERIC for c in plan.customers),
            "coverage": _coverage(plan),
        },
        "virtual_period": {"start": _iso(plan.start), "end": _iso(plan.end), "days": round((plan.end - plan.start) / DAY, 2)},
        "http_requests": {"total": len(observed.posted), "by_outcome": _sorted_counts(Counter(p.outcome for p in observed.posted))},
        "scenarios": _scenario_summary(observed),
        "messages": messages,
        "held_back": _held_back(observed, plan),
        "coupons": _coupon_summary(observed),
        "orders": _order_summary(observed, plan),
        "lambda": lambdas,
        "checks": {"customers": len(plan.customers), "as_planned": len(plan.customers) - len(customers), "mismatches": mismatches},
        "ok": not lambdas["errors"] and not mismatches,
    }


# ----------------------------------------------------------------------------- writing
def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "email"


def email_parts(message: EmailMessage) -> tuple[str, str]:
    """(text, html) of a sent email."""
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    return (text.get_content() if text else ""), (html.get_content() if html else "")


def write_emails(directory: Path, observed: Observed) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    for number, (mail, template) in enumerate(zip(observed.emails, observed.email_templates), start=1):
        stem = f"{number:03d}-{template if template != 'unknown' else _slug(str(mail['Subject']))}"
        text, html = email_parts(mail)
        (directory / f"{stem}.eml").write_bytes(mail.as_bytes())
        (directory / f"{stem}.txt").write_text(text)
        (directory / f"{stem}.html").write_text(html)
    return len(observed.emails)


def _history_detail(event: dict) -> dict:
    return next((value for key, value in event.items() if key.endswith("EventDetails") and isinstance(value, dict)), {})


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
    for journey in observed.journeys:
        folder = directory / journey.scenario
        folder.mkdir(parents=True, exist_ok=True)
        header = f"{journey.name}\nstatus: {journey.status}, final state: {journey.final_state}\n\n"
        (folder / f"{journey.name}.txt").write_text(header + "\n".join(history_lines(journey)) + "\n")
    return len(observed.journeys)


def reset_output(out: Path) -> None:
    """Remove only what an earlier demo run wrote, so stale files never mix with new ones."""
    for name in ("emails", "executions"):
        shutil.rmtree(out / name, ignore_errors=True)
    for name in ("summary.json", "catalogue.json"):
        (out / name).unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)


# ----------------------------------------------------------------------------- printing
def _table(rows: list[tuple], indent: str = "  ") -> list[str]:
    if not rows:
        return []
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    return [
        indent + "  ".join(str(cell).ljust(width) if i == 0 else str(cell).rjust(width) for i, (cell, width) in enumerate(zip(row, widths))).rstrip()
        for row in rows
    ]


def _counts(counts: dict, empty: str = "-") -> str:
    return ", ".join(f"{key} x{value}" for key, value in counts.items()) or empty


def _render_coverage(summary: dict) -> list[str]:
    numbers = [number for number, _ in sorted(SCENARIOS.values())]
    legend = ", ".join(f"{number} {title.split(',')[0].lower()}" for number, title in sorted(SCENARIOS.values()))
    rows = [("customers x scenarios", "platform", "n", *map(str, numbers))]
    for row in summary["customers"]["coverage"]:
        rows.append((row["story"][:78], row["platform"], row["customers"], *(row["scenarios"].get(number, ".") for number in numbers)))
    return [f"  Scenarios: {legend}", "  (each cell: how many of the row's customers the plan gives a journey of that scenario)", *_table(rows)]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _render_scenarios(summary: dict) -> list[str]:
    out = []
    for name, row in summary["scenarios"].items():
        journeys, messages = row["journeys"], row["messages"]
        alerts = f"; staff alerts (SNS): {row['staff_alerts']}" if name == REVIEW_REQUEST else ""
        out.append(f"  {row['number']:>2} {row['title']} ({name}): {_plural(journeys['total'], 'journey')} ({_counts(journeys['by_status'], 'none')}){alerts}")
        out += [f"       ended    {state} x{count}" for state, count in journeys["ended"].items()]
        out += [f"       waiting  {state} x{count}" for state, count in journeys["waiting"].items()]
        out.append(f"       sent {sum(messages['sent'].values())}: {_counts(messages['sent'])}")
        out.append(
            f"       skipped {sum(messages['skipped'].values())}: {_counts(messages['skipped'])}; held back {sum(messages['held_back'].values())}: {_counts(messages['held_back'])}"
        )
    return out


def _held_back_lines(held_back: list[dict]) -> list[str]:
    return _table([(f"{h['customer']} {h['message']}", h["reason"], f"due {h['due']}", h["outcome"]) for h in held_back], "    ")


def render(summary: dict) -> str:
    c, period, http = summary["customers"], summary["virtual_period"], summary["http_requests"]
    out = [
        f"Encore demo: store '{summary['store']}', seed {summary['seed']}, {c['total']} customers ({c['shopify']} Shopify, {c['generic_api']} generic API): "
        f"{c['cart_mix']} in the cart mix, a cast of {c['cast']}",
        f"Virtual period: {period['start']} -> {period['end']} ({period['days']} days)",
        "",
        f"HTTP requests: {http['total']}",
        *_table([(outcome, count) for outcome, count in http["by_outcome"].items()]),
        "",
        *_render_coverage(summary),
        "",
        "Scenarios (journeys by status and ending; messages sent by template, skipped and held back by reason)",
        *_render_scenarios(summary),
    ]
    messages, coupons, orders = summary["messages"], summary["coupons"], summary["orders"]
    out += [
        "",
        f"Messages: {messages['emails_sent']} emails sent, {messages['skipped']} skipped, {messages['held_back']} held back by a guard first"
        + (f", {messages['claimed_not_sent']} claimed but never sent" if messages["claimed_not_sent"] else "")
        + (":" if summary["held_back"] else ""),
        *_held_back_lines(summary["held_back"]),
        f"Coupons: {coupons['issued']} issued ({_counts(coupons['issued_by_scenario'])}), {coupons['redeemed']} redeemed "
        f"({coupons['redeemed_by_their_owner']} by the customer they were issued to), {coupons['unknown_codes_used']} unknown codes used; "
        f"{coupons['marked_redeemed_in_table']} marked redeemed in the table",
        f"Orders: {orders['placed']} placed - "
        + ", ".join(f"{amount} {currency}" for currency, amount in orders["revenue"].items())
        + f" (and {orders['historical']} past orders of returning customers)",
    ]
    lambdas = summary["lambda"]
    out += ["", f"Lambda: {lambdas['invocations']} invocations, {lambdas['errors']} errors"]
    out += _table([(name, f"{row['invocations']} invocations", f"{row['errors']} errors") for name, row in lambdas["by_function"].items()])
    out += [f"  ERROR {text}" for text in lambdas["error_texts"]]
    checks = summary["checks"]
    out += ["", f"Checks: {checks['as_planned']}/{checks['customers']} customers as planned (messages, journeys, staff alerts, coupons)"]
    out += [f"  MISMATCH {text}" for text in checks["mismatches"]]
    out += ["", f"Result: {'OK' if summary['ok'] else 'FAILED'}"]
    if "outputs" in summary:
        o = summary["outputs"]
        out.append(f"Wrote {o['emails']} emails and {o['executions']} execution histories under {o['directory']}/")
    if "wall_time_seconds" in summary:
        out.append(f"Wall time: {summary['wall_time_seconds']:.1f} s")
    return "\n".join(out)
