"""Bad input gets a 4xx with a readable reason and changes nothing: no item in DynamoDB,
no event on the bus, no journey."""

from __future__ import annotations

import json

import pytest

from tests.conftest import load_event


def _assert_nothing_happened(harness) -> None:
    assert harness.table_items() == []
    assert harness.journeys() == []
    assert [i.function for i in harness.stack.lambdas.invocations if not i.function.endswith("IngestFunction")] == []


def test_wrong_signature_is_401_and_changes_nothing(harness):
    reply = harness.client.shopify("checkouts/update", load_event("shopify_checkouts_update"), signature="c2lnbmF0dXJl")
    assert reply.status == 401
    assert reply.json["title"] == "signature does not match the body"
    _assert_nothing_happened(harness)


def test_missing_signature_is_401(harness):
    reply = harness.client.track(load_event("generic_product_added"), signature="")
    assert reply.status == 401
    assert reply.json["title"] == "missing signature header"
    _assert_nothing_happened(harness)


def test_body_signed_with_another_stores_secret_is_401(harness):
    from encore.signatures import sign_base64

    body = json.dumps(load_event("shopify_checkouts_update")).encode()
    reply = harness.client.shopify("checkouts/update", body, signature=sign_base64("not-the-store-secret", body))
    assert reply.status == 401
    _assert_nothing_happened(harness)


def test_unknown_store_is_401(harness):
    reply = harness.client.shopify("checkouts/update", load_event("shopify_checkouts_update"), shop_domain="no-such-store.myshopify.com")
    assert reply.status == 401
    assert reply.json["title"] == "unknown store"
    _assert_nothing_happened(harness)


def test_unknown_api_key_is_401(harness):
    from infra.local.store_client import StoreClient, StoreCredentials

    stranger = StoreClient(harness.client.api_url, StoreCredentials("demo-store", harness.client.secret, "enc_not-a-key"))
    reply = stranger.track(load_event("generic_product_added"))
    assert reply.status == 401
    assert reply.json["title"] == "the request names no store"
    _assert_nothing_happened(harness)


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2, 3]", b""])
def test_malformed_json_is_400_with_the_reason(harness, body):
    reply = harness.client.shopify("checkouts/update", body)
    assert reply.status == 400
    assert "JSON" in reply.json["title"]
    _assert_nothing_happened(harness)


def test_missing_required_fields_are_400_naming_each_field(harness):
    payload = load_event("shopify_checkouts_update")
    del payload["currency"]
    payload["line_items"][0]["quantity"] = -1
    reply = harness.client.shopify("checkouts/update", payload)
    assert reply.status == 400
    fields = {problem["field"] for problem in reply.json["invalid_fields"]}
    assert fields == {"currency", "line_items.0.quantity"}
    _assert_nothing_happened(harness)


def test_one_invalid_message_rejects_the_whole_batch_and_names_it(harness):
    good = load_event("generic_product_added")
    bad = load_event("generic_order_completed")
    del bad["properties"]["order_id"]
    reply = harness.client.track({"batch": [good, bad]})
    assert reply.status == 400
    assert [problem["field"] for problem in reply.json["invalid_fields"]] == ["batch.1.properties.order_id"]
    _assert_nothing_happened(harness)


def test_unknown_topic_is_acknowledged_and_ignored(harness):
    # Platforms retry every non-2xx for days: an unknown topic must not be an error.
    reply = harness.client.shopify("app/uninstalled", {"id": 1}, webhook_id="hook-9")
    assert reply.status == 200
    assert reply.json["ignored"] == ["hook-9"]
    _assert_nothing_happened(harness)
