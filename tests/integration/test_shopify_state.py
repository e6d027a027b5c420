"""Shopify webhooks → customer state: profiles and consent, orders in any order, catalogue,
privacy requests. Everything through the local HTTP API, signed as Shopify signs."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3

from tests.conftest import START, STORE_ID, iso

OLENA = "603851970716743426"
ORDER = "820982911946154508"


def _order(harness) -> dict | None:
    return harness.item(f"STORE#{STORE_ID}#CUSTOMER#{OLENA}", f"ORDER#{ORDER}")


def test_customers_create_keeps_profile_tags_country_and_consent_per_channel_with_source(harness):
    assert harness.shopify("customers/create", "shopify_customers_create", webhook_id="c-1").status == 202
    profile = harness.profile("706405506930370084")
    assert profile["email"] == "marta@example.com"
    assert profile["phone"] == "+37061234567"
    assert profile["country"] == "LT"
    assert profile["tags"] == {"newsletter", "vilnius"}
    assert profile["accepts_email_marketing"] is True
    assert profile["email_consent"]["source"] == "shopify:email_marketing_consent"
    assert profile["email_consent"]["updated_at"].startswith("2026-11-02T08:59:00")
    assert profile["sms_consent"]["granted"] is False
    assert profile["registered_at"].startswith("2026-11-02T09:00:00")


def test_an_older_consent_never_overrides_a_newer_opt_out(harness):
    opted_out = {"state": "unsubscribed", "opt_in_level": None, "consent_updated_at": "2026-11-02T10:00:00+00:00"}
    harness.shopify("customers/update", "shopify_customers_create", webhook_id="c-2", email_marketing_consent=opted_out, updated_at="2026-11-02T10:00:00+00:00")
    # The create webhook arrives late, carrying the older opt-in.
    harness.shopify("customers/create", "shopify_customers_create", webhook_id="c-1")
    profile = harness.profile("706405506930370084")
    assert profile["accepts_email_marketing"] is False
    assert profile["email_consent"]["granted"] is False


def test_paid_before_created_converges_and_counts_the_order_once(harness):
    assert harness.shopify("orders/paid", "shopify_orders_paid", webhook_id="o-paid").status == 202
    assert _order(harness)["paid_at"]
    assert harness.profile(OLENA).get("orders_count", 0) == 0  # paid, but not yet seen placed

    harness.shopify("orders/create", "shopify_orders_create", webhook_id="o-create")
    harness.shopify("orders/create", "shopify_orders_create", webhook_id="o-create-resent-with-new-id")
    harness.shopify("orders/create", "shopify_orders_create", webhook_id="o-create")  # same delivery again
    order = _order(harness)
    assert order["placed_at"] and order["paid_at"] and order["counted"] is True
    profile = harness.profile(OLENA)
    assert (profile["orders_count"], profile["revenue_cents"]) == (1, 9800)
    purchase = harness.item(f"STORE#{STORE_ID}#CUSTOMER#{OLENA}", "PURCHASE#632910392")
    assert (purchase["quantity"], purchase["orders"]) == (2, 1)


def test_a_cancelled_order_leaves_the_totals_whenever_the_cancel_arrives(harness):
    harness.shopify("orders/create", "shopify_orders_create", webhook_id="o-create")
    harness.shopify("orders/cancelled", "shopify_orders_cancelled", webhook_id="o-cancel")
    harness.shopify("orders/cancelled", "shopify_orders_cancelled", webhook_id="o-cancel-again")
    profile = harness.profile(OLENA)
    assert (profile["orders_count"], profile["revenue_cents"]) == (0, 0)


def test_a_cancel_before_the_order_means_it_is_never_counted(harness):
    harness.shopify("orders/cancelled", "shopify_orders_cancelled", webhook_id="o-cancel")
    harness.shopify("orders/create", "shopify_orders_create", webhook_id="o-create")
    assert _order(harness).get("counted", False) is False
    assert harness.profile(OLENA).get("orders_count", 0) == 0


def test_fulfillment_and_delivery_record_tracking_on_the_order(harness):
    harness.shopify("orders/create", "shopify_orders_create", webhook_id="o-create")
    harness.shopify("orders/fulfilled", "shopify_orders_fulfilled", webhook_id="o-fulfilled")
    harness.shopify("fulfillments/update", "shopify_fulfillments_update", webhook_id="f-delivered")
    order = _order(harness)
    assert order["fulfilled_at"].startswith("2026-11-03T09:00:00")
    assert order["delivered_at"].startswith("2026-11-05T14:20:00")
    assert order["tracking_number"] == "1Z2345"


def test_products_update_keeps_the_catalogue_and_ignores_an_older_webhook(harness):
    harness.shopify("products/update", "shopify_products_update", webhook_id="p-2")
    harness.shopify("products/update", "shopify_products_update", webhook_id="p-1", title="Old title", updated_at="2026-11-01T08:00:00+00:00")
    product = harness.item(f"STORE#{STORE_ID}#PRODUCT#632910392", "PRODUCT")
    assert product["title"] == "Linen shirt"
    assert (product["price_cents"], product["in_stock"], product["category"]) == (4900, True, "Apparel")
    assert product["url"] == "https://demo-store.myshopify.com/products/linen-shirt"


def test_a_historical_cart_updates_state_but_starts_no_journey(harness):
    old = iso(START - timedelta(days=10))
    assert harness.checkout(webhook_id="import-1", updated_at=old).status == 202
    cart = harness.item(f"STORE#{STORE_ID}#CUSTOMER#{OLENA}", "CART#eeafa272cebfd4b22385bc4b645e762c")
    assert cart["status"] == "open"
    assert harness.journeys() == []


def test_a_late_cart_event_keeps_the_reminder_at_one_hour_after_the_cart_changed(harness):
    harness.checkout(webhook_id="late-1", updated_at=iso(START - timedelta(minutes=20)))
    harness.run_until(timedelta(hours=2))
    (mail,) = harness.emails()
    assert mail["Date"] == "Mon, 02 Nov 2026 09:40:00 +0000"


def test_customers_redact_erases_personal_data_and_ends_the_journey_at_once(harness):
    harness.checkout(webhook_id="checkout-1")
    harness.shopify("orders/paid", "shopify_orders_paid", webhook_id="o-paid")
    harness.clock.settle()
    (journey,) = harness.journeys()
    assert journey["status"] == "RUNNING"

    assert harness.shopify("customers/redact", "shopify_customers_redact", webhook_id="r-1").status == 202
    harness.clock.settle()
    remaining = [item["pk"]["S"] for item in harness.table_items() if OLENA in json.dumps(item) or "olena" in json.dumps(item)]
    assert remaining == []
    (journey,) = harness.journeys()
    assert journey["status"] == "SUCCEEDED"
    assert "Journey ended because the customer's data was erased" in dict(harness.states_entered(journey))
    harness.run_until(timedelta(days=5))
    assert harness.emails() == []


def test_customers_data_request_exports_everything_stored_about_the_customer(harness):
    harness.checkout(webhook_id="checkout-1")
    harness.shopify("orders/create", "shopify_orders_create", webhook_id="o-create")
    harness.shopify("customers/data_request", "shopify_customers_data_request", webhook_id="d-1")
    bucket = harness.stack.physical("PrivacyExportsBucket")
    (listing,) = boto3.client("s3").list_objects_v2(Bucket=bucket)["Contents"]
    export = json.loads(boto3.client("s3").get_object(Bucket=bucket, Key=listing["Key"])["Body"].read())
    kinds = {item["sk"].split("#")[0] for item in export["items"]}
    # Messages: the confirmation and the cart thank-you (its frequency-cap turn: CAP); the wait: the post-purchase journey's;
    # the checkout: the checkout token the signed webhook gave her (storefront visitor linking).
    # The first order also starts her welcome: its email (and its coupon) goes out only when it
    # reaches the frequency cap before the cart thank-you (priority 1) does, so both are exported.
    welcomed = bool(harness.emails("welcome-series"))
    assert kinds == {"CAP", "CART", "CHECKOUT", "MESSAGE", "MILESTONE", "ORDER", "PROFILE", "PURCHASE", "WAIT"} | ({"COUPON"} if welcomed else set())
    assert next(item for item in export["items"] if item["sk"] == "PROFILE")["email"] == "olena@example.com"


def test_shop_redact_erases_every_item_of_the_store(harness):
    harness.shopify("customers/create", "shopify_customers_create", webhook_id="c-1")
    harness.checkout(webhook_id="checkout-1")
    harness.shopify("products/update", "shopify_products_update", webhook_id="p-1")
    harness.shopify("shop/redact", "shopify_shop_redact", webhook_id="s-1")
    harness.clock.settle()
    # What is left is one erasure receipt per erased customer: a digest of the ids, the time
    # and counts, no personal data (the proof of erasure, and the tombstone for replays).
    left = harness.table_items()
    assert {item["sk"]["S"] for item in left} == {"ERASED"}
    assert all(set(item) == {"pk", "sk", "erased_at", "request_id", "items_deleted", "journeys_stopped", "exports_deleted"} for item in left)
    assert not any("706405506930370084" in str(item) or "603851970716743426" in str(item) for item in left)


def test_body_over_the_limit_is_413_and_wrong_content_type_is_415(harness):
    big = json.dumps({"padding": "x" * (2 * 1024 * 1024)}).encode()
    assert harness.client.shopify("orders/create", big).status == 413
    body = json.dumps({"id": 1}).encode()
    from encore.signatures import sign_base64

    reply = harness.client.post(
        "/webhooks/shopify",
        body,
        {
            "Content-Type": "text/plain",
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Shop-Domain": "demo-store.myshopify.com",
            "X-Shopify-Webhook-Id": "w",
            "X-Shopify-Hmac-Sha256": sign_base64(harness.client.secret, body),
        },
    )
    assert reply.status == 415
    assert harness.table_items() == []


TOPIC_FILES = {
    "customers/create": "shopify_customers_create",
    "customers/update": "shopify_customers_update",
    "carts/create": "shopify_carts_create",
    "carts/update": "shopify_carts_update",
    "checkouts/create": "shopify_checkouts_create",
    "checkouts/update": "shopify_checkouts_update",
    "orders/create": "shopify_orders_create",
    "orders/paid": "shopify_orders_paid",
    "orders/fulfilled": "shopify_orders_fulfilled",
    "orders/cancelled": "shopify_orders_cancelled",
    "fulfillments/create": "shopify_fulfillments_create",
    "fulfillments/update": "shopify_fulfillments_update",
    "products/create": "shopify_products_create",
    "products/update": "shopify_products_update",
    "customers/data_request": "shopify_customers_data_request",
    "customers/redact": "shopify_customers_redact",
    "shop/redact": "shopify_shop_redact",
}


def test_every_supported_topic_has_its_payload_file_and_is_accepted_signed_as_shopify_signs(harness):
    from encore.platforms.shopify import TOPICS

    assert set(TOPIC_FILES) == set(TOPICS)
    # Order matters only where the platform's own order does: the customer and the order first.
    for topic, name in TOPIC_FILES.items():
        reply = harness.shopify(topic, name, webhook_id=f"w-{topic}")
        assert (topic, reply.status, reply.json["accepted"]) == (topic, 202, [f"event-of-w-{topic}:{topic}"])
    errors = [i.error for i in harness.stack.lambdas.invocations if i.errored]
    assert errors == []
