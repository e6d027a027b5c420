"""Record: what the step's record keeps once the channel answered (or did not), and what the
operator sees of it. An uncertain send is never sent again: the channel's events settle it
(``deliverability``), and one no event settles within ``UNCONFIRMED_AFTER`` is shown to the
operator as ``unconfirmed``."""

from __future__ import annotations

from datetime import datetime, timedelta

from encore import signals
from encore.clock import iso
from encore.delivery.content import Content
from encore.delivery.request import StepRequest, StepResult
from encore.delivery.send import Accepted, Uncertain
from encore.guards import scenario_of
from encore.observability import logger
from encore.storage import delivery as delivery_storage
from encore.storage.messages import MessageStore, SentMessage
from encore.storage.records import Message, customer_key

UNCONFIRMED_AFTER = timedelta(hours=24)  # an uncertain send no channel event settled by then


def not_sent(message: Message, request: StepRequest) -> StepResult:
    """A step recorded as held back (deferred) or skipped: say so, and what the journey does."""
    extra = {"scenario": scenario_of(request.journey), "journey": request.journey, "step": request.step, "reason": message.reason}
    if message.status == "deferred":
        logger.info("step held back", extra=extra)
        signals.count("MessagesHeld", message.channel, 1, **extra)
        return StepResult(sent=False, reason=message.reason, deferred_until=iso(message.deferred_until))
    logger.info("step skipped", extra=extra)
    signals.count("MessagesSkipped", message.channel, 1, **extra)
    return StepResult(sent=False, reason=message.reason)


def outcome(message: Message, content: Content, answer: Accepted | Uncertain, now: datetime, messages: MessageStore) -> StepResult:
    if isinstance(answer, Uncertain):
        return uncertain(message, content, answer, now, messages)
    return sent(message, content, answer, now, messages)


def sent(message: Message, content: Content, accepted: Accepted, now: datetime, messages: MessageStore) -> StepResult:
    # A crash between the accepted send and this update leaves the claim: the step is not
    # sent again and counts as sent.
    code = content.issued_coupon_code
    recorded = SentMessage(content.subject, accepted.provider_message_id, now, code, accepted.sms_encoding, accepted.sms_segments)
    messages.record_sent(message, recorded)
    request = content.request
    extra = {"scenario": scenario_of(request.journey), "journey": request.journey, "step": request.step, "template": request.template}
    logger.info("message sent", extra={**extra, "channel": content.channel})
    signals.count("MessagesSent", content.channel, 1, **extra)
    return StepResult(sent=True, reason="sent", coupon_code=code)


def uncertain(message: Message, content: Content, answer: Uncertain, now: datetime, messages: MessageStore) -> StepResult:
    """The channel may have taken the message: the step stays taken, marked uncertain (unless
    an event settled it already: either way the step is taken, which is all that matters)."""
    code, channel = content.issued_coupon_code, content.channel
    messages.record_uncertain(message, f"{channel}: {answer.error_name}", now, code)
    request = content.request
    logger.warning(
        "send uncertain",
        extra={"scenario": scenario_of(request.journey), "journey": request.journey, "step": request.step, "channel": channel, "error": answer.error_name},
    )
    return StepResult(sent=True, reason="uncertain", coupon_code=code)


def delivery_state(message: Message, now: datetime) -> str:
    """What the operator sees for a step: its status, except that an uncertain send no event
    settled within UNCONFIRMED_AFTER is ``unconfirmed`` (never re-sent automatically)."""
    since = message.uncertain_since or message.claimed_at
    if message.status == "uncertain" and since is not None and now - since >= UNCONFIRMED_AFTER:
        return "unconfirmed"
    return message.status


def unconfirmed_messages(store_id: str, customer_id: str, now: datetime, messages: MessageStore | None = None) -> list[Message]:
    """A customer's sends that may or may not have reached them (one Query on their partition)."""
    store = messages or delivery_storage.on_dynamodb().messages  # the operator's tools read the table
    return [message for message in store.uncertain(customer_key(store_id, customer_id)) if delivery_state(message, now) == "unconfirmed"]
