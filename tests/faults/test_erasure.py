"""Erasure erases: every item of the customer and every look-up item that points at them."""

from __future__ import annotations

import json

import pytest

OLENA = "603851970716743426"


@pytest.mark.handler_errors_expected  # on the code before the fix, the erasure itself failed
def test_a_customer_with_merged_visitor_ids_is_erased_with_their_visitor_look_ups(harness):
    # A visitor browses anonymously, then signs in: the profile keeps both visitor ids.
    for index, anonymous_id in enumerate(["anon-7f3a", "anon-91bc"]):
        message = {"type": "identify", "messageId": f"identify-{index}", "userId": OLENA, "anonymousId": anonymous_id,
                   "timestamp": harness.now().isoformat(), "traits": {"email": "olena@example.com"}}
        assert harness._settled(harness.client.track(message)).status == 202
    profile = harness.profile(OLENA)
    assert profile["anonymous_ids"] == {"anon-7f3a", "anon-91bc"}

    assert harness.shopify("customers/redact", "shopify_customers_redact", webhook_id="redact-1").status == 202

    remaining = [(item["pk"]["S"], item["sk"]["S"]) for item in harness.table_items()
                 if OLENA in json.dumps(item) or "anon-" in json.dumps(item) or "olena" in json.dumps(item)]
    assert remaining == []
    assert [i.function for i in harness.stack.lambdas.invocations if i.errored] == []
    assert harness.profile(OLENA) is None
