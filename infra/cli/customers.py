"""``encore customer show STORE CUSTOMER``: one customer's case, as an operator needs it to
answer "why did (or didn't) they get this email?" — contact data masked.

The table gives the profile, consent, messages and the journeys it mentions (through the
layer's ``customer_record``); Step Functions gives each journey's status, current state and
next wake-up (a Wait's end, or a waiting task's timeout, from the state machine's own
definition and the state's input).
"""

from __future__ import annotations

import argparse
import json
import re
from datetime import UTC, datetime, timedelta

from encore.clock import iso, parse_iso
from encore.sms import mask_phone
from infra.cli.context import Context, OperatorError

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")  # as encore.journeys cleans the parts of a name


# ---------------------------------------------------------------------------- masking
def mask_email(address: str | None) -> str:
    """olena@example.com -> o***@e***.com (enough to recognise, not to write to)."""
    if not address or "@" not in address:
        return "-" if not address else "***"
    local, _, domain = address.partition("@")
    name, dot, tld = domain.rpartition(".")
    return f"{local[:1]}***@{(name or tld)[:1]}***{dot}{tld if name else ''}"


# ---------------------------------------------------------------------------- journeys
def _path(document: object, path: str) -> object:
    """A JSONPath reference (``$.a.b``), the only form the state machines use for waits."""
    if path == "$":
        return document
    value = document
    for part in path.removeprefix("$.").split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def next_wake_up(state: dict | None, entered: dict | None) -> datetime | None:
    """When a running journey resumes by itself: the end of its Wait, or the timeout of its
    waiting task (the event it waits for may come first)."""
    if not state or not entered:
        return None
    started = entered["timestamp"]
    state_input = json.loads(entered.get("stateEnteredEventDetails", {}).get("input") or "{}")
    if state.get("InputPath"):
        state_input = _path(state_input, state["InputPath"])
    if state["Type"] == "Wait":
        if "Seconds" in state:
            return started + timedelta(seconds=state["Seconds"])
        if "Timestamp" in state:
            return parse_iso(state["Timestamp"])
        if "SecondsPath" in state:
            seconds = _path(state_input, state["SecondsPath"])
            return started + timedelta(seconds=float(seconds)) if isinstance(seconds, (int, float)) else None
        if "TimestampPath" in state:
            moment = _path(state_input, state["TimestampPath"])
            return parse_iso(moment) if isinstance(moment, str) else None
    if state["Type"] == "Task":
        if "TimeoutSeconds" in state:
            return started + timedelta(seconds=state["TimeoutSeconds"])
        if "TimeoutSecondsPath" in state:
            seconds = _path(state_input, state["TimeoutSecondsPath"])
            return started + timedelta(seconds=float(seconds)) if isinstance(seconds, (int, float)) else None
    return None


class JourneyView:
    def __init__(self, context: Context):
        self.sfn = context.client("stepfunctions")
        self.prefix = context.stack()["journey_arn_prefix"]
        self._definitions: dict[str, dict] = {}

    def arn(self, name: str) -> str | None:
        from encore.journeys import SCENARIOS

        scenario = next((s for s in sorted(SCENARIOS, key=len, reverse=True) if name.startswith(f"{s}-")), None)
        return f"{self.prefix.replace(':stateMachine:', ':execution:')}{scenario}:{name}" if scenario else None

    def listed(self, store_id: str, customer_id: str) -> list[str]:
        """Executions named after this customer in every scenario (names are deterministic:
        ``<scenario>-<store>-<customer>-<key>``; a shortened name is found through the table)."""
        from encore.journeys import SCENARIOS

        found = []
        for scenario in SCENARIOS:
            stem = "-".join(_UNSAFE.sub("_", part) for part in (scenario, store_id, customer_id)) + "-"
            paginator = self.sfn.get_paginator("list_executions")
            try:
                for page in paginator.paginate(stateMachineArn=f"{self.prefix}{scenario}"):
                    found += [e["name"] for e in page["executions"] if e["name"].startswith(stem)]
            except self.sfn.exceptions.StateMachineDoesNotExist:
                continue
        return found

    def _states(self, machine_arn: str) -> dict:
        if machine_arn not in self._definitions:
            definition = json.loads(self.sfn.describe_state_machine(stateMachineArn=machine_arn)["definition"])
            self._definitions[machine_arn] = definition.get("States", {})
        return self._definitions[machine_arn]

    def describe(self, name: str) -> dict | None:
        arn = self.arn(name)
        if arn is None:
            return None
        try:
            execution = self.sfn.describe_execution(executionArn=arn)
        except self.sfn.exceptions.ExecutionDoesNotExist:
            return {"name": name, "machine": arn.split(":")[-2], "status": "GONE (expired or never started)", "state": "", "wake": None, "since": None}
        # Read forwards (moto ignores reverseOrder); a journey's history is a few dozen events.
        history = [event for page in self.sfn.get_paginator("get_execution_history").paginate(executionArn=arn) for event in page["events"]]
        entered = next((event for event in reversed(history) if event["type"].endswith("StateEntered")), None)
        state_name = entered["stateEnteredEventDetails"]["name"] if entered else ""
        wake = None
        if execution["status"] == "RUNNING":
            wake = next_wake_up(self._states(execution["stateMachineArn"]).get(state_name), entered)
        return {
            "name": name,
            "machine": execution["stateMachineArn"].split(":")[-1],
            "status": execution["status"],
            "state": state_name,
            "since": entered["timestamp"] if entered else execution["startDate"],
            "wake": wake,
            "started": execution["startDate"],
            "stopped": execution.get("stopDate"),
        }


# ---------------------------------------------------------------------------- command
def _when(moment: datetime | None) -> str:
    return iso(moment) if moment else "-"


def _consent_line(channel: str, consent) -> str:
    if consent is None:
        return f"  {channel}: never given"
    return f"  {channel}: {'granted' if consent.granted else 'withdrawn'} at {_when(consent.updated_at)} (source {consent.source})"


def _run(args: argparse.Namespace, context: Context) -> int:
    from encore.customers import customer_record
    from encore.messaging import delivery_state

    context.require_store(args.store)
    context.bind_table()
    record = customer_record(args.store, args.customer)
    view = JourneyView(context)
    names = list(dict.fromkeys(record.journeys + view.listed(args.store, args.customer)))
    if record.profile is None and not names:
        raise OperatorError(f"no customer {args.customer!r} in store {args.store!r}")
    profile = record.profile
    print(f"customer {args.customer} of {args.store}")
    if profile is None:
        print("  no profile (erased, or never identified)")
    else:
        name = " ".join(part[:1] + "." for part in (profile.first_name, profile.last_name) if part) or "-"
        print(
            f"  email {mask_email(profile.email)}, phone {mask_phone(profile.phone) if profile.phone else '-'}, name {name}, locale {profile.locale or '-'}, time zone {profile.time_zone or '-'}"
        )
        print(f"  orders {int(profile.orders_count)}, last order {_when(profile.last_order_at)}, updated {_when(profile.updated_at)}")
        print("consent (the latest change per channel, with its source)")
        print(_consent_line("email marketing", profile.email_consent))
        print(_consent_line("sms marketing", profile.sms_consent))
        if profile.email_suppressed_reason:
            print(f"  email suppressed: {profile.email_suppressed_reason} at {_when(profile.email_suppressed_at)}")
        if profile.sms_suppressed_reason:
            print(f"  sms suppressed: {profile.sms_suppressed_reason} at {_when(profile.sms_suppressed_at)}")
        print(f"  push: {'device token on file' if profile.push_token else 'no device token'}")
    print(f"orders ({len(record.orders)})")
    for order in record.orders:
        # The shop's own name first (what the customer quotes), Encore's id for the logs.
        moments = ", ".join(
            f"{label} {_when(moment)}"
            for label, moment in (
                ("placed", order.placed_at),
                ("paid", order.paid_at),
                ("fulfilled", order.fulfilled_at),
                ("delivered", order.delivered_at),
                ("cancelled", order.cancelled_at),
            )
            if moment
        )
        print(f"  {order.display_name} (id {order.order_id}): {moments or 'no moment recorded yet'}")
    print(f"journeys ({len(names)})")
    for name in names:
        journey = view.describe(name)
        if journey is None:
            print(f"  {name}: not a journey name Encore knows")
            continue
        line = f"  {journey['name']} [{journey['machine']}] {journey['status']}"
        if journey["state"]:
            line += f", in {journey['state']!r} since {_when(journey['since'])}"
        if journey["wake"]:
            line += f", next wake-up {_when(journey['wake'])}"
        print(line)
    print(f"messages ({len(record.messages)})")
    now = datetime.now(UTC)
    for message in record.messages:
        state = delivery_state(message, now)
        line = f"  {message.journey} / {message.step}: {message.template} by {message.channel}, {state}"
        if state == "unconfirmed":
            line += " (the provider may have taken it and no event confirmed it: Encore never re-sends it)"
        if message.status == "sent":
            line += f" at {_when(message.sent_at)}"
        elif message.status == "deferred":
            line += f" (held back: {message.deferred_reason}, until {_when(message.deferred_until)})"
        elif message.reason:
            line += f" (reason: {message.reason})"
        if message.deferred_reason and message.status != "deferred":
            line += f"; was held back for {message.deferred_reason}"
        print(line)
    return 0


def register(commands, common) -> None:
    customer = commands.add_parser("customer", help="look into one customer's case").add_subparsers(dest="action", required=True, metavar="ACTION")
    show = customer.add_parser("show", parents=[common], help="profile (masked), consent, journeys with their next wake-up, messages with reasons")
    show.add_argument("store", metavar="STORE")
    show.add_argument("customer", metavar="CUSTOMER")
    show.set_defaults(run=_run)
