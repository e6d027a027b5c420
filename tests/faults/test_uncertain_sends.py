"""Defects 6 and 7: a send whose answer was lost is never sent again; a send whose record a
crash cut short still counts against the frequency cap.

Defect 6: SES accepts the email, the answer is lost (read timeout): the step is recorded
``uncertain``, not sent again; SES's own "Send" event (configuration set, tagged with the step)
settles it as sent with the provider's id; one nothing settles in 24 h is ``unconfirmed``.
Defect 7: the function dies between SES accepting and the record: the claim stays, counts
against the cap, and the journey goes on.
"""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest

from infra.local.faults import FaultInjector, FaultRates, async_function_names
from tests.conftest import STORE_ID

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
CUSTOMER = "603851970716743426"  # tests/events/shopify_checkouts_update.json and orders_create.json


class _FirstSend:
    """Fails the first SendEmail of a journey of this scenario (by its SES message tags)."""

    def __init__(self, fault: str, scenario: str):
        self.fault, self.scenario, self.done = fault, scenario, False

    def __call__(self, function: str, operation: str, params: dict) -> str | None:
        if self.done or operation != "SendEmail":
            return None
        journeys = [tag["Value"] for tag in params.get("EmailTags", []) if tag["Name"] == "journey"]
        if not journeys or not journeys[0].startswith(f"{self.scenario}-"):
            return None
        self.done = True
        return self.fault


def _inject(harness, decide) -> FaultInjector:
    return FaultInjector(harness.stack.lambdas, FaultRates(), async_functions=async_function_names(harness.stack), decide=decide).install()


def _messages(harness, prefix: str) -> list[dict]:
    return [harness.item(item["pk"]["S"], item["sk"]["S"]) for item in harness.table_items() if item["sk"]["S"].startswith(f"MESSAGE#{prefix}")]


def _ses_event(harness, detail_type: str, event_type: str, record: dict, message_id: str) -> None:
    tags = {
        "ses:configuration-set": ["encore-email"],
        "store": [STORE_ID],
        "customer": [record["customer_id"]],
        "journey": [record["journey"]],
        "step": [record["step"]],
    }
    detail = {"eventType": event_type, "mail": {"timestamp": harness.now().isoformat(), "messageId": message_id, "tags": tags}}
    if event_type == "Send":
        detail["send"] = {}
    boto3.client("events").put_events(Entries=[{"Source": "aws.ses", "DetailType": detail_type, "Detail": json.dumps(detail)}])
    harness.clock.settle()


def test_a_send_whose_answer_is_lost_is_not_sent_again_and_the_ses_send_event_settles_it(harness):
    harness.checkout()
    injector = _inject(harness, _FirstSend("ses_response_lost", "cart-abandonment"))
    try:
        harness.run_until(3 * HOUR)  # the reminder is due at +1 h; ChannelUnavailable retries after 60 s
    finally:
        injector.uninstall()
    assert len(harness.emails()) == 1  # SES accepted it once; never again (no record names its id yet)
    from encore.messaging import unconfirmed_messages

    (reminder,) = [record for record in _messages(harness, "cart-abandonment-") if record["step"] == "reminder_1"]
    assert reminder["status"] == "uncertain" and "ReadTimeoutError" in reminder["reason"]
    assert [m.step for m in unconfirmed_messages(STORE_ID, CUSTOMER, harness.now())] == []
    assert [m.step for m in unconfirmed_messages(STORE_ID, CUSTOMER, harness.now() + DAY)] == ["reminder_1"]

    _ses_event(harness, "Email Sent", "Send", reminder, "0100019a-settled")
    settled = harness.item(f"STORE#{STORE_ID}#CUSTOMER#{CUSTOMER}", f"MESSAGE#{reminder['journey']}#reminder_1")
    assert (settled["status"], settled["provider_message_id"]) == ("sent", "0100019a-settled")
    assert unconfirmed_messages(STORE_ID, CUSTOMER, harness.now() + DAY) == []

    harness.run_until(4 * DAY)  # the journey went on: reminders 2 and 3 as without the fault
    assert len(harness.emails()) == 3


@pytest.mark.handler_errors_expected  # the crashed invocation
def test_a_crash_between_send_and_record_counts_against_the_cap_and_the_journey_goes_on(harness):
    """A first order starts the welcome series (priority 2) and cross-sell (3): under the
    default cap (one journey a week) only the welcome series may write. The welcome email's
    record is cut short by a crash: it must still hold the customer's week."""
    from encore.catalogue import import_catalogue

    shirt, trousers = "632910392", "632910501"
    harness.configure_store({}, None)
    import_catalogue(
        STORE_ID,
        [
            {"product_id": shirt, "title": "Linen shirt", "category": "shirts", "product_type": "apparel", "price_cents": 4900, "complements": [trousers]},
            {"product_id": trousers, "title": "Linen trousers", "category": "trousers", "product_type": "apparel", "price_cents": 6900},
        ],
        imported_at=harness.now(),
    )
    crash = _FirstSend("crash_after_send", "welcome-series")
    injector = _inject(harness, crash)
    try:
        harness.order()
        harness.run_until(HOUR)
    finally:
        injector.uninstall()
    assert crash.done
    harness.run_until(10 * DAY)

    records = _messages(harness, "")
    crashed = [record for record in records if record["status"] == "claimed"]
    assert len(crashed) == 1, [(r["journey"], r["step"], r["status"]) for r in records]
    assert harness.emails("cross-sell") == [], "cross-sell mailed in the week the crashed send holds"
    # The journey whose send crashed went on to its later steps.
    journey = crashed[0]["journey"]
    assert any(record["journey"] == journey and record["step"] != crashed[0]["step"] and record["status"] == "sent" for record in records)


@pytest.mark.handler_errors_expected  # the throttled invocation fails, the state's Retry succeeds
def test_a_failure_between_the_claim_and_the_send_gives_the_claim_back_and_the_step_is_sent_once(harness):
    """Reminder 3 takes its code from the shop's stock in a transaction after the step is
    claimed: throttled there, nothing went out, so the retry must send it (it once took the
    claim left behind for a send and moved on without mailing anything)."""
    from tests.faults.test_order_retries import _inject, _NthCall

    harness.checkout()
    harness.run_until(71 * HOUR)
    assert len(harness.emails("cart-abandonment")) == 2
    plan = _NthCall("SendMessage", "dynamodb_throttled", 1, lambda operation, _: operation == "TransactWriteItems")
    injector = _inject(harness, plan)
    try:
        harness.run_until(74 * HOUR)
    finally:
        injector.uninstall()
    assert plan.failed, "reminder 3 took no code in a transaction"
    reminders = harness.emails("cart-abandonment")
    assert [mail["Subject"] for mail in reminders].count("10% off your cart, just for you") == 1, [mail["Subject"] for mail in reminders]
