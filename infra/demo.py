"""``make demo``: run a sample store through every scenario on the local runtime.

Boots the stack from template.yaml on moto under the virtual clock, registers the demo
store with the operator's CLI (``encore store add`` with its settings file
``infra/stores/demo-store.json``, ``encore catalogue import``),
plans a deterministic sample of customers (``infra.sample_store``: a seeded cart mix and a
fixed cast, one story per scenario path), posts their webhooks over HTTP in virtual-time
order, runs the clock past every planned moment, then prints what happened per scenario
and writes the evidence (emails, execution histories, summary.json) under ``--out``.

    TZ=UTC PYTHONPATH=.:layers/common .venv/bin/python -m infra.demo [--seed 7] [--customers 36] [--out out/demo]

Exits non-zero if a journey failed, a Lambda errored, or a customer's messages or journeys
differ from what their plan says they must be.
"""

from __future__ import annotations

import time

_PROCESS_STARTED = time.perf_counter()  # before the heavy imports (boto3, moto): they count too

import argparse
import json
import re
import sys
from email import message_from_bytes, policy
from email.message import EmailMessage
from functools import cache
from pathlib import Path

import boto3
from boto3.dynamodb.types import TypeDeserializer

from infra.demo_report import (
    Journey,
    Observed,
    Posted,
    email_parts,
    moment,
    render,
    reset_output,
    summarise,
    write_emails,
    write_executions,
)
from infra.local.stack import LocalStack
from infra.local.store_client import Reply, StoreClient, StoreCredentials
from infra.sample_store import SETTINGS_FILE, SHOPIFY, START, STORE_ID, PlannedCustomer, PlannedEvent, catalogue_entries, plan_store

FORGED_SIGNATURE = "sha256=" + "0" * 64  # the generic API's form, with the wrong digest


# encore.messaging is imported inside the function below, once the stack is up: importing
# it builds the Powertools logger, which reads its level from the environment then.
# Imported before LocalStack sets POWERTOOLS_LOG_LEVEL, every handler's INFO line would
# land on the demo's stdout.
@cache
def coupon_pattern() -> re.Pattern:
    from encore.messaging import COUPON_ALPHABET

    code = "[" + COUPON_ALPHABET + "]{4}"
    return re.compile(rf"\b{code}-{code}-{code}\b")


# ----------------------------------------------------------------------------- setting up
def encore(*argv: str, stdin: str = "") -> str:
    """Run the operator's CLI (``infra.cli``, the ``encore`` command) in this process
    against the local stack, as an operator would; its output, or SystemExit on failure."""
    import contextlib
    import io

    from infra.cli import main as encore_main

    out = io.StringIO()
    saved_stdin, sys.stdin = sys.stdin, io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out):
            code = encore_main(list(argv))
    finally:
        sys.stdin = saved_stdin
    if code != 0:
        raise SystemExit(f"encore {' '.join(argv)} failed ({code})")
    return out.getvalue()


def open_store(stack: LocalStack, out: Path) -> StoreClient:
    """The demo store set up with the operator's CLI (store add with its settings file and
    the shop's webhook secret on stdin, catalogue import), served over HTTP."""
    import secrets

    webhook_secret = secrets.token_hex(32)  # what the Shopify app's client secret would be
    added = encore("store", "add", STORE_ID, "--platform", "shopify", "--settings", str(SETTINGS_FILE), stdin=webhook_secret)
    # Reminder 3's coupon is created in the shop before the email carries it: the store's
    # Shopify Admin API is a local fake, connected the way `encore secret rotate` would.
    stack.connect_fake_shopify(STORE_ID)
    api_key = next(line.rsplit(" ", 1)[1] for line in added.splitlines() if line.startswith("generic events API key"))
    encore("catalogue", "import", STORE_ID, str(out / "catalogue.json"))
    api = stack.serve_http_api()
    return StoreClient(api.url, StoreCredentials(STORE_ID, webhook_secret=webhook_secret, api_key=api_key))


# ----------------------------------------------------------------------------- driving
def sent_emails(stack: LocalStack) -> list[EmailMessage]:
    """What SES accepted, parsed with the modern policy: headers decoded (names with
    accents arrive RFC 2047-encoded), ``get_body`` for the parts."""
    return [message_from_bytes(mail.as_bytes(), policy=policy.default) for mail in stack.sent_emails()]


def coupon_from_email(stack: LocalStack, customer: PlannedCustomer) -> str | None:
    """Read the code the way a shopper would: from the text of their latest email with one."""
    for message in reversed(sent_emails(stack)):
        if message["To"] == customer.email:
            found = coupon_pattern().search(email_parts(message)[0])
            if found:
                return found.group(0)
    return None


def post(stack: LocalStack, client: StoreClient, event: PlannedEvent) -> Reply:
    coupon = coupon_from_email(stack, event.customer) if event.uses_coupon else None
    payload = event.build(coupon)
    if event.platform == SHOPIFY:
        return client.shopify(event.topic, payload, webhook_id=event.webhook_id)
    return client.track(payload, signature=FORGED_SIGNATURE if event.forged else None)


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


def _history_detail(event: dict) -> dict:
    return next((value for key, value in event.items() if key.endswith("EventDetails") and isinstance(value, dict)), {})


def state_machines(stack: LocalStack) -> list[str]:
    """Every scenario's state machine in template.yaml (logical ids)."""
    return [logical for logical, spec in stack.template["Resources"].items() if spec["Type"] == "AWS::Serverless::StateMachine"]


def journeys(stack: LocalStack) -> list[Journey]:
    """Every execution of every state machine, with its customer (from its input) and history."""
    from encore.guards import scenario_of

    found = []
    for logical in state_machines(stack):
        for execution in sorted(stack.executions(logical), key=lambda e: e["name"]):
            history = stack.history(execution["executionArn"])
            started = next(_history_detail(e) for e in history if e["type"] == "ExecutionStarted")
            entered = [_history_detail(e).get("name") for e in history if e["type"].endswith("StateEntered")]
            found.append(
                Journey(
                    name=execution["name"],
                    scenario=scenario_of(execution["name"]) or logical,
                    customer_id=json.loads(started["input"])["customer_id"],
                    status=execution["status"],
                    final_state=entered[-1] if entered else "",
                    stopped_at=execution.get("stopDate"),
                    history=history,
                )
            )
    return found


def staff_alerts(stack: LocalStack) -> list[dict]:
    """What the journeys published to the store's staff (SNS), as the messages' JSON."""
    from moto.sns.models import sns_backends

    from infra.local.template import ACCOUNT_ID, REGION

    topic = sns_backends[ACCOUNT_ID][REGION].topics[stack.physical("StaffAlertsTopic")]
    return [json.loads(message) for _, message, *_ in topic.sent_notifications]


def observe(stack: LocalStack, posted: list[Posted]) -> Observed:
    items = table_items(stack)
    emails = sent_emails(stack)
    # Emails carry no template name: the Message records say which template produced
    # which (recipient, subject, moment).
    # Whitespace is compared loosely: a long encoded subject comes back refolded.
    profiles = {item["customer_id"]: item.get("email") for item in items if item["sk"] == "PROFILE"}
    by_subject = {
        (profiles.get(item["customer_id"]), " ".join(item.get("subject", "").split()), moment(item["sent_at"])): item["template"]
        for item in items
        if item["sk"].startswith("MESSAGE#") and item.get("status") == "sent"
    }
    templates = [by_subject.get((str(mail["To"]), " ".join(str(mail["Subject"]).split()), mail["Date"].datetime), "unknown") for mail in emails]
    return Observed(posted, journeys(stack), items, emails, templates, list(stack.lambdas.invocations), staff_alerts(stack))


# ----------------------------------------------------------------------------- main
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m infra.demo", description="make demo: run a sample store through every scenario on the local runtime.")
    parser.add_argument("--seed", type=int, default=7, help="the cart mix's seed (default 7): same seed, same store, same summary")
    parser.add_argument("--customers", type=int, default=36, help="customers in the cart mix, half per platform (default 36), besides the fixed cast")
    parser.add_argument("--out", type=Path, default=Path("out/demo"), help="where emails, histories and summary.json go (default out/demo)")
    args = parser.parse_args(argv)
    if args.customers < 2:
        parser.error("--customers must be at least 2 (one per platform)")
    return args


def run(args: argparse.Namespace) -> dict:
    plan = plan_store(seed=args.seed, customers=args.customers, start=START)
    reset_output(args.out)
    (args.out / "catalogue.json").write_text(json.dumps(catalogue_entries(), indent=2, ensure_ascii=False) + "\n")
    with LocalStack(start=START) as stack:
        client = open_store(stack, args.out)
        coupon_pattern()  # import the domain now, with the stack's log level
        posted = inject(stack, client, plan.events)
        stack.clock.run_until(plan.end)
        stack.clock.settle()
        observed = observe(stack, posted)
    summary = summarise(observed, plan, seed=args.seed)
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
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    print(render(summary))
    print(f"report: {args.out / 'summary.json'} (emails in {args.out / 'emails'}, execution histories in {args.out / 'executions'})")
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
