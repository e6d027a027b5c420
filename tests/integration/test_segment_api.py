"""Segment's HTTP Tracking API on the local stack, driven by the official SDKs unchanged:
segment-analytics-python 2.4.0 (gzip, HTTP Basic write key, /v1/batch) and
rudder-sdk-python 2.1.9. The store's API key is the write key; ``host`` is the local API."""

from __future__ import annotations

import base64
import gzip
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import STORE_ID

ROOT = Path(__file__).resolve().parents[2]
CUSTOMER = "user-1001"
CART = "cart-5521"
PRODUCTS = [
    {"product_id": "sku-espresso-beans-1kg", "name": "Espresso beans 1 kg", "price": 24.5, "quantity": 2},
    {"product_id": "sku-milk-frother", "name": "Milk frother", "price": "39.90", "quantity": 1},
]


def _event_types(harness) -> dict[str, str]:
    """The dedupe records ingest writes: one per canonical event it published."""
    return {item["pk"]["S"].rsplit("#EVENT#", 1)[1]: item["event_type"]["S"] for item in harness.table_items() if item["sk"]["S"] == "EVENT"}


def _store_server(harness, calls: list[dict], *, sdk: str = "segment", write_key: str | None = None, **options) -> dict:
    """Run the official SDK in a process of its own (tests/integration/sdk_store.py), as the
    store's server does, against the local API; returns what its on_error callback saw."""
    plan = {"sdk": sdk, "write_key": write_key or harness.client.credentials.api_key, "host": harness.client.api_url, "calls": calls, **options}
    done = subprocess.run(
        [sys.executable, "-m", "tests.integration.sdk_store"], input=json.dumps(plan), capture_output=True, text=True, timeout=120, cwd=ROOT, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    harness.clock.settle()
    return json.loads(done.stdout.strip().splitlines()[-1])


def _call(method: str, *args, **kwargs) -> dict:
    return {"method": method, "args": list(args), "kwargs": kwargs}


def _basic(key: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


def _post(harness, path: str, payload: dict | bytes, *, key: str | None = None, headers: dict | None = None):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    sent = {"Content-Type": "application/json", "Authorization": _basic(key or harness.client.credentials.api_key), **(headers or {})}
    return harness.client.post(path, body, {name: value for name, value in sent.items() if value is not None})


# ------------------------------------------------------------------------ the official SDKs
def test_the_official_segment_client_feeds_encore_and_checkout_started_starts_the_cart_journey(harness):
    now = harness.now()
    report = _store_server(
        harness,
        [
            _call(
                "identify",
                CUSTOMER,
                {"email": "tomas@example.com", "first_name": "Tomas", "email_consent": True},
                timestamp=now.isoformat(),
                message_id="seg-identify",
            ),
            _call(
                "track",
                CUSTOMER,
                "Product Viewed",
                {"product_id": "sku-milk-frother", "name": "Milk frother", "price": 39.9},
                timestamp=now.isoformat(),
                message_id="seg-viewed",
            ),
            _call(
                "track",
                CUSTOMER,
                "Checkout Started",
                {"cart_id": CART, "currency": "USD", "checkout_url": "https://shop.example/checkout/cart-5521", "products": PRODUCTS},
                timestamp=(now + timedelta(minutes=1)).isoformat(),
                message_id="seg-checkout",
            ),
        ],
        gzip=True,
    )
    assert report["errors"] == []

    assert _event_types(harness) == {"seg-identify": "customer_updated", "seg-viewed": "product_viewed", "seg-checkout": "cart_updated"}
    profile = harness.profile(CUSTOMER)
    assert profile is not None and profile["email"] == "tomas@example.com"
    assert harness.item(f"STORE#{STORE_ID}#CUSTOMER#{CUSTOMER}", f"CART#{CART}") is not None
    journeys = harness.journeys()
    assert [journey["name"] for journey in journeys] == [f"cart-abandonment-{STORE_ID}-{CUSTOMER}-{CART}"]
    assert journeys[0]["status"] == "RUNNING"

    harness.run_until(timedelta(minutes=30))
    report = _store_server(
        harness,
        [
            _call(
                "track",
                CUSTOMER,
                "Order Completed",
                {"order_id": "order-90017", "cart_id": CART, "total": 88.9, "currency": "USD", "products": PRODUCTS},
                timestamp=harness.now().isoformat(),
                message_id="seg-order",
            ),
        ],
        gzip=True,
    )
    assert report["errors"] == []
    assert _event_types(harness)["seg-order"] == "order_placed"
    assert any(item["sk"]["S"].startswith("ORDER#") and item["sk"]["S"].endswith("order-90017") for item in harness.table_items())
    # The order released the cart journey's wait at once: it ends, and no reminder follows.
    harness.run_until(timedelta(days=4))
    assert [journey["status"] for journey in harness.journeys()] == ["SUCCEEDED"]


def test_the_official_clients_single_product_added_and_removed_change_the_customers_cart(harness):
    """The e-commerce spec's own Product Added / Product Removed, one product each, as the
    official client sends them (one gzip batch, one timestamp for the two adds)."""
    now = harness.now()
    spec = {"cart_id": CART, "sku": "G-32", "category": "Games", "brand": "Hasbro", "variant": "200 pieces", "coupon": "MAYDEALS", "position": 3}
    traits = {"traits": {"email": "tomas@example.com", "first_name": "Tomas", "email_consent": True}}
    report = _store_server(
        harness,
        [
            _call(
                "track",
                CUSTOMER,
                "Product Added",
                {**spec, "product_id": "sku-milk-frother", "name": "Milk frother", "price": 39.9, "quantity": 1},
                context=traits,
                timestamp=now.isoformat(),
                message_id="seg-add-frother",
            ),
            _call(
                "track",
                CUSTOMER,
                "Product Added",
                {**spec, "product_id": "sku-espresso-beans-1kg", "name": "Espresso beans 1 kg", "price": 24.5, "quantity": 2},
                context=traits,
                timestamp=now.isoformat(),
                message_id="seg-add-beans",
            ),
            _call(
                "track",
                CUSTOMER,
                "Product Removed",
                {**spec, "product_id": "sku-espresso-beans-1kg", "name": "Espresso beans 1 kg", "price": 24.5, "quantity": 1},
                context=traits,
                timestamp=(now + timedelta(minutes=1)).isoformat(),
                message_id="seg-remove-beans",
            ),
        ],
        gzip=True,
    )
    assert report["errors"] == []
    assert _event_types(harness) == {"seg-add-frother": "cart_updated", "seg-add-beans": "cart_updated", "seg-remove-beans": "cart_updated"}

    cart = harness.item(f"STORE#{STORE_ID}#CUSTOMER#{CUSTOMER}", f"CART#{CART}")
    assert sorted((line["product_id"], line["quantity"], line["price_cents"]) for line in cart["lines"]) == [
        ("sku-espresso-beans-1kg", 1, 2450),
        ("sku-milk-frother", 1, 3990),
    ]
    assert (cart["status"], cart["total_cents"]) == ("open", 6440)
    assert [journey["name"] for journey in harness.journeys()] == [f"cart-abandonment-{STORE_ID}-{CUSTOMER}-{CART}"]


def test_a_wrong_write_key_is_401_and_the_official_client_reports_it_through_on_error(harness):
    report = _store_server(
        harness,
        [_call("track", CUSTOMER, "Product Viewed", {"product_id": "sku-milk-frother"}, timestamp=harness.now().isoformat(), message_id="seg-forged")],
        write_key="enc_not-a-key-of-any-store",
        gzip=True,
    )
    assert report["errors"] == [
        {"status": 401, "code": "unauthorized", "message": "the write key is not the API key of any store", "message_ids": ["seg-forged"]}
    ]
    assert harness.table_items() == []


def test_the_official_client_in_sync_mode_without_gzip_is_accepted(harness):
    report = _store_server(
        harness,
        [_call("identify", CUSTOMER, {"email": "tomas@example.com"}, timestamp=harness.now().isoformat(), message_id="seg-sync")],
        gzip=False,
        sync_mode=True,
    )
    assert report == {"errors": [], "results": ["sent"]}
    assert _event_types(harness) == {"seg-sync": "customer_updated"}


def test_the_official_rudderstack_client_is_accepted_too(harness):
    # RudderStack's SDK counts only 200 as success (202 would be retried, then dropped).
    report = _store_server(
        harness,
        [_call("track", CUSTOMER, "Product Viewed", {"product_id": "sku-milk-frother"}, timestamp=harness.now().isoformat(), message_id="rudder-viewed")],
        sdk="rudderstack",
        gzip=True,
    )
    assert report["errors"] == []
    assert _event_types(harness) == {"rudder-viewed": "product_viewed"}


# ------------------------------------------------------------------------ the routes, byte by byte
def _message(**fields) -> dict:
    return {"messageId": "seg-1", "userId": CUSTOMER, "timestamp": "2026-11-02T09:00:00Z", **fields}


def test_track_and_identify_take_one_message_without_its_type(harness):
    reply = _post(harness, "/v1/track", _message(messageId="t-1", event="Product Viewed", properties={"product_id": "p-1"}))
    assert (reply.status, reply.json) == (200, {"accepted": ["t-1"], "duplicates": [], "ignored": []})
    reply = _post(harness, "/v1/identify", _message(messageId="i-1", traits={"email": "tomas@example.com"}))
    assert reply.status == 200 and reply.json["accepted"] == ["i-1"]
    # Sent again (an SDK retry): a duplicate, acted on once.
    reply = _post(harness, "/v1/identify", _message(messageId="i-1", traits={"email": "tomas@example.com"}))
    assert reply.status == 200 and reply.json["duplicates"] == ["i-1"]
    assert _event_types(harness) == {"t-1": "product_viewed", "i-1": "customer_updated"}


def test_a_call_of_another_type_on_a_single_route_is_400_naming_type(harness):
    reply = _post(harness, "/v1/track", _message(type="identify"))
    assert reply.status == 400
    assert [problem["field"] for problem in reply.json["invalid_fields"]] == ["type"]
    assert reply.json["code"] == "invalid_request" and reply.json["message"]


@pytest.mark.parametrize("call", ["page", "screen", "alias", "group"])
def test_page_screen_alias_and_group_are_acknowledged_and_ignored(harness, call):
    reply = _post(harness, f"/v1/{call}", _message(messageId=f"{call}-1", name="Home"))
    assert (reply.status, reply.json) == (200, {"accepted": [], "duplicates": [], "ignored": [f"{call}-1"]})
    assert harness.table_items() == []


def test_a_batch_with_the_write_key_only_in_the_body_is_accepted(harness):
    batch = {
        "batch": [{**_message(messageId="b-1"), "type": "identify", "traits": {"email": "tomas@example.com"}}],
        "writeKey": harness.client.credentials.api_key,
    }
    reply = _post(harness, "/v1/batch", batch, headers={"Authorization": None})
    assert reply.status == 200 and reply.json["accepted"] == ["b-1"]


def test_a_body_write_key_other_than_the_header_one_is_401(harness):
    batch = {"batch": [{**_message(), "type": "identify"}], "writeKey": "enc_someone-else"}
    reply = _post(harness, "/v1/batch", batch)
    assert reply.status == 401
    assert harness.table_items() == []


def test_no_write_key_at_all_is_401(harness):
    reply = _post(harness, "/v1/batch", {"batch": [{**_message(), "type": "identify"}]}, headers={"Authorization": None})
    assert reply.status == 401 and reply.json["title"].startswith("no write key")


def test_a_bearer_api_key_is_not_accepted_here(harness):
    # The generic API's Bearer key needs its HMAC; here only Segment's Basic write key works.
    reply = _post(
        harness,
        "/v1/track",
        _message(event="Product Viewed", properties={"product_id": "p-1"}),
        headers={"Authorization": f"Bearer {harness.client.credentials.api_key}"},
    )
    assert reply.status == 401 and "HTTP Basic" in reply.json["title"]


def test_a_gzip_bomb_is_413_naming_the_limit_and_writes_nothing(harness):
    bomb = gzip.compress(b'{"batch": [' + b" " * (50 * 1024 * 1024) + b"]}")
    assert len(bomb) < 100 * 1024
    reply = _post(harness, "/v1/batch", bomb, headers={"Content-Encoding": "gzip"})
    assert reply.status == 413 and "500 KB" in reply.json["title"]
    assert reply.json["code"] == "payload_too_large"
    assert harness.table_items() == []


def test_a_message_over_32_kb_is_413_naming_it(harness):
    big = {
        **_message(messageId="big"),
        "type": "track",
        "event": "Product Viewed",
        "properties": {"product_id": "p-1", "name": "x" * 400, "notes": "y" * 40_000},
    }
    reply = _post(harness, "/v1/batch", {"batch": [{**_message(messageId="small"), "type": "identify"}, big]})
    assert reply.status == 413
    assert [problem["field"] for problem in reply.json["invalid_fields"]] == ["batch.1"]
    assert "32 KB" in reply.json["invalid_fields"][0]["problem"]
    assert harness.table_items() == []


def test_a_body_that_is_not_gzip_despite_its_header_is_400(harness):
    reply = _post(harness, "/v1/batch", b'{"batch": []}', headers={"Content-Encoding": "gzip"})
    assert reply.status == 400 and "gzip" in reply.json["title"]


def test_a_message_another_request_is_publishing_is_503_with_retry_after_then_taken_once_free(harness):
    """Segment's SDKs drop a batch on 409 (the generic API's answer) but retry 503: the message
    another request holds is answered 503 with Retry-After, and taken once the hold is over."""
    from encore.models import ProcessedEvent, bind_table

    bind_table(harness.stack.physical("EncoreTable"))
    pk, sk = ProcessedEvent.key(STORE_ID, "held-1")
    now = harness.now()
    ProcessedEvent(
        pk, sk, received_at=now, event_type="customer_updated", status="in_progress", attempt="another-request", in_progress_until=now + timedelta(seconds=30)
    ).save()
    identify = {"messageId": "held-1", "userId": CUSTOMER, "timestamp": now.isoformat(), "traits": {"email": "tomas@example.com"}}
    import urllib.error
    import urllib.request

    held = urllib.request.Request(
        harness.client.api_url + "/v1/identify",
        data=json.dumps(identify).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": _basic(harness.client.credentials.api_key)},
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(held, timeout=60)
    assert (caught.value.code, caught.value.headers["Retry-After"]) == (503, "5")
    assert json.loads(caught.value.read())["in_progress"] == ["held-1"]
    assert harness.profile(CUSTOMER) is None

    harness.run_until(timedelta(minutes=1))  # the other request died: its hold has run out
    reply = _post(harness, "/v1/identify", identify)
    harness.clock.settle()
    assert (reply.status, reply.json["accepted"]) == (200, ["held-1"])
    assert harness.profile(CUSTOMER)["email"] == "tomas@example.com"


# ------------------------------------------------------------------------ the contract, property-based
# Rules the document states in words that JSON Schema cannot hold: a time zone of the tz
# database (not just its shape), a phone number possible in its country. A generated body
# may break them; the 400 must then name only them.
RULES_IN_WORDS = {"context.timezone", "traits.phone", "context.traits.phone"}


@pytest.mark.parametrize("call", ["track", "identify"])
def test_every_request_the_document_allows_on_a_single_call_route_is_taken(harness, call):
    """schemathesis generates bodies from docs/openapi.yaml for /v1/track and /v1/identify
    (``type`` left out as often as sent, since Segment's HTTP API does not require it
    there): every one is taken (200) unless it breaks only a rule the document states in
    words, and every answer is a documented one."""
    import requests
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis import GenerationMode
    from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance, status_code_conformance

    operation = schemathesis.openapi.from_path(ROOT / "docs" / "openapi.yaml")[f"/v1/{call}"]["POST"]

    def as_the_sdk_sends_it(request: requests.PreparedRequest) -> requests.PreparedRequest:
        # The write key as Basic user; a body said to be gzip is gzip (schemathesis only sets the header).
        request.headers["Authorization"] = _basic(harness.client.credentials.api_key)
        if request.headers.get("Content-Encoding") == "gzip":
            body = request.body.encode() if isinstance(request.body, str) else request.body or b""
            request.body = gzip.compress(body)
            request.headers["Content-Length"] = str(len(request.body))
        return request

    session = requests.Session()
    session.auth = as_the_sdk_sends_it
    answers: list[tuple[int, bool]] = []

    @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
    def check(case):
        response = case.call(base_url=harness.client.api_url, session=session, timeout=60)
        case.validate_response(response, checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance])
        if response.status_code != 200:
            named = {problem["field"] for problem in response.json()["invalid_fields"]}
            assert response.status_code == 400 and named and named <= RULES_IN_WORDS, (case.body, response.text)
        answers.append((response.status_code, isinstance(case.body, dict) and "type" in case.body))

    check()
    # Taken with type sent, and without it.
    assert {typed for status, typed in answers if status == 200} == {True, False}, answers
