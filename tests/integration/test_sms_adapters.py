"""SMS adapters against AWS's own models: SNS on moto (the message read back from moto's SNS
backend); End User Messaging SMS, which moto does not implement, against botocore's Stubber
(validates requests and answers against the service model) plus the checks only the service
makes (enums, patterns, maxima)."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

from encore.adapters.service_models import check_request
from encore.adapters.sms import EndUserMessagingSmsSender, OutgoingSms, SmsRecipientOptedOut, SnsSmsSender
from encore.sms import segments

REGION = "eu-west-1"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
UKRAINIAN = "Кавова крамниця: ваш кошик досі чекає на вас. Поверніться до покупок: https://shop.example/cart\nВідповідайте СТОП, щоб відписатися"


@pytest.fixture(autouse=True)
def no_real_aws(monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


# --- SNS on moto --------------------------------------------------------------------------


@pytest.fixture
def sns():
    with mock_aws():
        client = boto3.client("sns", region_name=REGION)
        published: list[dict] = []
        # What the adapter asked botocore to send (moto keeps the text, not the attributes).
        client.meta.events.register("before-parameter-build.sns.Publish", lambda params, **_: published.append(dict(params)))
        yield client, published


def _sent_by_moto(message_id: str) -> tuple[str, str]:
    return sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages[message_id]


def test_sns_sends_a_promotional_ukrainian_text_to_the_phone_number(sns):
    client, published = sns
    message_id = SnsSmsSender(client).send(OutgoingSms(recipient="+380501234567", body=UKRAINIAN, sent_at=NOW))
    assert _sent_by_moto(message_id) == ("+380501234567", UKRAINIAN)
    assert published[0]["MessageAttributes"] == {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Promotional"}}
    assert segments(UKRAINIAN).segments == 2  # what the store pays for this text


def test_sns_carries_the_message_type_and_the_sender_id_or_origination_number(sns):
    client, published = sns
    sender = SnsSmsSender(client)
    sender.send(OutgoingSms(recipient="+37061234567", body="Order 1001 has shipped", sent_at=NOW, message_type="TRANSACTIONAL", origination="ShopCo"))
    sender.send(OutgoingSms(recipient="+14155552671", body="Your cart is waiting", sent_at=NOW, origination="+12065550100"))
    assert published[0]["MessageAttributes"] == {
        "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
        "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": "ShopCo"},
    }
    assert published[1]["MessageAttributes"]["AWS.MM.SMS.OriginationNumber"] == {"DataType": "String", "StringValue": "+12065550100"}
    assert [phone for phone, _ in sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages.values()] == ["+37061234567", "+14155552671"]


def test_sns_cannot_send_from_a_pool_and_says_so_before_calling_aws(sns):
    client, published = sns
    with pytest.raises(ValueError, match="sender ID or an E.164 origination number"):
        SnsSmsSender(client).send(OutgoingSms(recipient="+380501234567", body="Hi", sent_at=NOW, origination="pool-a1b2c3"))
    assert published == []


# --- End User Messaging SMS against the service model ------------------------------------


@pytest.fixture
def sms_voice():
    """A real pinpoint-sms-voice-v2 client whose calls are answered by a Stubber. botocore
    validates each request (and each stubbed answer) against the model; the service-side
    checks are added so a request AWS would refuse is refused here too."""
    client = boto3.client("pinpoint-sms-voice-v2", region_name=REGION)
    # Registered like the Stubber's own check (first, on the wildcard) and before it, so it runs first.
    client.meta.events.register_first(
        "before-parameter-build.*.*",
        lambda params, model, **_: check_request("pinpoint-sms-voice-v2", model.name, params),
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_moto_does_not_run_end_user_messaging_sms():
    """Why this adapter meets the Stubber instead: no moto backend answers its endpoint."""
    from moto.backend_index import backend_url_patterns

    endpoint = boto3.client("pinpoint-sms-voice-v2", region_name=REGION).meta.endpoint_url
    assert endpoint == f"https://sms-voice.{REGION}.amazonaws.com"
    assert not [service for service, pattern in backend_url_patterns if pattern.match(endpoint)]


def test_end_user_messaging_sends_with_origination_type_and_configuration_set(sms_voice):
    client, stubber = sms_voice
    stubber.add_response(
        "send_text_message",
        {"MessageId": "f4a9c6de-0e5b-4a0b-8d0e-5b1f9b7c2a11"},
        expected_params={
            "DestinationPhoneNumber": "+380501234567",
            "MessageBody": UKRAINIAN,
            "MessageType": "PROMOTIONAL",
            "OriginationIdentity": "pool-0123456789abcdef0123456789abcdef",
            "ConfigurationSetName": "encore-sms",
        },
    )
    sender = EndUserMessagingSmsSender(configuration_set="encore-sms", sms_voice=client)
    sms = OutgoingSms(recipient="+380501234567", body=UKRAINIAN, sent_at=NOW, origination="pool-0123456789abcdef0123456789abcdef")
    assert sender.send(sms) == "f4a9c6de-0e5b-4a0b-8d0e-5b1f9b7c2a11"


def test_end_user_messaging_lets_the_service_pick_the_origination_when_none_is_set(sms_voice):
    client, stubber = sms_voice
    stubber.add_response(
        "send_text_message",
        {"MessageId": "m-2"},
        expected_params={"DestinationPhoneNumber": "+37061234567", "MessageBody": "Order 1001 has shipped", "MessageType": "TRANSACTIONAL"},
    )
    sms = OutgoingSms(recipient="+37061234567", body="Order 1001 has shipped", sent_at=NOW, message_type="TRANSACTIONAL")
    assert EndUserMessagingSmsSender(sms_voice=client).send(sms) == "m-2"


def test_a_number_that_replied_stop_is_a_named_outcome_the_caller_suppresses(sms_voice):
    client, stubber = sms_voice
    stubber.add_client_error(
        "send_text_message",
        service_error_code="ConflictException",
        service_message="The destination phone number is opted out.",
        http_status_code=400,
        modeled_fields={
            "Message": "The destination phone number is opted out.",
            "Reason": "DESTINATION_PHONE_NUMBER_OPTED_OUT",
            "ResourceType": "opt-out-list",
            "ResourceId": "Default",
        },
    )
    with pytest.raises(SmsRecipientOptedOut):
        EndUserMessagingSmsSender(sms_voice=client).send(OutgoingSms(recipient="+380501234567", body="Hi", sent_at=NOW))


def test_other_conflicts_are_not_mistaken_for_an_opt_out(sms_voice):
    client, stubber = sms_voice
    stubber.add_client_error(
        "send_text_message",
        service_error_code="ConflictException",
        modeled_fields={"Message": "mismatch", "Reason": "SELF_MANAGED_OPT_OUTS_MISMATCH", "ResourceType": "configuration-set", "ResourceId": "encore-sms"},
    )
    with pytest.raises(client.exceptions.ConflictException):
        EndUserMessagingSmsSender(sms_voice=client).send(OutgoingSms(recipient="+380501234567", body="Hi", sent_at=NOW))


def test_an_origination_aws_would_refuse_is_refused_before_any_answer(sms_voice):
    client, _ = sms_voice
    sms = OutgoingSms(recipient="+380501234567", body="Hi", sent_at=NOW, origination="Shop & Co")  # not [A-Za-z0-9_:/+-]
    with pytest.raises(ClientError) as refused:
        EndUserMessagingSmsSender(sms_voice=client).send(sms)
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "OriginationIdentity does not match" in refused.value.response["Error"]["Message"]
