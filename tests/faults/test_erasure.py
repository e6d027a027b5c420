"""Erasure erases: every item of the customer and every look-up item that points at them."""

from __future__ import annotations

import json

import pytest

OLENA = "603851970716743426"


@pytest.mark.handler_errors_expected  # on the code before the fix, the erasure itself failed
def test_a_customer_with_merged_visitor_ids_is_erased_with_their_visitor_look_ups(harness):
    # A visitor browses anonymously, then signs in: the profile keeps both visitor ids.
    for index, anonymous_id in enumerate(["anon-7f3a", "anon-91bc"]):
        message = {
            "type": "identify",
            "messageId": f"identify-{index}",
            "userId": OLENA,
            "anonymousId": anonymous_id,
            "timestamp": harness.now().isoformat(),
            "traits": {"email": "olena@example.com"},
        }
        assert harness._settled(harness.client.track(message)).status == 202
    profile = harness.profile(OLENA)
    assert profile["anonymous_ids"] == {"anon-7f3a", "anon-91bc"}

    assert harness.shopify("customers/redact", "shopify_customers_redact", webhook_id="redact-1").status == 202

    remaining = [
        (item["pk"]["S"], item["sk"]["S"])
        for item in harness.table_items()
        if OLENA in json.dumps(item) or "anon-" in json.dumps(item) or "olena" in json.dumps(item)
    ]
    assert remaining == []
    assert [i.function for i in harness.stack.lambdas.invocations if i.errored] == []
    assert harness.profile(OLENA) is None


def _everything_about_olena(harness) -> list[tuple[str, str]]:
    return [(item["pk"]["S"], item["sk"]["S"]) for item in harness.table_items() if OLENA in json.dumps(item) or "olena" in json.dumps(item).lower()]


def test_an_erased_customer_is_gone_from_table_and_bucket_and_a_replay_does_not_bring_them_back(harness):
    from datetime import timedelta

    import boto3

    from tests.conftest import START, load_event

    harness.checkout(webhook_id="checkout-1")
    harness.run_until(timedelta(hours=80))  # three reminders: messages and a coupon
    harness.order(webhook_id="order-1")
    review = load_event("generic_product_reviewed")
    review.update(userId=OLENA, timestamp=harness.now().isoformat())
    assert harness.client.track(review).status == 202
    harness.shopify("customers/data_request", "shopify_customers_data_request", webhook_id="export-1")
    bucket = harness.stack.physical("PrivacyExportsBucket")
    assert boto3.client("s3").list_objects_v2(Bucket=bucket).get("KeyCount") == 1
    kinds = {sk.split("#")[0] for _, sk in _everything_about_olena(harness)}
    assert {"PROFILE", "CART", "ORDER", "MESSAGE", "REVIEW"} <= kinds, kinds

    harness.run_until(timedelta(hours=96))
    assert harness.shopify("customers/redact", "shopify_customers_redact", webhook_id="redact-1").status == 202
    assert _everything_about_olena(harness) == []
    assert boto3.client("s3").list_objects_v2(Bucket=bucket).get("KeyCount") == 0
    receipts = [item for item in harness.table_items() if item["sk"]["S"] == "ERASED"]
    assert len(receipts) == 1 and "olena" not in json.dumps(receipts).lower() and OLENA not in json.dumps(receipts)

    # The archive still holds the events from before the erasure (the data request among
    # them): replaying them, without the redact itself, brings back nothing.
    journeys_before = len(harness.journeys())
    harness.stack.replay(START - timedelta(days=1), START + timedelta(hours=82))
    harness.clock.settle()
    assert _everything_about_olena(harness) == []
    assert boto3.client("s3").list_objects_v2(Bucket=bucket).get("KeyCount") == 0
    assert len(harness.journeys()) == journeys_before

    # A customer who comes back after the erasure starts afresh.
    harness.run_until(timedelta(hours=97))
    harness.checkout(webhook_id="checkout-after")
    assert harness.profile(OLENA) is not None
