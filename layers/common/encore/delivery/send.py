"""Send: hand the rendered message to its channel. What a failure did decides what follows:
a refusal (throttling, a 4xx, no connection) sent nothing and raises ChannelUnavailable (the
claim goes back and the state's Retry sends it); a failure after the request went out (a
read timeout, a 5xx) may hide an accepted message, so it is reported ``Uncertain`` and the
step is never sent again (``record``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast

from encore.adapters.aws import maybe_applied
from encore.adapters.email import EmailSender, OutgoingEmail
from encore.adapters.push import OutgoingPush, PushPlatform, PushSender, PushTokenRejected
from encore.adapters.sms import OutgoingSms, SmsSender
from encore.delivery.content import Content
from encore.delivery.request import ChannelUnavailable, StepRequest
from encore.messaging import is_marketing
from encore.sms import segments
from encore.storage.customers import CustomerRecords
from encore.storage.records import Customer
from encore.stores import StoreSettings


@dataclass(frozen=True)
class Senders:
    """The channels' adapters; SMS and push are None when the store has none configured."""

    email: EmailSender
    sms: SmsSender | None = None
    push: PushSender | None = None


@dataclass(frozen=True)
class Accepted:
    provider_message_id: str
    # What a text costs (its record keeps it): carriers bill per segment.
    sms_encoding: str | None = None
    sms_segments: int | None = None


@dataclass(frozen=True)
class Uncertain:
    error_name: str  # the request went out and no answer came back


def send(content: Content, customer: Customer, store: StoreSettings, now: datetime, senders: Senders, customers: CustomerRecords) -> Accepted | Uncertain:
    try:
        if content.channel == "sms":
            return send_sms(content, customer, store, now, senders.sms)
        if content.channel == "push":
            return send_push(content, customer, now, senders.push, customers)
        return send_email(content, customer, store, now, senders.email)
    except Exception as error:
        if maybe_applied(error):  # sending again could reach the customer twice
            return Uncertain(type(error).__name__)
        raise ChannelUnavailable(f"{content.request.template} by {content.channel}: {type(error).__name__}") from error


def send_email(content: Content, customer: Customer, store: StoreSettings, now: datetime, email: EmailSender) -> Accepted:
    outgoing = OutgoingEmail(
        sender=store.sender,
        recipient=customer.email,
        subject=content.subject,
        html=content.html,
        text=content.text,
        sent_at=now,
        headers=content.headers,
        tags=tags(content.request),
    )
    return Accepted(email.send(outgoing))


def send_push(content: Content, customer: Customer, now: datetime, push: PushSender | None, customers: CustomerRecords) -> Accepted:
    if push is None:
        raise RuntimeError("no push application configured")
    outgoing = OutgoingPush(
        device_token=customer.push_token,
        platform=cast(PushPlatform, customer.push_platform),
        title=content.subject,
        body=content.text,
        sent_at=now,
        url=content.url,
    )
    try:
        receipt = push.send(outgoing)
    except PushTokenRejected:
        # The app was uninstalled or the token expired: forget it, so the retry falls back
        # to the step's next channel.
        customers.forget_push_token(customer)
        raise
    if receipt.updated_token:  # the provider rotated the token (FCM): keep the new one
        customers.replace_push_token(customer, receipt.updated_token)
    return Accepted(receipt.message_id)


def send_sms(content: Content, customer: Customer, store: StoreSettings, now: datetime, sms: SmsSender | None) -> Accepted:
    if sms is None:
        raise RuntimeError("no SMS sender configured")
    message_type: Literal["PROMOTIONAL", "TRANSACTIONAL"] = "PROMOTIONAL" if is_marketing(content.request.template) else "TRANSACTIONAL"
    outgoing = OutgoingSms(recipient=customer.phone, body=content.text, sent_at=now, message_type=message_type, origination=store.sms_origination)
    provider_id = sms.send(outgoing)
    # What the text costs: carriers bill per segment, and Cyrillic or Hebrew halve its size.
    counted = segments(content.text)
    return Accepted(provider_id, sms_encoding=counted.encoding, sms_segments=counted.segments)


def tags(request: StepRequest) -> tuple[tuple[str, str], ...]:
    """SES message tags: its configuration-set events come back carrying them, which is how
    a bounce or an open finds its customer and step without any look-up."""
    return (("store", request.store_id), ("customer", request.customer_id), ("journey", request.journey), ("step", request.step))
