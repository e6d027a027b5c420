"""The browser endpoint on the local stack: the busy-visitor limit's answer, dedupe of repeated
browser events, and the checkout-token link (first visitor wins; it expires). The counter's
arithmetic runs on the fakes (tests/unit/test_tracking_domain.py)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import timedelta

from encore import tracking
from encore.customers import link_checkout_to_customer, link_checkout_to_visitor
from tests.conftest import STORE_ID

VISITOR = "3f2b8c1e-9a47-4d2b-8e61-0c5d7a9b4e21"
OTHER_VISITOR = "9d0e7a55-1b2c-4d3e-8f90-aa11bb22cc33"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


def _key(harness) -> str:
    from infra.cli.context import Context
    from infra.cli.tracking import create_tracking_key

    return create_tracking_key(Context(prefix=harness.stack.resolver.parameters["ParametersPrefix"]), STORE_ID)


def _post(harness, key: str, payload: dict) -> tuple[int, dict, dict]:
    request = urllib.request.Request(
        f"{harness.client.api_url}/v1/t/{key}",
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Content-Type": "text/plain", "Origin": "https://shop.example", "User-Agent": FIREFOX},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            status, body, headers = reply.status, reply.read(), dict(reply.headers)
    except urllib.error.HTTPError as error:
        status, body, headers = error.code, error.read(), dict(error.headers)
    harness.clock.settle()
    return status, json.loads(body or b"{}"), headers


def _view(message_id: str, visitor: str = VISITOR) -> dict:
    return {"type": "track", "event": "Product Viewed", "messageId": message_id, "anonymousId": visitor, "properties": {"product_id": "632910392"}}


def test_a_repeated_browser_event_is_counted_once_and_cannot_take_a_server_events_dedupe_key(harness):
    key = _key(harness)
    assert _post(harness, key, {"batch": [_view("m1")]})[:2] == (202, {"accepted": 1, "duplicates": 0})
    assert _post(harness, key, {"batch": [_view("m1")]})[:2] == (202, {"accepted": 0, "duplicates": 1})
    assert harness.item(f"STORE#{STORE_ID}#VISITOR#{VISITOR}", "VIEW#632910392")["views"] == 1
    # A browser naming a server event's id gets its own namespaced record, not that one.
    assert harness.item(f"STORE#{STORE_ID}#EVENT#browser:{VISITOR}:m1", "EVENT") is not None


def test_the_answer_to_the_stores_own_origin_carries_its_cors_header(harness):
    status, _, headers = _post(harness, _key(harness), {"batch": [_view("m1")]})
    assert status == 202 and headers["Access-Control-Allow-Origin"] == "https://shop.example"
    assert "Access-Control-Allow-Credentials" not in headers


def test_a_visitor_over_the_limit_gets_429_with_retry_after(harness):
    key = _key(harness)
    saved = tracking.RATE_LIMITER
    tracking.RATE_LIMITER = tracking.RateLimiter(soft_limit=1, hard_limit=1)
    try:
        assert _post(harness, key, {"batch": [_view("m1")]})[0] == 202
        status, body, headers = _post(harness, key, {"batch": [_view("m2")]})
        assert status == 429 and headers["Retry-After"] == "60" and "too many events" in body["title"]
    finally:
        tracking.RATE_LIMITER = saved


def test_a_checkout_token_belongs_to_the_first_visitor_that_reports_it_and_the_link_expires(harness):
    from encore.models import VisitorIdentity, bind_table, get_or_none

    bind_table(harness.stack.physical("EncoreTable"))
    now = harness.now()
    assert link_checkout_to_visitor(STORE_ID, "tok-00000001", VISITOR, now) is None
    assert link_checkout_to_visitor(STORE_ID, "tok-00000001", OTHER_VISITOR, now) is None  # refused: not theirs
    assert link_checkout_to_customer(STORE_ID, "tok-00000001", "42", now) == VISITOR
    assert get_or_none(VisitorIdentity, *VisitorIdentity.key(STORE_ID, OTHER_VISITOR)) is None
    assert VisitorIdentity.get(*VisitorIdentity.key(STORE_ID, VISITOR)).customer_id == "42"
    # A webhook naming another customer for the same checkout changes nothing.
    assert link_checkout_to_customer(STORE_ID, "tok-00000001", "43", now) is None
    # A day later the browser's report has expired (DynamoDB's TTL may not have deleted it yet).
    assert link_checkout_to_visitor(STORE_ID, "tok-00000002", OTHER_VISITOR, now) is None
    assert link_checkout_to_customer(STORE_ID, "tok-00000002", "44", now + timedelta(hours=25)) is None
    assert get_or_none(VisitorIdentity, *VisitorIdentity.key(STORE_ID, OTHER_VISITOR)) is None


def test_a_signed_woocommerce_order_carrying_the_visitor_id_links_the_visitor_to_the_buyer(harness):
    import copy

    from tests.conftest import load_event
    from tests.integration.test_woocommerce_webhooks import _deliver

    key = _key(harness)
    assert _post(harness, key, {"batch": [_view("m1"), _view("m2")]})[0] == 202
    order = copy.deepcopy(load_event("woocommerce_order_created"))
    # What the store's checkout hook writes from the _encore_vid cookie (docs/storefront.md).
    order["meta_data"] = [*order.get("meta_data", []), {"id": 9001, "key": "_encore_vid", "value": VISITOR}]
    assert _deliver(harness, "order.created", order, delivery_id="d-visitor").status == 202
    harness.clock.settle()
    assert harness.item(f"STORE#{STORE_ID}#VISITOR#{VISITOR}", "IDENTITY")["customer_id"] == "42"
    assert harness.item(f"STORE#{STORE_ID}#CUSTOMER#42", "VIEW#632910392")["views"] == 2
    # A meta value that is not a visitor id is ignored, not an error.
    order["meta_data"][-1]["value"] = {"not": "an id"}
    assert _deliver(harness, "order.created", order, delivery_id="d-visitor-2").status == 202
