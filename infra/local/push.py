"""A faithful in-memory End User Messaging Push (Pinpoint ``SendMessages``), which moto does
not implement: the local stack answers the functions' ``pinpoint`` client from it, and the
push adapter's tests run against it. It lives here, not in the layer, so that no fake ships
to Lambda."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from encore.adapters.push import MESSAGE_KEYS


@dataclass(frozen=True)
class AcceptedPush:
    application_id: str
    device_token: str
    channel_type: str
    message: dict  # the message configuration the channel used
    message_id: str


# What APNs / FCM answer for a token that is no longer registered, as Pinpoint relays it.
_UNREGISTERED = {"GCM": (404, "UNREGISTERED"), "BAIDU": (404, "Unregistered")}
_UNREGISTERED_DEFAULT = (410, "Unregistered")  # APNs (and ADM) say 410 Gone


class FakePushService:
    """In-memory End User Messaging Push for tests and the local stack.

    Use it in place of a boto3 ``pinpoint`` client (``send_messages(**params)``), or ``attach``
    it to a real client so botocore serialises and validates the request first. Requests are
    checked against botocore's own ``pinpoint`` model, including the constraints only the
    service enforces (enums, maxima), so a malformed request fails as it would on AWS; answers
    are validated against the model's output shape.

    Where AWS's exact behaviour is not documented, the fake takes the strict reading and says
    so: an address without ChannelType, a channel the application has not enabled, or a
    channel without a matching message configuration is refused with BadRequestException.
    """

    def __init__(self, application_ids: Iterable[str] = ("encore-push",), channels: Iterable[str] = ("APNS", "APNS_SANDBOX", "GCM")):
        self.application_ids = set(application_ids)
        self.channels = set(channels)
        self.accepted: list[AcceptedPush] = []
        self._outcomes: dict[str, tuple[str, int, str]] = {}
        self._unregistered: set[str] = set()
        self._updated_tokens: dict[str, str] = {}

    # --- what tests arrange ---

    def mark_unregistered(self, token: str) -> None:
        """The app was uninstalled: the provider answers PERMANENT_FAILURE for this token."""
        self._unregistered.add(token)

    def mark_throttled(self, token: str) -> None:
        self._outcomes[token] = ("THROTTLED", 429, "Too many requests for this device")

    def mark_unavailable(self, token: str) -> None:
        self._outcomes[token] = ("TEMPORARY_FAILURE", 503, "Service unavailable")

    def mark_credentials_rejected(self, token: str) -> None:
        self._outcomes[token] = ("PERMANENT_FAILURE", 403, "InvalidProviderToken")

    def rotate_token(self, token: str, new_token: str) -> None:
        """FCM hands out a new registration token with the next successful send."""
        self._updated_tokens[token] = new_token

    # --- the API ---

    def send_messages(self, **params) -> dict:
        from encore.adapters.service_models import check_request, check_response, service_error

        check_request("pinpoint", "SendMessages", params)
        application_id = params["ApplicationId"]
        if application_id not in self.application_ids:
            raise service_error("pinpoint", "SendMessages", "NotFoundException", "Resource not found", 404)
        request = params["MessageRequest"]
        if request.get("Endpoints") or request.get("TemplateConfiguration"):
            raise NotImplementedError("the fake answers direct sends to Addresses with an inline message only")
        results = {}
        for address, configuration in request.get("Addresses", {}).items():
            message = self._message_for(configuration, request["MessageConfiguration"])
            results[address] = self._deliver(application_id, address, configuration["ChannelType"], message)
        response = {"MessageResponse": {"ApplicationId": application_id, "RequestId": str(uuid.uuid4()), "Result": results}}
        check_response("pinpoint", "SendMessages", response)
        return response

    def _message_for(self, configuration: dict, messages: dict) -> dict:
        from encore.adapters.service_models import service_error

        def refuse(reason: str):
            return service_error("pinpoint", "SendMessages", "BadRequestException", reason)

        channel = configuration.get("ChannelType")
        if channel is None:
            raise refuse("ChannelType is required for each address")
        if channel not in self.channels:
            raise refuse(f"The {channel} channel is not enabled for this application")
        key = MESSAGE_KEYS.get(channel)
        message = messages.get(key) if key else None
        if message is None:
            message = messages.get("DefaultPushNotificationMessage")  # Pinpoint's fallback for every push channel
        if message is None:
            raise refuse(f"No message configuration for the {channel} channel")
        return message

    def _deliver(self, application_id: str, token: str, channel: str, message: dict) -> dict:
        if token in self._unregistered:
            code, detail = _UNREGISTERED.get(channel, _UNREGISTERED_DEFAULT)
            return {"DeliveryStatus": "PERMANENT_FAILURE", "StatusCode": code, "StatusMessage": detail}
        if token in self._outcomes:
            status, code, detail = self._outcomes[token]
            return {"DeliveryStatus": status, "StatusCode": code, "StatusMessage": detail}
        message_id = uuid.uuid4().hex
        self.accepted.append(AcceptedPush(application_id, token, channel, copy.deepcopy(message), message_id))
        result = {"DeliveryStatus": "SUCCESSFUL", "StatusCode": 200, "StatusMessage": f"MessageId: {message_id}", "MessageId": message_id}
        if channel == "GCM" and token in self._updated_tokens:
            result["UpdatedToken"] = self._updated_tokens.pop(token)
        return result

    # --- behind a real botocore client ---

    def attach(self, pinpoint_client):
        """Answer ``pinpoint_client.send_messages`` from this fake. The client still builds,
        validates and serialises the request as it would for AWS; the fake answers instead of
        the network. Returns the client."""
        from botocore.awsrequest import AWSResponse
        from botocore.exceptions import ClientError

        def keep_params(params, context, **_):
            context["fake_push_params"] = copy.deepcopy(params)

        def answer(context, **_):
            try:
                parsed = self.send_messages(**context["fake_push_params"])
                status = 200
            except ClientError as error:
                parsed, status = error.response, error.response["ResponseMetadata"]["HTTPStatusCode"]
            return AWSResponse("https://pinpoint.fake/", status, {}, None), parsed

        events = pinpoint_client.meta.events
        events.register("before-parameter-build.pinpoint.SendMessages", keep_params, unique_id="fake-push-params")
        events.register("before-call.pinpoint.SendMessages", answer, unique_id="fake-push-answer")
        return pinpoint_client
