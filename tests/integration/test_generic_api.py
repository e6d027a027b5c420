"""The generic events API over HTTP on the local stack: identify, every track event, batches
with duplicates, anonymous visitors, and property-based testing of the whole contract with
schemathesis against ``docs/openapi.yaml``."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, reject, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from encore.signatures import sign_hex
from tests.conftest import load_event

OPENAPI = Path(__file__).parents[2] / "docs" / "openapi.yaml"


def _events_on_the_bus(harness) -> list[dict]:
    """The dedupe records ingest writes: one per canonical event it published."""
    return [item for item in harness.table_items() if item["sk"]["S"] == "EVENT"]


def _event_types(harness) -> dict[str, str]:
    return {item["pk"]["S"].rsplit("#EVENT#", 1)[1]: item["event_type"]["S"] for item in _events_on_the_bus(harness)}


def _stamp(payload: dict, harness) -> dict:
    payload = copy.deepcopy(payload)
    for message in payload.get("batch", [payload]):
        message["timestamp"] = harness.now().isoformat()
    return payload


def _send(harness, name: str, **changes):
    payload = _stamp(load_event(name), harness)
    payload.update(changes)
    return harness.client.track(payload)


# ------------------------------------------------------------------------ each call, end to end
def test_identify_is_accepted_and_becomes_a_customer_update(harness):
    reply = _send(harness, "generic_identify")
    assert reply.status == 202, reply.body
    assert reply.json == {"accepted": ["msg-identify-1001"], "duplicates": [], "ignored": []}
    assert _event_types(harness) == {"msg-identify-1001": "customer_updated"}


@pytest.mark.parametrize(
    ("fixture", "event_type"),
    [
        ("generic_product_viewed", "product_viewed"),
        ("generic_product_added", "cart_updated"),
        ("generic_product_removed", "cart_updated"),
        ("generic_cart_viewed", "cart_updated"),
        ("generic_checkout_started", "cart_updated"),
        ("generic_order_completed", "order_placed"),
        ("generic_order_cancelled", "order_cancelled"),
        ("generic_order_refunded", "order_refunded"),
        ("generic_signed_up", "customer_updated"),
    ],
)
def test_each_track_event_is_accepted_as_its_canonical_event(harness, fixture, event_type):
    payload = load_event(fixture)
    reply = _send(harness, fixture)
    assert reply.status == 202, reply.body
    assert reply.json == {"accepted": [payload["messageId"]], "duplicates": [], "ignored": []}
    assert _event_types(harness) == {payload["messageId"]: event_type}


def test_product_added_then_order_completed_records_the_cart_and_the_order(harness):
    assert _send(harness, "generic_product_added").status == 202
    assert _send(harness, "generic_order_completed").status == 202
    sort_keys = {item["sk"]["S"] for item in harness.table_items()}
    assert "CART#cart-5521" in sort_keys
    assert any(key.startswith("ORDER#") and key.endswith("order-90017") for key in sort_keys)


def test_an_event_this_version_does_not_act_on_is_acknowledged_and_ignored(harness):
    reply = _send(harness, "generic_product_added", event="Product Shared", messageId="msg-shared")
    assert reply.status == 200
    assert reply.json == {"accepted": [], "duplicates": [], "ignored": ["msg-shared"]}
    assert _events_on_the_bus(harness) == []


def test_batch_with_a_duplicate_inside_and_a_retry_of_the_whole_batch(harness):
    batch = _stamp(load_event("generic_batch"), harness)
    ids = [message["messageId"] for message in batch["batch"]]
    assert ids[1] == ids[3], "the fixture repeats its second message at the end"

    first = harness.client.track(batch)
    assert first.status == 202, first.body
    assert first.json["accepted"] == [ids[0], ids[1], ids[2]]
    assert first.json["duplicates"] == [ids[1]]
    assert first.json["ignored"] == [ids[4]]

    retry = harness.client.track(batch)
    assert retry.status == 202
    assert retry.json["accepted"] == []
    assert retry.json["duplicates"] == [ids[0], ids[1], ids[2], ids[1]]
    assert len(_events_on_the_bus(harness)) == 3


def test_product_viewed_by_an_anonymous_visitor_then_identify_merges_the_visitor(harness):
    viewed = load_event("generic_product_viewed")
    assert "userId" not in viewed and viewed["anonymousId"] == "visitor-8f3a"
    reply = _send(harness, "generic_product_viewed")
    assert reply.status == 202, reply.body
    assert reply.json["accepted"] == [viewed["messageId"]]

    identify = load_event("generic_identify")
    assert identify["anonymousId"] == viewed["anonymousId"]
    assert _send(harness, "generic_identify").status == 202
    assert _event_types(harness) == {viewed["messageId"]: "product_viewed", identify["messageId"]: "customer_updated"}


def test_a_cart_event_from_an_anonymous_visitor_is_400_naming_user_id(harness):
    payload = _stamp(load_event("generic_product_added"), harness)
    del payload["userId"]
    payload["anonymousId"] = "visitor-8f3a"
    reply = harness.client.track(payload)
    assert reply.status == 400
    assert [problem["field"] for problem in reply.json["invalid_fields"]] == ["userId"]
    assert harness.table_items() == []


def test_invalid_traits_are_400_naming_each_field_in_the_batch(harness):
    identify = _stamp(load_event("generic_identify"), harness)
    identify["traits"].update(phone="555-0100", birthday="17/05/1990", email_consent="yes")
    reply = harness.client.track({"batch": [_stamp(load_event("generic_product_viewed"), harness), identify]})
    assert reply.status == 400
    assert reply.json["title"] == "required fields are missing or invalid"
    assert {problem["field"] for problem in reply.json["invalid_fields"]} == {
        "batch.1.traits.phone",
        "batch.1.traits.birthday",
        "batch.1.traits.email_consent",
    }
    assert harness.table_items() == []


def test_text_that_is_not_valid_unicode_is_400_not_a_server_error(harness):
    # A lone surrogate is valid JSON ("\ud800") but no event or DynamoDB item can hold it.
    body = json.dumps(_stamp(load_event("generic_identify"), harness)).replace('"Tomas"', '"\\ud800"').encode()
    reply = harness.client.track(body)
    assert reply.status == 400
    assert [problem["field"] for problem in reply.json["invalid_fields"]] == ["traits.first_name"]


def test_a_wrong_content_type_is_415(harness):
    body = json.dumps(_stamp(load_event("generic_identify"), harness)).encode()
    headers = {
        "Content-Type": "text/plain",
        "Authorization": f"Bearer {harness.client.credentials.api_key}",
        "X-Encore-Signature": sign_hex(harness.client.secret, body),
    }
    reply = harness.client.post("/v1/events", body, headers)
    assert reply.status == 415
    assert reply.json["status"] == 415


def _nested(depth: int) -> bytes:
    inner = '{"a":' * depth + "1" + "}" * depth
    return ('{"type":"track","event":"Scrolled","messageId":"deep","timestamp":"2026-11-02T10:00:00Z","properties":%s}' % inner).encode()


def test_properties_nested_thousands_deep_are_not_a_server_error(harness):
    reply = harness.client.track(_nested(5_000))
    assert reply.status == 200
    assert reply.json["ignored"] == ["deep"]


@pytest.mark.parametrize(
    "body",
    [
        _nested(100_000),
        b'{"type":"track","event":"Scrolled","messageId":"big","timestamp":"2026-11-02T10:00:00Z","properties":{"n":' + b"1" * 5_000 + b"}}",
    ],
    ids=["nested-100000-deep", "integer-of-5000-digits"],
)
def test_json_the_parser_refuses_is_400_not_a_server_error(harness, body):
    reply = harness.client.track(body)
    assert reply.status == 400


# ------------------------------------------------------------------------ the contract, property-based
class SignedByTheStore(requests.auth.AuthBase):
    """Names the store and signs the final body bytes, whatever schemathesis generated."""

    def __init__(self, api_key: str, secret: str):
        self.api_key, self.secret = api_key, secret

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        request.headers["Authorization"] = f"Bearer {self.api_key}"
        request.headers["X-Encore-Signature"] = sign_hex(self.secret, body)
        return request


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
SCHEMA = schemathesis.openapi.from_path(OPENAPI)
EVENTS = SCHEMA["/v1/events"]["POST"]


def _is_utf8(body) -> bool:
    if not isinstance(body, bytes):
        return True  # schemathesis serialises it as JSON, always UTF-8
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@pytest.mark.parametrize(("mode", "examples"), [(GenerationMode.POSITIVE, 60), (GenerationMode.NEGATIVE, 40)])
def test_no_generated_request_is_a_server_error_and_every_response_matches_the_openapi_document(harness, mode, examples):
    """For any body generated from docs/openapi.yaml (valid ones, and in negative mode bodies
    that break it, raw bytes included), signed like a real client: never a 5xx, and the
    status, content type and body are documented ones.

    Bodies that are not UTF-8 are left to the test below: the ingest function fails on them
    before this API's code runs."""
    session = requests.Session()
    auth = SignedByTheStore(harness.client.credentials.api_key, harness.client.secret)
    statuses: list[int] = []

    @given(case=EVENTS.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
    def check(case):
        if not _is_utf8(case.body):
            reject()
        response = case.call(base_url=harness.client.api_url, session=session, auth=auth, timeout=60)
        statuses.append(response.status_code)
        case.validate_response(response, checks=CHECKS)

    check()
    print(f"schemathesis {schemathesis.__version__}, {mode.value}: {len(statuses)} requests, statuses {sorted(set(statuses))}")
    assert statuses, "schemathesis generated no requests"
    if mode is GenerationMode.POSITIVE:
        assert 202 in statuses, "no generated request was accepted: the document and the code disagree"


def test_a_body_that_is_not_utf8_is_400_not_a_server_error(harness):
    # Found by schemathesis in negative mode (it sends raw bytes as application/json).
    reply = harness.client.track(b"\xb4,")
    assert reply.status == 400
    assert "JSON" in reply.json["title"]
