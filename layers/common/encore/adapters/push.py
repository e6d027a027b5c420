"""Push channel: AWS End User Messaging Push (the Pinpoint ``SendMessages`` API) behind one
small interface. moto does not implement that API: the local stack and the tests answer it
from ``infra.local.push.FakePushService``, which lives outside the layer so that no fake ships.

Pinpoint's journeys and campaigns are gone (end of support 2026-10-30); its direct-send API
for push lives on as End User Messaging Push and is all Encore uses: one device token per
request, sent to ``Addresses``, never to Pinpoint endpoints or segments.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol
from urllib.parse import urlsplit

from encore.adapters.aws import client

PushPlatform = Literal["APNS", "APNS_SANDBOX", "GCM", "ADM", "BAIDU"]

# The MessageConfiguration member each channel reads (APNs sandbox shares the APNs one; GCM is FCM).
MESSAGE_KEYS: dict[str, str] = {
    "APNS": "APNSMessage",
    "APNS_SANDBOX": "APNSMessage",
    "GCM": "GCMMessage",
    "ADM": "ADMMessage",
    "BAIDU": "BaiduMessage",
}


@dataclass(frozen=True)
class OutgoingPush:
    device_token: str
    platform: PushPlatform
    title: str
    body: str
    sent_at: datetime
    url: str | None = None  # https://… opens the browser; any other scheme (shop://cart/42) is an app deep link
    data: Mapping[str, str] = field(default_factory=dict)  # custom key-values the app reads

    def __post_init__(self):
        if self.platform not in MESSAGE_KEYS:
            raise ValueError(f"platform is one of {', '.join(MESSAGE_KEYS)}")
        if not self.device_token:
            raise ValueError("a push needs a device token")

    def message(self) -> dict:
        """The channel's message configuration (APNSMessage, GCMMessage, …)."""
        message: dict[str, object] = {"Title": self.title, "Body": self.body, "Action": _action(self.url)}
        if self.url:
            message["Url"] = self.url
        if self.data:
            message["Data"] = {str(key): str(value) for key, value in self.data.items()}
        return message


def _action(url: str | None) -> str:
    if not url:
        return "OPEN_APP"
    return "URL" if urlsplit(url).scheme in ("http", "https") else "DEEP_LINK"


@dataclass(frozen=True)
class PushReceipt:
    message_id: str
    updated_token: str | None = None  # FCM replaced the token: store this one instead of the old


class PushSender(Protocol):
    def send(self, push: OutgoingPush) -> PushReceipt: ...


class PushNotDelivered(Exception):
    """The provider did not take the push. Subclasses say what the caller should do."""

    retryable = False

    def __init__(self, delivery_status: str, status_code: int | None, status_message: str | None):
        super().__init__(f"{delivery_status} ({status_code}): {status_message or 'no detail'}")
        self.delivery_status = delivery_status
        self.status_code = status_code
        self.status_message = status_message


class PushTokenRejected(PushNotDelivered):
    """The token is dead (app uninstalled, token expired or malformed) or its owner opted out:
    suppress this token, never send to it again."""


class PushChannelMisconfigured(PushNotDelivered):
    """APNs / FCM refused our credentials (401 / 403): every token fails the same way, so do
    not suppress tokens; the store's push channel needs fixing."""


class PushTemporarilyFailed(PushNotDelivered):
    """Throttled or a passing provider failure: retry later (the journey's Retry does)."""

    retryable = True


class EndUserMessagingPushSender:
    def __init__(self, application_id: str, pinpoint=None):
        self.application_id = application_id  # the End User Messaging Push (Pinpoint) project id
        self._pinpoint = pinpoint  # a boto3 "pinpoint" client, or in tests infra.local.push's fake

    def send(self, push: OutgoingPush) -> PushReceipt:
        pinpoint = self._pinpoint or client("pinpoint")
        response = pinpoint.send_messages(
            ApplicationId=self.application_id,
            MessageRequest={
                "Addresses": {push.device_token: {"ChannelType": push.platform}},
                "MessageConfiguration": {MESSAGE_KEYS[push.platform]: push.message()},
            },
        )
        result = response["MessageResponse"].get("Result", {}).get(push.device_token)
        if result is None:
            raise PushTemporarilyFailed("UNKNOWN_FAILURE", None, "no result for the token in the response")
        status, code, detail = result["DeliveryStatus"], result.get("StatusCode"), result.get("StatusMessage")
        if status == "SUCCESSFUL":
            return PushReceipt(message_id=result.get("MessageId", ""), updated_token=result.get("UpdatedToken") or None)
        if status in ("PERMANENT_FAILURE", "OPT_OUT"):
            if code in (401, 403):
                raise PushChannelMisconfigured(status, code, detail)
            raise PushTokenRejected(status, code, detail)
        if status in ("TEMPORARY_FAILURE", "THROTTLED", "UNKNOWN_FAILURE", "TIMEOUT"):
            raise PushTemporarilyFailed(status, code, detail)
        raise PushNotDelivered(status, code, detail)  # DUPLICATE cannot happen with one address
