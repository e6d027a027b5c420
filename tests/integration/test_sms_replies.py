"""A customer's SMS reply, as End User Messaging two-way SMS publishes it to the stack's SNS
topic: STOP in any of the store's languages suppresses the number and withdraws SMS consent;
any other reply changes nothing."""

from __future__ import annotations

import copy
import json

import boto3
import pytest

from tests.conftest import load_event


def _identify_with_sms_consent(harness) -> None:
    payload = copy.deepcopy(load_event("generic_identify"))
    payload["timestamp"] = harness.now().isoformat()
    payload["traits"]["sms_consent"] = True
    assert harness.client.track(payload).status == 202
    harness.clock.settle()


def _reply(harness, body: str) -> None:
    message = {
        "originationNumber": "+15551234567",
        "destinationNumber": "+18005550100",
        "messageKeyword": "KEYWORD_123456789012",
        "messageBody": body,
        "inboundMessageId": "cae173d2-66b9-564c-8309-21f858e9fb84",
        "previousPublishedMessageId": "wJ0rAE9B7wJlYrZbtXaXsaGXz8cVnkXPFPcqOu6Elgo=",
    }
    boto3.client("sns").publish(TopicArn=harness.stack.physical("SmsRepliesTopic"), Message=json.dumps(message))
    harness.clock.settle()


@pytest.mark.parametrize("body", ["STOP", " стоп ", "ВІДПИСАТИСЯ", "הסר", "Atsisakyti"])
def test_stop_in_any_store_language_suppresses_the_number(harness, body):
    _identify_with_sms_consent(harness)
    assert harness.profile("user-1001")["sms_consent"]["granted"] is True
    _reply(harness, body)
    profile = harness.profile("user-1001")
    assert profile["sms_suppressed_reason"] == "stop_keyword"
    assert profile["sms_consent"]["granted"] is False
    assert profile["sms_consent"]["source"] == "sms:stop-keyword"
    assert profile.get("email_suppressed_reason") is None  # email is another channel


def test_any_other_reply_changes_nothing(harness):
    _identify_with_sms_consent(harness)
    _reply(harness, "Stop sending me the wrong size please, I need M")
    profile = harness.profile("user-1001")
    assert profile.get("sms_suppressed_reason") is None and profile["sms_consent"]["granted"] is True
