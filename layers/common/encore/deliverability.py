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

from encore.adapters.bus import EventPublisher
from encore.adapters.sms import InboundSms
from encore.clock import first_known_zone
from encore.consent_sync import announce_withdrawal
from encore.customers import upsert_customer
from encore.events import Consent, CustomerRef
from encore.guards import learned_active_hour
from encore.observability import logger
from encore.storage import customer_state
from encore.storage.customer_state import CustomerStorage
from encore.storage.message_events import MessageMoment, MessageRef

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


def _learn_active_hour(store_id: str, customer_id: str, storage: CustomerStorage) -> None:
    """The local hour this customer most often opens or clicks, from their messages (one
    Query on their partition); campaigns send at it (guards.next_campaign_slot)."""
    customer = storage.profiles.profile(store_id, customer_id)
    if customer is None or not customer.time_zone:
        return  # a local hour needs the customer's own time zone
    hour = learned_active_hour(storage.message_events.engagement_moments(store_id, customer_id), first_known_zone(customer.time_zone))
    if hour is not None and hour != customer.active_hour:
        storage.profiles.set_active_hour(customer, hour)


# Events that prove SES took the message (Reject and RenderingFailure prove the opposite).
_ACCEPTED = {"Send", "Delivery", "Bounce", "Complaint", "Open", "Click", "DeliveryDelay"}
_ENGAGEMENT_MOMENT: dict[str, MessageMoment] = {"Open": "opened_at", "Click": "clicked_at"}
# An event whose write on the profile found no profile, or a later engagement on file.
_NOT_APPLIED = "(already recorded or unknown customer)"


def apply_email_event(event: SesEvent, *, storage: CustomerStorage | None = None) -> str:
    """Returns what was done, for the log and the tests."""
    storage = storage or customer_state.on_dynamodb()
    store_id, customer_id, journey, step = (event.tag(name) for name in ("store", "customer", "journey", "step"))
    if not (store_id and customer_id and journey and step):
        return "ignored: not sent by Encore"
    message = MessageRef(store_id, customer_id, journey, step)
    events, profiles = storage.message_events, storage.profiles
    outcome = event.eventType.lower()
    # Any event about a message proves SES accepted it: an uncertain or unrecorded send is sent.
    settled = event.eventType in _ACCEPTED and events.settle_send(message, event.mail.messageId, event.mail.timestamp)
    # Each moment is kept once: a repeated event, or one about a message this table does not
    # know, changes nothing on the message.
    if event.eventType == "Send":
        outcome = "settled: sent" if settled else "send"
    elif event.eventType == "Bounce" and event.bounce:
        events.note_first(message, "bounced_at", event.bounce.timestamp)
        if event.bounce.bounceType == "Permanent":
            suppressed = profiles.suppress_email(store_id, customer_id, "hard_bounce", event.bounce.timestamp)
            outcome = "suppressed: hard bounce" if suppressed else f"{outcome} {_NOT_APPLIED}"
    elif event.eventType == "Complaint" and event.complaint:
        events.note_first(message, "complained_at", event.complaint.timestamp)
        suppressed = profiles.suppress_email(store_id, customer_id, "complaint", event.complaint.timestamp)
        outcome = "suppressed: complaint" if suppressed else f"{outcome} {_NOT_APPLIED}"
    elif event.eventType == "Delivery" and event.delivery:
        events.note_first(message, "delivered_at", event.delivery.timestamp)
    elif event.eventType in _ENGAGEMENT_MOMENT:
        moment = (event.open or event.click).timestamp  # type: ignore[union-attr]
        events.note_first(message, _ENGAGEMENT_MOMENT[event.eventType], moment)
        if profiles.note_engaged(store_id, customer_id, moment):
            _learn_active_hour(store_id, customer_id, storage)
        else:
            outcome = f"{outcome} {_NOT_APPLIED}"
    else:
        outcome = f"ignored: {event.eventType}"
    logger.info("email event", extra={"event_type": event.eventType, "journey": journey, "step": step, "outcome": outcome})
    return outcome


SMS_STOP_SOURCE = "sms:stop-keyword"


def apply_sms_reply(reply: InboundSms, *, now: datetime, publisher: EventPublisher | None = None, storage: CustomerStorage | None = None) -> int:
    """Returns how many customer profiles the reply suppressed (a number may belong to
    customers of several stores on this stack: STOP to our number means all of them).
    Each withdrawal is announced for the customer's shop (``consent_sync``)."""
    if not reply.is_opt_out:
        return 0
    storage = storage or customer_state.on_dynamodb()
    suppressed = 0
    for store_id, customer_id in storage.profiles.customers_with_phone(reply.sender):
        ref = CustomerRef(customer_id=customer_id, sms_consent=Consent(granted=False, source=SMS_STOP_SOURCE, updated_at=now))
        upsert_customer(store_id, ref, now, storage=storage)
        storage.profiles.suppress_sms(store_id, customer_id, "stop_keyword", now)
        announce_withdrawal(store_id, customer_id, "sms", SMS_STOP_SOURCE, now, publisher=publisher)
        suppressed += 1
    logger.info("sms reply", extra={"opt_out": True, "profiles": suppressed})
    return suppressed
