"""WooCommerce webhooks over HTTP through the local stack, sent as WooCommerce sends them:
REST API v3 JSON bodies, ``X-WC-Webhook-*`` headers, base64 HMAC-SHA256 signatures, and an
unsigned form-encoded ping when the webhook is created.

The Lambdas behind ``order_paid`` and the other lifecycle events are not asserted here: for
those, only the HTTP answer and what ingest accepted are."""

from __future__ import annotations

import copy
import json

import pytest

from encore.signatures import sign_base64
from tests.conftest import STORE_ID, load_event

PATH = f"/webhooks/woocommerce/{STORE_ID}"
USER_AGENT = "WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)"
ORDER_PK = f"STORE#{STORE_ID}#CUSTOMER#42"


def _deliver(
    harness, topic: str, payload: dict | bytes, *, delivery_id: str | None = "5c2e8f0d1a7b4e39b6d2c0f1e8a9d374", signature: str | None = None, path: str = PATH
):
    """POST one delivery exactly as ``WC_Webhook::deliver`` does."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    resource, _, event = topic.partition(".")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-WC-Webhook-Source": "https://shop.example.com/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": sign_base64(harness.client.secret, body) if signature is None else signature,
        "X-WC-Webhook-ID": "7",
        "X-WC-Webhook-Delivery-ID": delivery_id,
    }
    return harness.client.post(path, body, {name: value for name, value in headers.items() if value is not None})


def _keys(harness) -> set[tuple[str, str]]:
    return {(item["pk"]["S"], item["sk"]["S"]) for item in harness.table_items()}


def _assert_nothing_happened(harness) -> None:
    assert harness.table_items() == []
    assert harness.journeys() == []
    assert [i.function for i in harness.stack.lambdas.invocations if not i.function.endswith("IngestFunction")] == []


# --- the ping ------------------------------------------------------------------------------


def test_the_creation_ping_is_answered_200_and_writes_nothing(harness):
    reply = harness.client.post(PATH, b"webhook_id=7", {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": USER_AGENT})
    assert reply.status == 200  # WooCommerce keeps the webhook disabled unless it gets exactly 200
    _assert_nothing_happened(harness)


# --- orders ----------------------------------------------------------------------------------


def test_order_created_is_accepted_and_saved_under_the_customer(harness):
    reply = _deliver(harness, "order.created", load_event("woocommerce_order_created"), delivery_id="d-727")
    assert reply.status == 202
    # Paid by card at checkout: placed and paid, each with its own dedupe key.
    assert reply.json == {"accepted": ["d-727:727", "d-727:727:paid"], "duplicates": [], "ignored": []}
    assert (ORDER_PK, "ORDER#727") in _keys(harness)


def test_guest_order_is_saved_under_the_billing_email(harness):
    payload = copy.deepcopy(load_event("woocommerce_order_created"))
    payload.update(customer_id=0, status="on-hold", date_paid_gmt=None)  # bank transfer: not paid yet
    reply = _deliver(harness, "order.created", payload, delivery_id="d-guest")
    assert (reply.status, reply.json["accepted"]) == (202, ["d-guest:727"])
    assert (f"STORE#{STORE_ID}#CUSTOMER#guest:olena@example.com", "ORDER#727") in _keys(harness)


def test_the_same_delivery_twice_is_a_duplicate(harness):
    payload = load_event("woocommerce_order_created")
    first = _deliver(harness, "order.created", payload, delivery_id="d-again")
    harness.clock.settle()  # let the post-purchase journey the order started reach its wait
    keys = _keys(harness)
    second = _deliver(harness, "order.created", payload, delivery_id="d-again")
    harness.clock.settle()
    assert (first.status, second.status) == (202, 202)
    assert second.json == {"accepted": [], "duplicates": ["d-again:727", "d-again:727:paid"], "ignored": []}
    assert _keys(harness) == keys


def test_wrong_signature_is_401_and_changes_nothing(harness):
    body = json.dumps(load_event("woocommerce_order_created")).encode()
    reply = _deliver(harness, "order.created", body, signature=sign_base64("another-webhook-secret", body))
    assert reply.status == 401
    assert reply.json["title"] == "signature does not match the body"
    _assert_nothing_happened(harness)


def test_a_store_not_in_encore_is_401(harness):
    reply = _deliver(harness, "order.created", load_event("woocommerce_order_created"), path="/webhooks/woocommerce/no-such-store")
    assert (reply.status, reply.json["title"]) == (401, "unknown store")
    _assert_nothing_happened(harness)


def test_missing_fields_are_400_naming_each_field(harness):
    payload = copy.deepcopy(load_event("woocommerce_order_created"))
    del payload["total"]
    del payload["currency"]
    payload["line_items"][0]["quantity"] = -1
    reply = _deliver(harness, "order.created", payload)
    assert reply.status == 400
    assert {problem["field"] for problem in reply.json["invalid_fields"]} == {"total", "currency", "line_items.0.quantity"}
    _assert_nothing_happened(harness)


def test_missing_delivery_id_is_400_naming_the_header(harness):
    reply = _deliver(harness, "order.created", load_event("woocommerce_order_created"), delivery_id=None)
    assert reply.status == 400
    assert reply.json["invalid_fields"] == [{"field": "X-WC-Webhook-Delivery-ID", "problem": "required"}]
    _assert_nothing_happened(harness)


def test_an_order_put_on_hold_is_acknowledged_and_ignored(harness):
    payload = dict(load_event("woocommerce_order_updated"), status="on-hold")
    reply = _deliver(harness, "order.updated", payload, delivery_id="d-hold")
    assert reply.status == 200
    assert reply.json == {"accepted": [], "duplicates": [], "ignored": ["d-hold"]}
    _assert_nothing_happened(harness)


@pytest.mark.parametrize(
    ("status", "extra"),
    [
        ("processing", {}),
        ("completed", {}),
        ("cancelled", {}),
        ("refunded", {"refunds": [{"id": 731, "reason": "Damaged in transit", "total": "-123.76"}]}),
    ],
)
def test_order_lifecycle_updates_are_accepted(harness, status, extra):
    payload = dict(load_event("woocommerce_order_updated"), status=status, **extra)
    reply = _deliver(harness, "order.updated", payload, delivery_id=f"d-{status}")
    assert reply.status == 202
    assert reply.json == {"accepted": [f"d-{status}:727:{status}"], "duplicates": [], "ignored": []}


# --- customers and products -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("topic", "fixture"),
    [
        ("customer.created", "woocommerce_customer_created"),
        ("customer.updated", "woocommerce_customer_updated"),
        ("product.created", "woocommerce_product_created"),
        ("product.updated", "woocommerce_product_updated"),
    ],
)
def test_customer_and_product_webhooks_are_accepted(harness, topic, fixture):
    reply = _deliver(harness, topic, load_event(fixture), delivery_id=f"d-{topic}")
    assert reply.status == 202
    resource_id = load_event(fixture)["id"]
    assert reply.json == {"accepted": [f"d-{topic}:{resource_id}"], "duplicates": [], "ignored": []}


def test_a_badly_typed_phone_never_rejects_a_customer(harness):
    payload = copy.deepcopy(load_event("woocommerce_customer_updated"))
    payload["billing"]["phone"] = "ask for Olena, 9-17h"
    reply = _deliver(harness, "customer.updated", payload, delivery_id="d-phone")
    assert (reply.status, reply.json["accepted"]) == (202, ["d-phone:42"])


# --- topics without a canonical event ------------------------------------------------------------


@pytest.mark.parametrize(
    ("topic", "fixture"),
    [
        ("product.deleted", "woocommerce_product_deleted"),
        ("customer.deleted", "woocommerce_customer_deleted"),
        ("order.deleted", "woocommerce_order_deleted"),
        ("coupon.created", "woocommerce_coupon_created"),
        ("coupon.updated", "woocommerce_coupon_created"),
    ],
)
def test_topics_without_a_canonical_event_are_acknowledged_and_ignored(harness, topic, fixture):
    # WooCommerce disables a webhook after a few non-2xx answers: never reject these.
    reply = _deliver(harness, topic, load_event(fixture), delivery_id="d-other")
    assert reply.status == 200
    assert reply.json == {"accepted": [], "duplicates": [], "ignored": ["d-other"]}
    _assert_nothing_happened(harness)
