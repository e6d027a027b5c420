"""SMS channel: Amazon SNS or AWS End User Messaging SMS behind one small interface, and the
customers' replies (two-way SMS) read back so a STOP becomes a suppression."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from encore.adapters.aws import client
from encore.sms import is_stop_keyword

SmsMessageType = Literal["PROMOTIONAL", "TRANSACTIONAL"]

E164 = re.compile(r"\+[1-9]\d{1,14}")
# Alphanumeric sender IDs (where a country allows them): 1-11 letters and digits, not only digits.
SENDER_ID = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9]{1,11}")
MAX_BODY_CHARACTERS = 1600  # both services refuse a longer body in one request


@dataclass(frozen=True)
class OutgoingSms:
    recipient: str  # E.164, see encore.sms.normalise_phone
    body: str
    sent_at: datetime
    message_type: SmsMessageType = "PROMOTIONAL"
    # Who the message appears to come from: an alphanumeric sender ID ("ShopCo"), an
    # origination number in E.164, or (End User Messaging only) a phone number / pool ID or ARN.
    # None lets the service pick one of the account's identities.
    origination: str | None = None

    def __post_init__(self):
        if not E164.fullmatch(self.recipient):
            raise ValueError("the recipient must be an E.164 number (+<country code><number>)")
        if not self.body.strip() or len(self.body) > MAX_BODY_CHARACTERS:
            raise ValueError(f"an SMS body has 1 to {MAX_BODY_CHARACTERS} characters")
        if self.message_type not in ("PROMOTIONAL", "TRANSACTIONAL"):
            raise ValueError("message_type is PROMOTIONAL or TRANSACTIONAL")


class SmsSender(Protocol):
    def send(self, sms: OutgoingSms) -> str:
        """Hand the message to the provider; return the provider's message id."""
        ...


class SmsRecipientOptedOut(Exception):
    """The provider refuses the number: its owner opted out (replied STOP). Suppress it."""


class SnsSmsSender:
    """``sns.publish`` straight to a phone number (no topic)."""

    def __init__(self, sns=None):
        self._sns = sns  # injected in tests; the shared, lazily created client otherwise

    def send(self, sms: OutgoingSms) -> str:
        attributes = {"AWS.SNS.SMS.SMSType": _string(sms.message_type.capitalize())}  # "Promotional" / "Transactional"
        if sms.origination and E164.fullmatch(sms.origination):
            attributes["AWS.MM.SMS.OriginationNumber"] = _string(sms.origination)
        elif sms.origination and SENDER_ID.fullmatch(sms.origination):
            attributes["AWS.SNS.SMS.SenderID"] = _string(sms.origination)
        elif sms.origination:
            raise ValueError("SNS takes an alphanumeric sender ID or an E.164 origination number")
        sns = self._sns or client("sns")
        return sns.publish(PhoneNumber=sms.recipient, Message=sms.body, MessageAttributes=attributes)["MessageId"]


class EndUserMessagingSmsSender:
    """``pinpoint-sms-voice-v2`` SendTextMessage. The configuration set routes delivery
    events (delivered, failed, opted out) to an event destination."""

    def __init__(self, configuration_set: str | None = None, sms_voice=None):
        self.configuration_set = configuration_set
        self._sms_voice = sms_voice

    def send(self, sms: OutgoingSms) -> str:
        request = {"DestinationPhoneNumber": sms.recipient, "MessageBody": sms.body, "MessageType": sms.message_type}
        if sms.origination:
            request["OriginationIdentity"] = sms.origination
        if self.configuration_set:
            request["ConfigurationSetName"] = self.configuration_set
        sms_voice = self._sms_voice or client("pinpoint-sms-voice-v2")
        try:
            return sms_voice.send_text_message(**request)["MessageId"]
        except sms_voice.exceptions.ConflictException as error:
            if error.response.get("Reason") == "DESTINATION_PHONE_NUMBER_OPTED_OUT":
                raise SmsRecipientOptedOut("the recipient is on the account's opt-out list") from None
            raise


def _string(value: str) -> dict:
    return {"DataType": "String", "StringValue": value}


@dataclass(frozen=True)
class InboundSms:
    """A customer's reply, as End User Messaging SMS publishes it to the two-way SNS topic."""

    sender: str  # the customer's number, E.164
    recipient: str  # our number the customer replied to
    body: str
    keyword: str | None  # the registered keyword AWS matched, if any
    inbound_message_id: str
    replying_to: str | None  # the message id of ours the customer answered

    @property
    def is_opt_out(self) -> bool:
        return is_stop_keyword(self.body) or is_stop_keyword(self.keyword)

    @classmethod
    def from_sns_message(cls, message: str | Mapping) -> InboundSms:
        """``message`` is the SNS notification's ``Message`` (a JSON string) or its parsed form."""
        payload = json.loads(message) if isinstance(message, str) else message
        return cls(
            sender=payload["originationNumber"],
            recipient=payload["destinationNumber"],
            body=payload.get("messageBody") or "",
            keyword=payload.get("messageKeyword") or None,
            inbound_message_id=payload["inboundMessageId"],
            replying_to=payload.get("previousPublishedMessageId") or None,
        )
