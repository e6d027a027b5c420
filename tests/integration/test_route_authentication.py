"""Every HTTP API route in template.yaml refuses a request that is not signed, or signed
with the wrong secret, and changes nothing. These routes declare `Authorizer: NONE` (an HTTP
API authorizer never sees the body the signature covers): the check lives in the function,
and this test is what holds it there.

The routes come from template.yaml, so a route added there fails here until it has a request
below. Expected refusals: 401 for the webhooks, the events API and Segment's routes (no write
key, or a key that is no store's); the unsubscribe link's documented "This link is not valid"
page (404: a forged link is an unknown link). The one
exception is WooCommerce's unsigned creation ping, answered 200 and changing nothing.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from encore.signatures import sign_base64, sign_hex
from encore.unsubscribe import UnsubscribeKeys, make_token
from infra.local.template import load_template
from tests.conftest import STORE_ID, load_event

ROOT = Path(__file__).resolve().parents[2]
FORGERY_SECRET = "not-the-store-secret"
CUSTOMER_ID = "42"


def _template_routes() -> list[tuple[str, str]]:
    resources = load_template(ROOT / "template.yaml")["Resources"]
    return sorted(
        (event["Properties"]["Method"].upper(), event["Properties"]["Path"])
        for spec in resources.values()
        if spec["Type"] == "AWS::Serverless::Function"
        for event in (spec["Properties"].get("Events") or {}).values()
        if event["Type"] == "HttpApi"
    )


# Each route: how a genuine caller's request looks, with the signature left out ("unsigned")
# or made with another secret ("forged"). Returns (path, body, headers).
def _shopify(harness, mode: str):
    body = json.dumps(load_event("shopify_checkouts_update")).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "checkouts/update",
        "X-Shopify-Shop-Domain": f"{STORE_ID}.myshopify.com",
        "X-Shopify-Webhook-Id": f"auth-{mode}",
        "X-Shopify-API-Version": "2025-10",
    }
    if mode == "forged":
        headers["X-Shopify-Hmac-Sha256"] = sign_base64(FORGERY_SECRET, body)
    return "/webhooks/shopify", body, headers


def _woocommerce(harness, mode: str):
    body = json.dumps(load_event("woocommerce_order_created")).encode()
    headers = {
        "Content-Type": "application/json",
        "X-WC-Webhook-Source": "https://shop.example.com/",
        "X-WC-Webhook-Topic": "order.created",
        "X-WC-Webhook-Resource": "order",
        "X-WC-Webhook-Event": "created",
        "X-WC-Webhook-ID": "7",
        "X-WC-Webhook-Delivery-ID": f"auth-{mode}",
    }
    if mode == "forged":
        headers["X-WC-Webhook-Signature"] = sign_base64(FORGERY_SECRET, body)
    return f"/webhooks/woocommerce/{STORE_ID}", body, headers


def _generic_events(harness, mode: str):
    body = json.dumps(load_event("generic_product_added")).encode()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {harness.client.credentials.api_key}"}
    if mode == "forged":
        headers["X-Encore-Signature"] = sign_hex(FORGERY_SECRET, body)
    return "/v1/events", body, headers


def _segment(call: str):
    """Segment's routes: no write key ("unsigned"), or a write key that is no store's API key
    ("forged"); Segment's clients cannot sign, so the key is what authenticates."""

    def build(harness, mode: str):
        message = load_event("generic_product_added") if call in ("track", "batch") else load_event("generic_identify")
        if call not in ("track", "identify", "batch"):
            message = {**message, "type": call}
        body = json.dumps({"batch": [message]} if call == "batch" else message).encode()
        headers = {"Content-Type": "application/json"}
        if mode == "forged":
            headers["Authorization"] = "Basic " + base64.b64encode(b"enc_not-a-key-of-this-store:").decode()
        return f"/v1/{call}", body, headers

    return build


def _unsubscribe(harness, mode: str):
    from encore.adapters.secrets import SsmStoreParameters

    keys = UnsubscribeKeys.from_dict(SsmStoreParameters("/encore").unsubscribe_keys(STORE_ID, refresh=True))
    genuine = make_token(keys, STORE_ID, CUSTOMER_ID)
    # Unsigned: the link without its signature part; forged: signed with another key of the same id.
    forged_keys = UnsubscribeKeys(current=keys.current, keys={keys.current: FORGERY_SECRET})
    token = genuine.rsplit(".", 1)[0] if mode == "unsigned" else make_token(forged_keys, STORE_ID, CUSTOMER_ID)
    return f"/unsubscribe/{token}", b"List-Unsubscribe=One-Click", {"Content-Type": "application/x-www-form-urlencoded"}


def _preferences(harness, mode: str):
    # The same signed token as the unsubscribe link; a form with no box ticked would switch
    # every marketing channel off, so a forged one would have something to change.
    path, _, headers = _unsubscribe(harness, mode)
    return path.replace("/unsubscribe/", "/preferences/", 1), b"form=preferences", headers


def _browser_events(harness, mode: str):
    # The browser endpoint's credential is a public per-store key (encore.tracking): a request
    # without one (unsigned) or with a well-formed key no store owns (forged) names no store.
    body = json.dumps(
        {"type": "track", "event": "Product Viewed", "messageId": "m1", "anonymousId": "visitor-0123456789ab", "properties": {"product_id": "1"}}
    ).encode()
    key = "not-a-key" if mode == "unsigned" else "pk_" + "A" * 24
    headers = {"Content-Type": "text/plain", "Origin": "https://shop.example", "User-Agent": "Mozilla/5.0 Firefox/133.0"}
    return f"/v1/t/{key}", body, headers


UNAUTHORIZED = (401, None)
INVALID_LINK = (404, "This link is not valid")
REQUESTS = {
    ("POST", "/webhooks/shopify"): (_shopify, UNAUTHORIZED),
    ("POST", "/webhooks/woocommerce/{store_id}"): (_woocommerce, UNAUTHORIZED),
    ("POST", "/v1/events"): (_generic_events, UNAUTHORIZED),
    **{("POST", f"/v1/{call}"): (_segment(call), UNAUTHORIZED) for call in ("batch", "track", "identify", "page", "screen", "alias", "group")},
    ("POST", "/unsubscribe/{token}"): (_unsubscribe, INVALID_LINK),
    ("GET", "/unsubscribe/{token}"): (_unsubscribe, INVALID_LINK),
    ("POST", "/preferences/{token}"): (_preferences, INVALID_LINK),
    ("GET", "/preferences/{token}"): (_preferences, INVALID_LINK),
    ("POST", "/v1/t/{public_key}"): (_browser_events, UNAUTHORIZED),
    ("OPTIONS", "/v1/t/{public_key}"): (_browser_events, UNAUTHORIZED),
}


def _send(harness, method: str, path: str, body: bytes, headers: dict):
    import urllib.error
    import urllib.request

    request = urllib.request.Request(harness.client.api_url + path, data=body if method != "GET" else None, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _state(harness) -> tuple:
    """What a request could have changed: the table, the journeys, the functions it ran."""
    return (
        sorted(json.dumps(item, sort_keys=True) for item in harness.table_items()),
        len(harness.journeys()),
        len(harness.stack.lambdas.invocations),
    )


def test_the_routes_here_are_the_template_routes():
    assert sorted(REQUESTS) == _template_routes(), "a route in template.yaml has no unsigned/forged request in this test"


def test_every_route_refuses_unsigned_and_forged_requests(harness):
    # One local stack for every route (each boot costs seconds); every refusal is checked
    # and all the failures are reported together.
    # A customer with email consent, so a forged unsubscribe would have something to withdraw.
    reply = harness.identify(CUSTOMER_ID, email="ada@example.com", email_consent=True)
    assert reply.status in (200, 202), reply
    failures = []
    for route in _template_routes():
        build, (status, page_text) = REQUESTS[route]
        method, _ = route
        for mode in ("unsigned", "forged"):
            before = _state(harness)
            path, body, headers = build(harness, mode)
            code, text = _send(harness, method, path, body, headers)
            harness.clock.settle()
            if code != status or (page_text and page_text not in text):
                failures.append(f"{mode} {method} {path}: {code} {text[:120]}")
            # The route's own function ran (and refused); nothing else did, nothing was written.
            table, journeys, invocations = _state(harness)
            if (table, journeys, invocations) != (before[0], before[1], before[2] + 1):
                failures.append(f"{mode} {method} {path}: changed something")
    assert failures == []

    # The documented exception: WooCommerce's creation ping is unsigned, answered, harmless.
    before = _state(harness)
    code, _ = _send(harness, "POST", f"/webhooks/woocommerce/{STORE_ID}", b"webhook_id=7", {"Content-Type": "application/x-www-form-urlencoded"})
    assert code == 200
    assert _state(harness)[:2] == before[:2]
