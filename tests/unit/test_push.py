"""Push through End User Messaging Push, against the fake (moto has no Pinpoint messaging),
used directly and behind a real botocore client that serialises and validates the request."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from botocore.exceptions import ClientError, ParamValidationError

from encore.adapters.push import (
    EndUserMessagingPushSender,
    OutgoingPush,
    PushChannelMisconfigured,
    PushReceipt,
    PushTemporarilyFailed,
    PushTokenRejected,
)
from infra.local.push import FakePushService

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
APP = "encore-push"
IPHONE = "a" * 64  # APNs tokens are 32 bytes in hex
ANDROID = "fcm-registration-token-1"


def _push(token: str = IPHONE, platform: str = "APNS", url: str | None = "https://shop.example/cart", **data) -> OutgoingPush:
    return OutgoingPush(token, platform, "Your cart is waiting", "2 items are still in your cart", NOW, url=url, data=data)


def _real_client_on(fake: FakePushService):
    pinpoint = boto3.client("pinpoint", region_name="eu-west-1", aws_access_key_id="test", aws_secret_access_key="test")
    return fake.attach(pinpoint)


@pytest.fixture(params=["fake", "botocore client"])
def service(request):
    """The sender must work against the fake itself and against a real client answered by it."""
    fake = FakePushService([APP])
    pinpoint = fake if request.param == "fake" else _real_client_on(fake)
    return fake, EndUserMessagingPushSender(APP, pinpoint)


def test_an_ios_push_is_accepted_with_its_title_body_link_and_data(service):
    fake, sender = service
    receipt = sender.send(_push(journey="cart-abandonment"))
    [accepted] = fake.accepted
    assert receipt == PushReceipt(message_id=accepted.message_id)
    assert (accepted.application_id, accepted.device_token, accepted.channel_type) == (APP, IPHONE, "APNS")
    assert accepted.message == {
        "Title": "Your cart is waiting",
        "Body": "2 items are still in your cart",
        "Action": "URL",
        "Url": "https://shop.example/cart",
        "Data": {"journey": "cart-abandonment"},
    }


def test_an_app_link_opens_the_app_where_it_points_and_no_link_just_opens_the_app(service):
    fake, sender = service
    sender.send(_push(ANDROID, "GCM", url="shop://cart/42"))
    sender.send(_push(ANDROID, "GCM", url=None))
    assert [(push.channel_type, push.message["Action"], push.message.get("Url")) for push in fake.accepted] == [
        ("GCM", "DEEP_LINK", "shop://cart/42"),
        ("GCM", "OPEN_APP", None),
    ]


def test_a_token_fcm_replaced_comes_back_so_the_caller_can_store_it(service):
    fake, sender = service
    fake.rotate_token(ANDROID, "fcm-registration-token-2")
    assert sender.send(_push(ANDROID, "GCM")).updated_token == "fcm-registration-token-2"
    assert sender.send(_push(ANDROID, "GCM")).updated_token is None


@pytest.mark.parametrize(("token", "platform", "status_code"), [(IPHONE, "APNS", 410), (ANDROID, "GCM", 404)])
def test_an_uninstalled_app_is_a_rejected_token_the_caller_suppresses(service, token, platform, status_code):
    fake, sender = service
    fake.mark_unregistered(token)
    with pytest.raises(PushTokenRejected) as rejected:
        sender.send(_push(token, platform))
    assert (rejected.value.delivery_status, rejected.value.status_code, rejected.value.retryable) == ("PERMANENT_FAILURE", status_code, False)
    assert fake.accepted == []


@pytest.mark.parametrize("trouble", ["mark_throttled", "mark_unavailable"])
def test_throttling_and_provider_outages_are_retryable(service, trouble):
    fake, sender = service
    getattr(fake, trouble)(IPHONE)
    with pytest.raises(PushTemporarilyFailed) as failed:
        sender.send(_push())
    assert failed.value.retryable
    assert failed.value.delivery_status in ("THROTTLED", "TEMPORARY_FAILURE")


def test_refused_provider_credentials_do_not_blame_the_token(service):
    fake, sender = service
    fake.mark_credentials_rejected(IPHONE)
    with pytest.raises(PushChannelMisconfigured) as refused:
        sender.send(_push())
    assert not isinstance(refused.value, PushTokenRejected)


def test_an_unknown_application_is_not_found(service):
    _, sender = service
    sender.application_id = "no-such-project"
    with pytest.raises(ClientError) as missing:
        sender.send(_push())
    assert missing.value.response["Error"]["Code"] == "NotFoundException"
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_the_real_client_raises_the_modelled_exception_class():
    fake = FakePushService([APP])
    pinpoint = _real_client_on(fake)
    with pytest.raises(pinpoint.exceptions.NotFoundException):
        EndUserMessagingPushSender("no-such-project", pinpoint).send(_push())


def test_moto_does_not_implement_pinpoint_messaging_hence_the_fake():
    from moto.pinpoint.responses import PinpointResponse

    assert not hasattr(PinpointResponse, "send_messages")


# --- the fake refuses what AWS refuses --------------------------------------------------


def _request(channel_type: str = "APNS", **message) -> dict:
    return {
        "ApplicationId": APP,
        "MessageRequest": {
            "Addresses": {IPHONE: {"ChannelType": channel_type}},
            "MessageConfiguration": {"APNSMessage": {"Title": "t", "Body": "b", **message}},
        },
    }


def test_a_request_botocore_would_not_send_fails_the_same_way():
    fake = FakePushService([APP])
    request = _request()
    del request["MessageRequest"]["MessageConfiguration"]
    with pytest.raises(ParamValidationError, match="MessageConfiguration"):
        fake.send_messages(**request)
    with pytest.raises(ParamValidationError, match="Data"):
        fake.send_messages(**_request(Data={"count": 2}))  # Data values are strings
    with pytest.raises(ParamValidationError, match="Unknown parameter"):
        fake.send_messages(**_request(Subtitle="not a member of APNSMessage"))
    assert fake.accepted == []


def test_values_only_the_service_checks_are_refused_as_a_bad_request():
    fake = FakePushService([APP])
    for request in (_request(channel_type="APN"), _request(Action="OPEN_URL")):
        with pytest.raises(ClientError) as refused:
            fake.send_messages(**request)
        assert refused.value.response["Error"]["Code"] == "BadRequestException"
        assert "must be one of" in refused.value.response["Error"]["Message"]


def test_a_channel_the_project_has_not_enabled_or_has_no_message_for_is_a_bad_request():
    fake = FakePushService([APP], channels=["GCM"])
    with pytest.raises(ClientError, match="APNS channel is not enabled"):
        fake.send_messages(**_request())
    fake = FakePushService([APP], channels=["APNS", "GCM"])
    request = _request()
    request["MessageRequest"]["Addresses"] = {ANDROID: {"ChannelType": "GCM"}}
    with pytest.raises(ClientError, match="No message configuration for the GCM channel"):
        fake.send_messages(**request)


def test_the_default_push_message_serves_any_push_channel_as_in_pinpoint():
    fake = FakePushService([APP])
    response = fake.send_messages(
        ApplicationId=APP,
        MessageRequest={
            "Addresses": {ANDROID: {"ChannelType": "GCM"}},
            "MessageConfiguration": {"DefaultPushNotificationMessage": {"Title": "t", "Body": "b"}},
        },
    )
    result = response["MessageResponse"]["Result"][ANDROID]
    assert (result["DeliveryStatus"], result["StatusCode"]) == ("SUCCESSFUL", 200)
    assert response["MessageResponse"]["ApplicationId"] == APP
    assert fake.accepted[0].message == {"Title": "t", "Body": "b"}


def test_an_outgoing_push_names_a_known_platform_and_a_token():
    with pytest.raises(ValueError, match="platform"):
        _push(platform="FCM")
    with pytest.raises(ValueError, match="token"):
        _push(token="")
