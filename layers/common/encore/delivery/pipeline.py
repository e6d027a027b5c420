"""``deliver_step``: one journey step's message through the delivery steps, in order
(``encore.delivery``): load → eligibility → channel → guards → claim → content → send → record.
What the steps read and write goes through ``storage`` (DynamoDB unless a test passes fakes)."""

from __future__ import annotations

from encore.adapters.email import EmailSender
from encore.adapters.push import PushSender
from encore.adapters.sms import SmsSender
from encore.delivery import channel as channel_step
from encore.delivery import claim, eligibility, guards, load, record
from encore.delivery.content import compose
from encore.delivery.request import CouponIssuer, StepRequest, StepResult, UnsubscribeLinks
from encore.delivery.send import Senders, send
from encore.storage import delivery as delivery_storage
from encore.storage.delivery import DeliveryStorage
from encore.stores import StoreSettings


def deliver_step(
    request: StepRequest,
    *,
    store: StoreSettings,
    email: EmailSender,
    unsubscribe: UnsubscribeLinks | None = None,
    sms: SmsSender | None = None,
    push: PushSender | None = None,
    coupons: CouponIssuer | None = None,
    storage: DeliveryStorage | None = None,
) -> StepResult:
    storage = storage or delivery_storage.on_dynamodb()
    messages = storage.messages
    previous = load.previous_attempt(request, messages)
    if previous is not None and previous.status not in load.ASKED_AGAIN:
        return claim.already_handled(previous, request)
    step = load.load(request, previous, storage.customers)
    exit_reason = eligibility.exit_reason(step, store)
    channel, unreachable = channel_step.choose_channel(request, step.customer, store)
    # The first reason names the skip: unreachable, then an exit rule, then what the message lacks.
    reason = unreachable or exit_reason or eligibility.missing_requirement(step, channel, unsubscribe, store)
    turn = guards.cap_turn(step, messages) if reason is None else None  # read before the guards count
    verdict = guards.verdict(step, store, messages) if reason is None else None
    message = claim.step_record(step, channel or request.channels[0], reason, verdict)
    if not claim.take(message, messages):
        return claim.already_handled(claim.stored(message, messages), request)
    with claim.given_back_on_failure(message, messages):
        message = guards.hold_cap_turn(step, store, message, turn, messages) if message.status == "claimed" else message
    if message.status != "claimed":
        return record.not_sent(message, request)
    assert channel is not None, "a claimed step has its channel: an unreachable one is skipped"
    with claim.given_back_on_failure(message, messages):  # nothing went out until the channel answers
        content = compose(step, message, channel, store, unsubscribe, coupons, storage)
        answer = send(content, step.known_customer, store, step.now, Senders(email, sms, push), storage.customers)
    return record.outcome(message, content, answer, step.now, messages)
