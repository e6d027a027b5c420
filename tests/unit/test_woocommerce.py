"""WooCommerce payloads (REST API v3 shapes) to canonical events, and the request contract
(headers, ping, topics): no AWS involved."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from encore.errors import InvalidPayload, SignatureMismatch
from encore.ingest import WebhookRequest
from encore.platforms import woocommerce
from encore.platforms.woocommerce import WOOCOMMERCE
from encore.signatures import sign_base64
from encore.sms import e164_as_written
from tests.conftest import load_event

STORE = "demo-store"


def _events(topic: str, payload: dict, delivery_id: str = "d1") -> list:
    return woocommerce.TOPICS[topic](payload, store_id=STORE, delivery_id=delivery_id, topic=topic)


def _one(topic: str, payload: dict, delivery_id: str = "d1"):
    (event,) = _events(topic, payload, delivery_id)
    return event


def _order(**changes) -> dict:
    return dict(load_event("woocommerce_order_created"), **changes)


def _update(**changes) -> dict:
    return dict(load_event("woocommerce_order_updated"), **changes)


def _request(topic: str, payload: dict | bytes, *, delivery_id: str | None = "d1", secret: str = "wc-secret", **headers) -> WebhookRequest:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    sent = {
        "content-type": "application/json",
        "x-wc-webhook-topic": topic,
        "x-wc-webhook-resource": topic.split(".")[0],
        "x-wc-webhook-event": topic.split(".")[-1],
        "x-wc-webhook-signature": sign_base64(secret, body),
        "x-wc-webhook-id": "7",
        "x-wc-webhook-delivery-id": delivery_id,
        **{name.lower().replace("_", "-"): value for name, value in headers.items()},
    }
    return WebhookRequest(
        headers={name: value for name, value in sent.items() if value is not None},
        body=body,
        path_parameters={"store_id": STORE},
    )


# --- order.created -----------------------------------------------------------------------


def test_order_created_is_an_order_placed_with_cents_lines_and_coupons():
    placed = _events("order.created", load_event("woocommerce_order_created"))[0]
    assert placed.type == "order_placed"
    assert (placed.event_id, placed.store_id, placed.source) == ("d1:727", STORE, "woocommerce:order.created")
    assert placed.order_id == "727"
    assert placed.cart_id is None  # WooCommerce has no cart token
    assert (placed.currency, placed.total_cents) == ("EUR", 12376)
    assert [(line.product_id, line.title, line.quantity, line.price_cents) for line in placed.lines] == [
        ("93", "Linen shirt", 2, 4410),
        ("101", "Wool socks & liners", 1, 1080),  # the HTML-escaped title, unescaped
    ]
    assert placed.lines[0].image_url.endswith("/linen-shirt.jpg")
    assert placed.coupon_codes == ["autumn10"]


def test_order_created_takes_the_gmt_creation_time_as_utc_not_the_store_local_time():
    placed = _events("order.created", load_event("woocommerce_order_created"))[0]
    assert placed.occurred_at == datetime(2026, 11, 2, 11, 30, tzinfo=UTC)


def test_registered_buyer_is_the_wordpress_customer_with_billing_details():
    customer = _events("order.created", load_event("woocommerce_order_created"))[0].customer
    assert customer.customer_id == "42"
    assert (customer.email, customer.first_name, customer.last_name) == ("olena@example.com", "Olena", "Kovalenko")
    assert customer.phone == "+4930901820"
    assert customer.country == "DE"
    assert customer.accepts_email_marketing is False
    assert customer.email_consent is None and customer.sms_consent is None


def test_guest_order_names_the_customer_by_billing_email():
    payload = _order(customer_id=0)
    payload["billing"] = dict(payload["billing"], email="Guest.Buyer@Example.com")
    customer = _events("order.created", payload)[0].customer
    assert customer.customer_id == "guest:guest.buyer@example.com"  # same guest, same id, whatever the case
    assert customer.email == "Guest.Buyer@Example.com"


def test_guest_order_without_any_email_is_acknowledged_not_emitted():
    payload = _order(customer_id=0)
    payload["billing"] = dict(payload["billing"], email="")
    assert _events("order.created", payload) == []


def test_order_created_already_paid_also_emits_order_paid_with_its_own_event_id():
    placed, paid = _events("order.created", load_event("woocommerce_order_created"), delivery_id="abc")
    assert (placed.type, placed.event_id) == ("order_placed", "abc:727")
    assert (paid.type, paid.event_id, paid.order_id) == ("order_paid", "abc:727:paid", "727")
    assert paid.occurred_at == datetime(2026, 11, 2, 11, 30, 4, tzinfo=UTC)  # date_paid_gmt
    assert paid.customer.customer_id == "42"


@pytest.mark.parametrize("status", ["completed"])
def test_order_created_completed_is_paid_too(status):
    assert [event.type for event in _events("order.created", _order(status=status))] == ["order_placed", "order_paid"]


@pytest.mark.parametrize("status", ["pending", "on-hold"])
def test_order_created_awaiting_payment_is_placed_only(status):
    assert [event.type for event in _events("order.created", _order(status=status, date_paid_gmt=None))] == ["order_placed"]


def test_a_block_checkout_draft_is_not_a_placed_order():
    assert _events("order.created", _order(status="checkout-draft")) == []


def test_deleted_product_line_keeps_its_name_as_product_id_and_empty_lines_are_dropped():
    payload = _order()
    payload["line_items"][0]["product_id"] = 0
    payload["line_items"][1]["quantity"] = 0
    lines = _events("order.created", payload)[0].lines
    assert [(line.product_id, line.title) for line in lines] == [("Linen shirt", "Linen shirt")]


def test_unrounded_line_price_becomes_whole_cents():
    payload = _order()
    payload["line_items"][0].update(quantity=3, total="20.00", price=6.666666666666667)
    assert _events("order.created", payload)[0].lines[0].price_cents == 667


# --- order.updated -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "event_type"),
    [
        ("processing", "order_paid"),
        ("completed", "order_fulfilled"),
        ("cancelled", "order_cancelled"),
        ("refunded", "order_refunded"),
    ],
)
def test_order_status_becomes_its_lifecycle_event(status, event_type):
    event = _one("order.updated", _update(status=status))
    # The resource and status join the delivery id: WooCommerce reuses a delivery id within a second.
    assert (event.type, event.event_id, event.order_id) == (event_type, f"d1:727:{status}", "727")
    assert event.occurred_at == datetime(2026, 11, 3, 8, 15, tzinfo=UTC)  # date_modified_gmt
    assert event.customer.customer_id == "42"
    assert event.source == "woocommerce:order.updated"


@pytest.mark.parametrize("status", ["pending", "on-hold", "failed", "checkout-draft", "trash", "wc-awaiting-shipment"])
def test_statuses_without_a_lifecycle_moment_emit_nothing(status):
    assert _events("order.updated", _update(status=status)) == []


def test_refund_sums_the_negative_refund_totals_into_positive_cents():
    payload = _update(status="refunded", refunds=[{"id": 731, "reason": "Damaged", "total": "-100.00"}, {"id": 732, "reason": "", "total": "-23.76"}])
    assert _one("order.updated", payload).refunded_cents == 12376


def test_refund_without_refund_lines_leaves_the_amount_unknown():
    assert _one("order.updated", _update(status="refunded", refunds=[])).refunded_cents is None


def test_only_refunds_carry_a_refunded_amount():
    payload = _update(status="completed", refunds=[{"id": 731, "reason": "", "total": "-5.00"}])
    assert _one("order.updated", payload).refunded_cents is None


def test_guest_status_change_without_email_has_no_customer():
    payload = _update(status="cancelled", customer_id=0)
    payload["billing"] = dict(payload["billing"], email="")
    event = _one("order.updated", payload)
    assert event.customer is None and event.order_id == "727"


# --- customer.* ---------------------------------------------------------------------------


def test_customer_created_is_a_registration_without_consent():
    event = _one("customer.created", load_event("woocommerce_customer_created"))
    assert (event.type, event.registered, event.source) == ("customer_updated", True, "woocommerce:customer.created")
    assert event.occurred_at == datetime(2026, 11, 2, 11, 21, 47, tzinfo=UTC)
    customer = event.customer
    assert (customer.customer_id, customer.email, customer.first_name, customer.last_name) == ("42", "olena@example.com", "Olena", "Kovalenko")
    assert (customer.phone, customer.country) == ("+4930901820", "DE")
    assert customer.accepts_email_marketing is False
    assert customer.email_consent is None and customer.sms_consent is None


def test_customer_updated_is_not_a_registration_and_a_local_phone_is_dropped():
    event = _one("customer.updated", load_event("woocommerce_customer_updated"))
    assert event.registered is False
    assert event.occurred_at == datetime(2026, 11, 5, 17, 2, 13, tzinfo=UTC)
    assert (event.customer.email, event.customer.last_name) == ("olena.kovalenko@example.com", "Kovalenko-Schmidt")
    assert event.customer.phone is None  # "030 901820" has no country code: not E.164


def test_customer_never_saved_since_creation_falls_back_to_the_creation_time():
    event = _one("customer.updated", dict(load_event("woocommerce_customer_updated"), date_modified_gmt=None))
    assert event.occurred_at == datetime(2026, 11, 2, 11, 21, 47, tzinfo=UTC)


def test_customer_without_billing_country_or_phone_has_none():
    payload = load_event("woocommerce_customer_created")
    payload["billing"] = dict(payload["billing"], country="", phone="")
    customer = _one("customer.created", payload).customer
    assert (customer.country, customer.phone) == (None, None)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("+49 30 901820", "+4930901820"),
        ("+1 (555) 555-0100", "+15555550100"),
        ("+380-67-123-45-67", "+380671234567"),
        ("(555) 555-5555", None),
        ("0049 30 901820", None),
        ("call me", None),
        ("", None),
        (None, None),
    ],
)
def test_phone_is_kept_only_when_it_is_e164(typed, kept):
    assert e164_as_written(typed) == kept


# --- product.* ----------------------------------------------------------------------------


def test_product_created_is_a_catalogue_entry():
    event = _one("product.created", load_event("woocommerce_product_created"))
    assert (event.type, event.product_id, event.title) == ("product_updated", "93", "Linen shirt")
    assert (event.price_cents, event.in_stock, event.category) == (4900, True, "Shirts")
    assert event.url == "https://shop.example.com/product/linen-shirt/"
    assert event.image_url == "https://shop.example.com/wp-content/uploads/2026/09/linen-shirt.jpg"
    assert event.deleted is False
    assert event.occurred_at == datetime(2026, 9, 14, 8, 5, 31, tzinfo=UTC)


def test_product_updated_on_sale_and_sold_out():
    event = _one("product.updated", load_event("woocommerce_product_updated"))
    assert (event.price_cents, event.in_stock) == (3920, False)


@pytest.mark.parametrize(("stock_status", "in_stock"), [("instock", True), ("outofstock", False), ("onbackorder", False)])
def test_product_stock_status(stock_status, in_stock):
    assert _one("product.updated", dict(load_event("woocommerce_product_updated"), stock_status=stock_status)).in_stock is in_stock


def test_trashed_product_is_deleted():
    assert _one("product.updated", dict(load_event("woocommerce_product_updated"), status="trash")).deleted is True


def test_product_without_price_category_or_image():
    payload = dict(load_event("woocommerce_product_created"), price="", categories=[], images=[], permalink="")
    event = _one("product.created", payload)
    assert (event.price_cents, event.category, event.image_url, event.url) == (None, None, None, None)


def test_a_variation_update_is_not_a_catalogue_product():
    payload = dict(load_event("woocommerce_product_updated"), id=95, type="variation", parent_id=93, name="Linen shirt - L")
    assert _events("product.updated", payload) == []


# --- the request contract ------------------------------------------------------------------


def test_parse_routes_by_topic_header_and_uses_the_delivery_id():
    parsed = WOOCOMMERCE.parse(_request("customer.created", {}), load_event("woocommerce_customer_created"), STORE)
    assert [(event.type, event.event_id) for event in parsed.events] == [("customer_updated", "d1:42")]
    assert parsed.ignored == []


@pytest.mark.parametrize(
    ("topic", "fixture"),
    [
        ("product.deleted", "woocommerce_product_deleted"),
        ("customer.deleted", "woocommerce_customer_deleted"),
        ("order.deleted", "woocommerce_order_deleted"),
        ("coupon.created", "woocommerce_coupon_created"),
        ("order.restored", "woocommerce_order_deleted"),
        ("action.woocommerce_checkout_order_processed", "woocommerce_order_deleted"),
    ],
)
def test_topics_without_a_canonical_event_are_acknowledged_and_ignored(topic, fixture):
    parsed = WOOCOMMERCE.parse(_request(topic, {}), load_event(fixture), STORE)
    assert (parsed.events, parsed.ignored) == ([], ["d1"])


def test_a_webhook_that_yields_nothing_lists_its_delivery_as_ignored():
    parsed = WOOCOMMERCE.parse(_request("order.updated", {}), _update(status="on-hold"), STORE)
    assert (parsed.events, parsed.ignored) == ([], ["d1"])


def test_missing_delivery_id_is_invalid_naming_the_header():
    with pytest.raises(InvalidPayload) as raised:
        WOOCOMMERCE.parse(_request("order.created", {}, delivery_id=None), load_event("woocommerce_order_created"), STORE)
    assert raised.value.problems == [{"field": "X-WC-Webhook-Delivery-ID", "problem": "required"}]


def test_missing_fields_are_named_with_their_path():
    payload = _order()
    del payload["total"]
    del payload["date_created_gmt"]
    payload["line_items"][1]["quantity"] = -1
    with pytest.raises(InvalidPayload) as raised:
        WOOCOMMERCE.parse(_request("order.created", {}), payload, STORE)
    assert {problem["field"] for problem in raised.value.problems} == {"total", "date_created_gmt", "line_items.1.quantity"}


def test_malformed_billing_email_is_named():
    payload = _order()
    payload["billing"] = dict(payload["billing"], email="olena@")
    with pytest.raises(InvalidPayload) as raised:
        WOOCOMMERCE.parse(_request("order.created", {}), payload, STORE)
    assert [problem["field"] for problem in raised.value.problems] == ["billing.email"]


def test_signature_is_base64_hmac_of_the_raw_body_with_the_webhook_secret():
    request = _request("order.created", load_event("woocommerce_order_created"), secret="wc-secret")
    WOOCOMMERCE.verify(request, "wc-secret")
    with pytest.raises(SignatureMismatch):
        WOOCOMMERCE.verify(request, "another-secret")


@pytest.mark.parametrize("body", [b"webhook_id=7", b"webhook_id=12\n"])
def test_ping_is_answered_200_before_anything_else(body):
    ping = WebhookRequest(headers={"content-type": "application/x-www-form-urlencoded"}, body=body, path_parameters={"store_id": STORE})
    assert WOOCOMMERCE.handshake(ping).status == 200


def test_a_json_delivery_is_not_a_ping():
    assert WOOCOMMERCE.handshake(_request("order.created", load_event("woocommerce_order_created"))) is None


def test_store_is_named_by_the_url():
    assert WOOCOMMERCE.store_id(_request("order.created", {}), parameters=None) == STORE
