"""What the channels report back. SES configuration-set events (through EventBridge): hard
bounces and complaints suppress the address; deliveries, opens and clicks are recorded on the
message and the customer's engagement. SMS replies (End User Messaging two-way SMS through
SNS): a STOP in any of the store's languages suppresses the number and withdraws SMS consent.

Every email Encore sends carries SES message tags naming its store, customer, journey and
step (``encore.delivery.send.tags``), and SES puts them on each event: no look-up by address is
needed, and an event about mail Encore did not send is ignored.

Any event about a message proves SES accepted it: a step recorded ``uncertain`` (the send's
answer was lost) or left ``claimed`` (the function died before recording the send) becomes
``sent`` with the provider's id when the first event about it arrives (usually "Send").
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel
from pynamodb.exceptions import UpdateError

from encore.adapters.bus import EventPublisher
from encore.adapters.sms import InboundSms
from encore.clock import first_known_zone
from encore.consent_sync import announce_withdrawal
from encore.customers import upsert_customer
from encore.events import Consent, CustomerRef
from encore.guards import learned_active_hour
from encore.models import Customer, Message, PhoneIdentity, condition_failed, customer_key
from encore.observability import logger

EventType = Literal["Send", "Delivery", "Bounce", "Complaint", "Open", "Click", "Reject", "DeliveryDelay", "RenderingFailure", "Subscription"]


class _Mail(BaseModel):
    messageId: str
    timestamp: datetime
    tags: dict[str, list[str]] = {}


class _Moment(BaseModel):
    timestamp: datetime


class _Bounce(_Moment):
    bounceType: str  # Permanent | Transient | Undetermined
    bounceSubType: str | None = None


class SesEvent(BaseModel):
    """The ``detail`` of an SES event on EventBridge (same shape as its SNS record)."""

    eventType: EventType
    mail: _Mail
    bounce: _Bounce | None = None
    complaint: _Moment | None = None
    delivery: _Moment | None = None
    open: _Moment | None = None
    click: _Moment | None = None

    def tag(self, name: str) -> str | None:
        values = self.mail.tags.get(name) or []
        return values[0] if values else None


def _set_once(message: Message, attribute, moment: datetime) -> None:
    try:
        message.update(actions=[attribute.set(moment)], condition=Message.pk.exists() & attribute.does_not_exist())
    except UpdateError as error:
        if not condition_failed(error):
            raise  # repeated event, or a message this table does not know: nothing to do


def _suppress(profile: Customer, reason: str, moment: datetime) -> None:
    profile.update(
        actions=[Customer.email_suppressed_reason.set(reason), Customer.email_suppressed_at.set(moment)],
        condition=Customer.pk.exists(),
    )


def _learn_active_hour(pk: str) -> None:
    """The local hour this customer most often opens or clicks, from their messages (one
    Query on their partition); campaigns send at it (guards.next_campaign_slot)."""
    customer = Customer.get(pk, Customer.sort_key())
    if not customer.time_zone:
        return  # a local hour needs the customer's own time zone
    engaged = [
        moment for message in Message.query(pk, Message.sk.startswith("MESSAGE#")) for moment in (message.opened_at, message.clicked_at) if moment is not None
    ]
    hour = learned_active_hour(engaged, first_known_zone(customer.time_zone))
    if hour is not None and hour != customer.active_hour:
        customer.update(actions=[Customer.active_hour.set(hour)])


# Events that prove SES took the message (Reject and RenderingFailure prove the opposite).
_ACCEPTED = {"Send", "Delivery", "Bounce", "Complaint", "Open", "Click", "DeliveryDelay"}


def _settle(message: Message, event: SesEvent) -> bool:
    """An uncertain or unrecorded send becomes sent; True if this event settled it."""
    try:
        message.update(
            actions=[
                Message.status.set("sent"),
                Message.provider_message_id.set(event.mail.messageId),
                Message.sent_at.set(event.mail.timestamp),
                Message.uncertain_since.remove(),
            ],
            condition=Message.status.is_in("uncertain", "claimed"),
        )
        return True
    except UpdateError as error:
        if not condition_failed(error):
            raise
        return False


def apply_email_event(event: SesEvent) -> str:
    """Returns what was done, for the log and the tests."""
    store_id, customer_id, journey, step = (event.tag(name) for name in ("store", "customer", "journey", "step"))
    if not (store_id and customer_id and journey and step):
        return "ignored: not sent by Encore"
    pk = customer_key(store_id, customer_id)
    message = Message(pk, Message.sort_key(journey, step))
    profile = Customer(pk, Customer.sort_key())
    outcome = event.eventType.lower()
    settled = event.eventType in _ACCEPTED and _settle(message, event)
    try:
        if event.eventType == "Send":
            outcome = "settled: sent" if settled else "send"
        elif event.eventType == "Bounce" and event.bounce:
            _set_once(message, Message.bounced_at, event.bounce.timestamp)
            if event.bounce.bounceType == "Permanent":
                _suppress(profile, "hard_bounce", event.bounce.timestamp)
                outcome = "suppressed: hard bounce"
        elif event.eventType == "Complaint" and event.complaint:
            _set_once(message, Message.complained_at, event.complaint.timestamp)
            _suppress(profile, "complaint", event.complaint.timestamp)
            outcome = "suppressed: complaint"
        elif event.eventType == "Delivery" and event.delivery:
            _set_once(message, Message.delivered_at, event.delivery.timestamp)
        elif event.eventType in ("Open", "Click"):
            moment = (event.open or event.click).timestamp  # type: ignore[union-attr]
            _set_once(message, Message.opened_at if event.eventType == "Open" else Message.clicked_at, moment)
            profile.update(
                actions=[Customer.last_engaged_at.set(moment)],
                condition=Customer.pk.exists() & (Customer.last_engaged_at.does_not_exist() | (Customer.last_engaged_at < moment)),
            )
            _learn_active_hour(pk)
        else:
            outcome = f"ignored: {event.eventType}"
    except UpdateError as error:
        if not condition_failed(error):
            raise
        outcome = f"{outcome} (already recorded or unknown customer)"
    logger.info("email event", extra={"event_type": event.eventType, "journey": journey, "step": step, "outcome": outcome})
    return outcome


SMS_STOP_SOURCE = "sms:stop-keyword"


def apply_sms_reply(reply: InboundSms, *, now: datetime, publisher: EventPublisher | None = None) -> int:
    """Returns how many customer profiles the reply suppressed (a number may belong to
    customers of several stores on this stack: STOP to our number means all of them).
    Each withdrawal is announced for the customer's shop (``consent_sync``)."""
    if not reply.is_opt_out:
        return 0
    suppressed = 0
    for identity in PhoneIdentity.query(f"PHONE#{reply.sender}"):
        pk = customer_key(identity.store_id, identity.customer_id)
        ref = CustomerRef(customer_id=identity.customer_id, sms_consent=Consent(granted=False, source=SMS_STOP_SOURCE, updated_at=now))
        upsert_customer(identity.store_id, ref, now)
        Customer(pk, Customer.sort_key()).update(actions=[Customer.sms_suppressed_reason.set("stop_keyword"), Customer.sms_suppressed_at.set(now)])
        announce_withdrawal(identity.store_id, identity.customer_id, "sms", SMS_STOP_SOURCE, now, publisher=publisher)
        suppressed += 1
    logger.info("sms reply", extra={"opt_out": True, "profiles": suppressed})
    return suppressed
