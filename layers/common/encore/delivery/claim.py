"""Claim: the step's record, written with a condition keyed by journey and step before the
channel is called. A retried Lambda, a Step Functions Retry or a redriven execution finds the
claim and sends nothing more. A step skipped or held back is recorded the same way.

While this invocation holds the claim and nothing went out, any failure gives it back
(``given_back_on_failure``) so the state's Retry sends the message; a claim left behind
would read as "sent" to the retry, which would then send nothing.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from encore.adapters.aws import transient
from encore.channels import ChannelName
from encore.delivery.load import LoadedStep
from encore.delivery.request import StepRequest, StepResult
from encore.guards import Verdict
from encore.observability import logger
from encore.storage.messages import MessageStore
from encore.storage.records import Message

GIVE_BACK_ATTEMPTS = 4
GIVE_BACK_PAUSE_SECONDS = 0.05

# A step found in one of these went out, or may have: the journey goes on as if it was sent.
PROBABLY_SENT = frozenset({"sent", "claimed", "uncertain"})


def step_record(step: LoadedStep, channel: ChannelName, reason: str | None, verdict: Verdict | None) -> Message:
    """The record to write: claimed (to be sent), skipped (``reason``) or deferred (``verdict``)."""
    request = step.request
    message = Message(
        step.pk,
        step.sk,
        store_id=request.store_id,
        customer_id=request.customer_id,
        journey=request.journey,
        step=request.step,
        template=request.template,
        channel=channel,
        claimed_at=step.now,
        first_attempt_at=step.first_attempt_at,
        claim_attempt=uuid.uuid4().hex,
    )
    if step.previous is not None:  # held back before: keep the record of why and until when
        message.deferred_reason, message.deferred_until = step.previous.deferred_reason, step.previous.deferred_until
        message.coupon_failure_reason = step.previous.coupon_failure_reason  # an earlier try the shop gave no code
    if verdict is not None and verdict.deferred:
        message.status, message.reason = "deferred", verdict.reason
        message.deferred_reason, message.deferred_until = verdict.reason, verdict.defer_until
        return message
    reason = reason or (verdict.reason if verdict is not None and not verdict.allowed else None)
    message.status, message.reason = ("skipped" if reason else "claimed"), reason
    return message


def take(message: Message, messages: MessageStore) -> bool:
    """Write the record unless the step was handled already; True when this call's record is stored.
    A step may be (re)claimed while nothing was sent for it yet: first try, after a deferral, or
    while it awaits the shop's coupon (on_coupon_failure: "retry"); ``MessageStore.claim``."""
    with given_back_on_failure(message, messages):  # the put may have been applied before its failure
        return messages.claim(message)


def replace(claimed: Message, record: Message, messages: MessageStore) -> Message:
    """This invocation's claim becomes ``record`` (held back after all), only while the claim is
    still its own; nothing went out for the step."""
    record.claim_attempt = uuid.uuid4().hex
    if not messages.replace_claim(claimed, record):
        raise RuntimeError(f"the claim of {claimed.sk} was taken over while it was held back")
    return record


def stored(message: Message, messages: MessageStore) -> Message:
    return messages.stored(message.pk, message.sk)


@contextmanager
def given_back_on_failure(message: Message, messages: MessageStore) -> Iterator[Message]:
    """On any failure while this invocation still holds the claim, give it back (only its own:
    nothing went out for the step) and re-raise. A record that moved on (``awaiting_coupon``,
    ``uncertain``) is the step's truth: kept."""
    try:
        yield message
    except Exception:
        if message.status == "claimed":
            give_back(message, messages)
        raise


def give_back(message: Message, messages: MessageStore) -> None:
    """A claim left behind reads as sent to the state's retry, which would then send nothing: a
    give-back that meets a transient failure (a throttled delete) is tried again, a moment
    later, before its error goes up (found by make bench-faults: SES throttled, then the
    give-back throttled, and the reminder was never sent)."""
    for attempt in range(GIVE_BACK_ATTEMPTS):
        try:
            messages.give_back(message)
            return
        except Exception as error:
            if attempt == GIVE_BACK_ATTEMPTS - 1 or not transient(error):
                raise
            time.sleep(GIVE_BACK_PAUSE_SECONDS * 2**attempt)


def already_handled(existing: Message, request: StepRequest) -> StepResult:
    logger.info("step already handled", extra={"journey": request.journey, "step": request.step, "status": existing.status})
    return StepResult(sent=existing.status in PROBABLY_SENT, reason=f"already_{existing.status}", coupon_code=existing.coupon_code)
