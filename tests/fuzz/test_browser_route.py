"""The browser route (``POST /v1/t/{public_key}``), fuzzed: it is open to the internet on a
public key, so whatever arrives — mutated pixel batches, random JSON, wrong keys, foreign
origins, bots, odd content types — no answer is a server error, and a refused request writes
nothing (except a 429's own busy-visitor count, which is the point of it)."""

from __future__ import annotations

import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import STORE_ID
from tests.fuzz.test_routes import _table, json_value, mutated

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))
VISITORS = ["3f2b8c1e-9a47-4d2b-8e61-0c5d7a9b4e21", "9d0e7a55-1b2c-4d3e-8f90-aa11bb22cc33"]
VALID = [
    {
        "type": "track",
        "event": "Product Viewed",
        "messageId": "m1",
        "anonymousId": VISITORS[0],
        "properties": {"product_id": "632910392", "name": "Linen shirt", "price": 49.0, "dwell_seconds": 80},
    },
    {
        "type": "track",
        "event": "Checkout Started",
        "messageId": "m2",
        "anonymousId": VISITORS[1],
        "properties": {"checkout_token": "a1b2c3d4e5f60718293a4b5c6d7e8f90"},
    },
    {
        "type": "track",
        "event": "Product Added",
        "messageId": "m3",
        "anonymousId": VISITORS[0],
        "userId": "603851970716743426",
        "properties": {"product_id": "1"},
    },
    {"type": "track", "event": "Order Completed", "messageId": "m4", "anonymousId": VISITORS[0], "properties": {"order_id": "1", "total": 10}},
]
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


@st.composite
def browser_request(draw, key: str):
    shape = draw(st.sampled_from(["batch", "one", "random", "bytes"]))
    if shape == "batch":
        payload = {"batch": draw(st.lists(st.sampled_from(VALID).flatmap(mutated), min_size=0, max_size=22))}
        body = json.dumps(payload).encode()
    elif shape == "one":
        body = json.dumps(draw(st.sampled_from(VALID).flatmap(mutated))).encode()
    elif shape == "random":
        body = json.dumps(draw(json_value)).encode()
    else:
        body = draw(st.binary(max_size=9000))
    path_key = draw(st.sampled_from([key, key, key, "pk_" + "Z" * 24, "enc_not_public", "pk_%2e%2e", "x" * 200]))
    headers = {"Content-Type": draw(st.sampled_from(["text/plain", "text/plain;charset=UTF-8", "application/json", "application/x-www-form-urlencoded", ""]))}
    origin = draw(st.sampled_from(["https://shop.example", "https://demo-store.myshopify.com", "null", None, "https://evil.example", "💥"]))
    if origin is not None:
        headers["Origin"] = origin
    agent = draw(st.sampled_from([BROWSER, BROWSER, "Googlebot/2.1", "HeadlessChrome/120", None]))
    if agent is not None:
        headers["User-Agent"] = agent
    return path_key, body, {name: value for name, value in headers.items() if value != ""}


def test_no_browser_request_is_a_server_error_and_a_refused_one_writes_nothing(harness):
    from infra.cli.context import Context
    from infra.cli.tracking import create_tracking_key

    key = create_tracking_key(Context(prefix=harness.stack.resolver.parameters["ParametersPrefix"]), STORE_ID)
    seen: dict[int, int] = {}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(browser_request(key))
    def one(case):
        path_key, body, headers = case
        before = _table(harness)
        # HTTP header values are Latin-1 on the wire: what cannot be sent arrives as "?".
        headers = {name: value.encode("latin-1", "replace").decode("latin-1") for name, value in headers.items()}
        reply = harness.client.post(f"/v1/t/{path_key}", body, headers)
        harness.clock.settle()
        seen[reply.status] = seen.get(reply.status, 0) + 1
        assert reply.status < 500, (reply.status, body[:200], headers)
        if reply.status >= 400 and reply.status != 429:
            assert _table(harness) == before, (reply.status, "a refused request wrote to the table")

    one()
    print("fuzz", EXAMPLES, "browser cases:", dict(sorted(seen.items())))
    assert 202 in seen and {400, 401, 403} <= set(seen)
