"""Every HTTP route, fuzzed: generated bodies and headers, about half of them correctly signed.

Whatever arrives, no response is a server error (a 5xx makes Shopify retry for 4 hours and
then delete the subscription), and a refused request (4xx) writes nothing. ``make test`` runs
a few hundred cases; ``make fuzz`` runs ten thousand (FUZZ_EXAMPLES).
"""

from __future__ import annotations

import base64
import copy
import gzip
import json
import os
import random

import boto3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from encore.signatures import sign_base64, sign_hex
from tests.conftest import STORE_ID, load_event

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))

SHOPIFY_TOPICS = [
    "checkouts/update",
    "orders/create",
    "orders/paid",
    "customers/update",
    "carts/update",
    "products/update",
    "customers/redact",
    "fulfillments/create",
    "app/uninstalled",
    "",
]
SHOPIFY_FILES = {
    "checkouts/update": "shopify_checkouts_update",
    "orders/create": "shopify_orders_create",
    "orders/paid": "shopify_orders_paid",
    "customers/update": "shopify_customers_update",
    "carts/update": "shopify_carts_update",
    "products/update": "shopify_products_update",
    "customers/redact": "shopify_customers_redact",
    "fulfillments/create": "shopify_fulfillments_create",
}
WOO_TOPICS = ["order.created", "order.updated", "customer.updated", "product.updated", "coupon.created", "action.woocommerce_x", ""]
WOO_FILES = {
    "order.created": "woocommerce_order_created",
    "order.updated": "woocommerce_order_updated",
    "customer.updated": "woocommerce_customer_updated",
    "product.updated": "woocommerce_product_updated",
}
SEGMENT_CALLS = ["batch", "batch", "track", "identify", "page"]
GENERIC_FILES = [
    "generic_identify",
    "generic_product_viewed",
    "generic_product_added",
    "generic_checkout_started",
    "generic_order_completed",
    "generic_batch",
    "generic_product_reviewed",
    "generic_signed_up",
]

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.sampled_from(["", "2026-13-45T99:00:00Z", "-1", "NaN", "💥", "a" * 3000]),
)
json_value = st.recursive(
    json_leaf, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)), max_leaves=12
)


@st.composite
def mutated(draw, document):
    """A real payload with some of its fields dropped, retyped or replaced."""
    document = copy.deepcopy(document)
    targets = [document] + [value for value in document.values() if isinstance(value, dict)] if isinstance(document, dict) else []
    for _ in range(draw(st.integers(0, 4))):
        if not targets:
            break
        target = draw(st.sampled_from(targets))
        if not target:
            continue
        key = draw(st.sampled_from(sorted(target)))
        if draw(st.booleans()):
            target.pop(key)
        else:
            target[key] = draw(json_value)
    return document


@st.composite
def request(draw):
    route = draw(st.sampled_from(["shopify", "woocommerce", "generic", "segment", "unsubscribe", "preferences"]))
    kind = draw(st.sampled_from(["mutated", "mutated", "random_json", "bytes"]))
    signed = draw(st.booleans())
    if route == "shopify":
        topic = draw(st.sampled_from(SHOPIFY_TOPICS))
        base = load_event(SHOPIFY_FILES.get(topic, "shopify_orders_create"))
    elif route == "woocommerce":
        topic = draw(st.sampled_from(WOO_TOPICS))
        base = load_event(WOO_FILES.get(topic, "woocommerce_order_created"))
    elif route == "segment":
        topic = draw(st.sampled_from(SEGMENT_CALLS))  # the call (the route's last part)
        base = load_event(draw(st.sampled_from(GENERIC_FILES)))
        if topic == "batch" and "batch" not in base:
            base = {"batch": [base], "sentAt": "2026-11-02T10:00:00Z"}
    else:
        topic = ""
        base = load_event(draw(st.sampled_from(GENERIC_FILES)))
    if kind == "mutated":
        body = json.dumps(draw(mutated(base))).encode()
        if route == "segment" and draw(st.booleans()):
            body = gzip.compress(body)  # Segment's SDKs send gzip (headers below say so)
    elif kind == "random_json":
        body = json.dumps(draw(json_value)).encode()
    else:
        body = draw(st.binary(max_size=300))
    extra_headers = draw(
        st.dictionaries(
            st.sampled_from(
                ["Content-Type", "X-Shopify-Webhook-Id", "X-Shopify-Event-Id", "X-WC-Webhook-Delivery-ID", "X-Shopify-Shop-Domain", "X-Shopify-Triggered-At"]
            ),
            st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30),
            max_size=2,
        )
    )
    token = draw(st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="/?#%"), min_size=1, max_size=80))
    return route, topic, body, signed, extra_headers, token


def _headers(harness, route: str, topic: str, body: bytes, signed: bool, extra: dict) -> tuple[str, dict]:
    secret = harness.client.secret if signed else "not-the-store-secret"
    if route == "shopify":
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Shop-Domain": f"{STORE_ID}.myshopify.com",
            "X-Shopify-Webhook-Id": f"fuzz-{random.random()}",
            "X-Shopify-Hmac-Sha256": sign_base64(secret, body),
        }
        path = "/webhooks/shopify"
    elif route == "woocommerce":
        headers = {
            "Content-Type": "application/json",
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Delivery-ID": f"fuzz-{random.random()}",
            "X-WC-Webhook-Signature": sign_base64(secret, body),
        }
        path = f"/webhooks/woocommerce/{STORE_ID}"
    elif route == "segment":
        # "Signed" here: the store's API key as the write key; otherwise a key of no store.
        key = harness.client.credentials.api_key if signed else "enc_not-a-key-of-this-store"
        headers = {"Content-Type": "application/json", "Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
        if body[:2] == b"\x1f\x8b":
            headers["Content-Encoding"] = "gzip"
        path = f"/v1/{topic}"
    else:
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {harness.client.credentials.api_key}",
            "X-Encore-Signature": sign_hex(secret, body),
        }
        path = "/v1/events"
    headers.update(extra)
    return path, headers


def _table(harness) -> int:
    return boto3.client("dynamodb").scan(TableName=harness.stack.physical("EncoreTable"), Select="COUNT")["Count"]


def test_no_request_to_any_route_is_a_server_error_and_a_refused_one_writes_nothing(harness):
    seen: dict[tuple[str, int], int] = {}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(request())
    def one(case):
        route, topic, body, signed, extra, token = case
        before = _table(harness)
        if route in ("unsubscribe", "preferences"):
            reply = harness.client.post(f"/{route}/{token}", body, {"Content-Type": "application/x-www-form-urlencoded"})
        else:
            path, headers = _headers(harness, route, topic, body, signed, extra)
            reply = harness.client.post(path, body, headers)
        harness.clock.settle()
        seen[(route, reply.status)] = seen.get((route, reply.status), 0) + 1
        assert reply.status < 500, (route, topic, reply.status, body[:200])
        if reply.status >= 400:
            assert _table(harness) == before, (route, reply.status, "a refused request wrote to the table")

    one()
    print("fuzz", EXAMPLES, "cases:", dict(sorted(seen.items())))
    # Both sides were exercised: accepted requests and refusals, on every route.
    assert {route for route, _ in seen} == {"shopify", "woocommerce", "generic", "segment", "unsubscribe", "preferences"}
    assert any(status < 300 for _, status in seen) and any(status == 401 for _, status in seen)


def test_a_signed_customer_redact_without_its_customer_is_refused_at_the_door(harness):
    """Found by the fuzzing above: it was accepted (202), then failed in the privacy function."""
    payload = load_event("shopify_customers_redact")
    payload.pop("customer")
    reply = harness.client.shopify("customers/redact", payload, webhook_id="redact-without-customer")
    assert reply.status == 400 and "customer" in json.dumps(reply.json), reply
