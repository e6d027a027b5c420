"""The delivery steps one at a time, without a table (the in-memory repositories where a step
writes): channel choice and its reasons, rendering into a channel's content (and the named
render error), what a channel failure means (refused: ChannelUnavailable; maybe taken:
Uncertain), and the push token a provider rejects or rotates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError, ReadTimeoutError

from encore.adapters.push import PushReceipt, PushTokenRejected
from encore.delivery.channel import choose_channel
from encore.delivery.content import Content, render
from encore.delivery.coupon import StepCoupon
from encore.delivery.request import ChannelUnavailable, StepRequest
from encore.delivery.send import Accepted, Senders, Uncertain, send
from encore.rendering import TemplateRenderError
from encore.storage.fakes import InMemoryCustomerRecords
from encore.storage.records import ConsentAttribute, Customer
from encore.stores import StoreSettings

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
ALL_ON = StoreSettings.from_dict("shop", {"postal_address": "1 Main St", "channels": {"email": True, "sms": True, "push": True}})
REMINDER = StepRequest(
    store_id="shop", customer_id="c-1", journey="cart-abandonment-shop-c-1-1", step="reminder_1", template="cart_reminder_1", channels=["email", "push", "sms"]
)


def _customer(**fields) -> Customer:
    return Customer("STORE#shop#CUSTOMER#c-1", Customer.sort_key(), store_id="shop", customer_id="c-1", **fields)


# ---------------------------------------------------------------- channel


@pytest.mark.parametrize(
    ("customer", "expected"),
    [
        (_customer(email="a@example.com", accepts_email_marketing=True), ("email", None)),
        (_customer(email="a@example.com", accepts_email_marketing=False, push_token="t", push_platform="GCM"), ("push", None)),
        (_customer(phone="+15555550100", sms_consent=ConsentAttribute(granted=True)), ("sms", None)),
        (_customer(email="a@example.com", accepts_email_marketing=False), (None, "no_marketing_consent")),
        (_customer(email="a@example.com", accepts_email_marketing=True, email_suppressed_reason="hard_bounce"), (None, "suppressed_hard_bounce")),
        (_customer(), (None, "no_email_address")),
        (None, (None, "no_email_address")),
    ],
    ids=["email", "push when email marketing is not allowed", "sms", "no consent", "bounced", "no address", "unknown customer"],
)
def test_the_first_channel_that_can_carry_the_step_or_why_none_can(customer, expected):
    assert choose_channel(REMINDER, customer, ALL_ON) == expected


def test_a_transactional_step_needs_no_consent_and_a_channel_without_its_template_is_passed_over():
    confirmation = REMINDER.model_copy(update={"template": "order_confirmation", "channels": ["push", "email"]})
    customer = _customer(email="a@example.com", push_token="t", push_platform="GCM")
    assert choose_channel(confirmation, customer, ALL_ON) == ("email", None)  # there is no push order confirmation


# ---------------------------------------------------------------- content


CONTEXT = {
    "locale": "en",
    "store": ALL_ON,
    "utm_campaign": "cart-abandonment",
    "customer": {"first_name": "Ada", "last_name": None},
    "cart": {
        "lines": [{"title": "Mug", "quantity": 1, "price_cents": 1250, "url": None, "image_url": None}],
        "total_cents": 1250,
        "currency": "USD",
        "recovery_url": "https://shop.example/cart/1",
    },
    "coupon": None,
    "order_id": None,
    "order_name": None,
    "order": None,
    "products": [],
    "category": None,
    "unsubscribe_url": "https://api.example/u/t",
    "preferences_url": "https://api.example/p/t",
}


def test_each_channel_gets_its_own_content():
    chosen = StepCoupon(None, REMINDER)
    email = render(chosen, "email", CONTEXT, (("List-Unsubscribe", "<https://api.example/u/t>"),))
    assert email.html and "Mug" in email.text and email.headers and email.subject
    push = render(chosen, "push", CONTEXT, ())
    assert push.url == "https://shop.example/cart/1" and push.subject and push.text and push.html == "" and push.headers == ()
    sms = render(chosen, "sms", CONTEXT, ())
    assert sms.subject == sms.text[:78] and sms.html == ""


def test_a_template_error_is_named_not_a_channel_outage():
    with pytest.raises(TemplateRenderError, match="'cart_reminder_1'") as raised:
        render(StepCoupon(None, REMINDER), "email", {**CONTEXT, "cart": None}, ())  # StrictUndefined: cart.lines
    assert not isinstance(raised.value, ChannelUnavailable) and "Ada" not in str(raised.value)


# ---------------------------------------------------------------- send


@dataclass
class FailingOrTaking:
    failure: Exception | None = None
    sent: list = field(default_factory=list)

    def send(self, outgoing):
        if self.failure is not None:
            raise self.failure
        self.sent.append(outgoing)
        return PushReceipt("push-1") if hasattr(outgoing, "device_token") else f"id-{len(self.sent)}"


def _content(channel: str) -> Content:
    return Content(REMINDER, channel, "Your cart", "Your cart is waiting — 1 Mug", html="<p>Mug</p>" if channel == "email" else "")


def test_a_sent_text_records_its_segments():
    sms = FailingOrTaking()
    accepted = send(_content("sms"), _customer(phone="+15555550100"), ALL_ON, NOW, Senders(FailingOrTaking(), sms=sms), InMemoryCustomerRecords())
    assert accepted.provider_message_id == "id-1"
    assert (accepted.sms_encoding, accepted.sms_segments) == ("UCS-2", 1)  # the em dash is not GSM-7
    assert sms.sent[0].message_type == "PROMOTIONAL" and sms.sent[0].body == "Your cart is waiting — 1 Mug"


@pytest.mark.parametrize(
    ("failure", "outcome"),
    [
        (ClientError({"Error": {"Code": "Throttling"}, "ResponseMetadata": {"HTTPStatusCode": 400}}, "SendEmail"), ChannelUnavailable),
        (ConnectTimeoutError(endpoint_url="https://email.example"), ChannelUnavailable),  # never reached the service
        (ReadTimeoutError(endpoint_url="https://email.example"), Uncertain),
        (ClientError({"Error": {"Code": "InternalFailure"}, "ResponseMetadata": {"HTTPStatusCode": 500}}, "SendEmail"), Uncertain),
    ],
    ids=["throttled", "connect timeout", "read timeout", "5xx"],
)
def test_a_refusal_is_retried_and_a_send_that_may_have_been_taken_is_not(failure, outcome):
    senders = Senders(FailingOrTaking(failure))
    if outcome is ChannelUnavailable:
        with pytest.raises(ChannelUnavailable, match="cart_reminder_1 by email"):
            send(_content("email"), _customer(email="a@example.com"), ALL_ON, NOW, senders, InMemoryCustomerRecords())
    else:
        assert send(_content("email"), _customer(email="a@example.com"), ALL_ON, NOW, senders, InMemoryCustomerRecords()) == Uncertain(type(failure).__name__)


def test_a_channel_the_store_has_no_sender_for_is_unavailable():
    with pytest.raises(ChannelUnavailable, match="by push: RuntimeError"):
        send(_content("push"), _customer(push_token="t", push_platform="GCM"), ALL_ON, NOW, Senders(FailingOrTaking()), InMemoryCustomerRecords())
    assert isinstance(
        send(
            _content("push"),
            _customer(push_token="t", push_platform="GCM"),
            ALL_ON,
            NOW,
            Senders(FailingOrTaking(), push=FailingOrTaking()),
            InMemoryCustomerRecords(),
        ),
        Accepted,
    )


@dataclass
class Rotating:
    """A push provider that replaced the device's token (FCM)."""

    def send(self, outgoing):
        return PushReceipt("push-1", updated_token="rotated")


def test_a_rejected_push_token_is_forgotten_and_a_rotated_one_kept():
    records = InMemoryCustomerRecords()
    records.add(_customer(push_token="t", push_platform="GCM"))
    customer = records.customer("shop", "c-1")
    send(_content("push"), customer, ALL_ON, NOW, Senders(FailingOrTaking(), push=Rotating()), records)
    assert records.customer("shop", "c-1").push_token == "rotated"
    with pytest.raises(ChannelUnavailable, match="by push: PushTokenRejected"):  # the Retry falls back to the next channel
        send(
            _content("push"),
            customer,
            ALL_ON,
            NOW,
            Senders(FailingOrTaking(), push=FailingOrTaking(PushTokenRejected("PERMANENT_FAILURE", 410, "token expired"))),
            records,
        )
    assert (records.customer("shop", "c-1").push_token, records.customer("shop", "c-1").push_platform) == (None, None)
