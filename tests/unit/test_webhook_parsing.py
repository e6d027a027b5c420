"""Signatures and normalisation of real-shaped payloads (no AWS involved)."""

import base64
import hashlib
import hmac
import json

import pytest

from encore.errors import SignatureMismatch
from encore.platforms import generic, shopify
from encore.signatures import sign_base64, sign_hex, verify
from tests.conftest import load_event


def test_shopify_signature_is_base64_hmac_sha256_of_the_raw_body():
    body = json.dumps(load_event("shopify_orders_create")).encode()
    expected = base64.b64encode(hmac.new(b"shpss_secret", body, hashlib.sha256).digest()).decode()
    assert sign_base64("shpss_secret", body) == expected
    verify(sign_base64("shpss_secret", body), expected)
    with pytest.raises(SignatureMismatch):
        verify(sign_base64("shpss_secret", body + b" "), expected)


def test_generic_signature_names_the_algorithm():
    assert sign_hex("k", b"{}").startswith("sha256=")


def test_checkout_becomes_a_cart_update_of_the_customer_with_consent():
    event = shopify.checkout_event(load_event("shopify_checkouts_update"), store_id="demo-store", event_id="w1", topic="checkouts/update")
    assert event.cart_id == "eeafa272cebfd4b22385bc4b645e762c"
    assert event.customer.customer_id == "603851970716743426"
    assert event.customer.accepts_email_marketing is True
    assert [(line.title, line.quantity, line.price_cents) for line in event.lines] == [("Linen shirt", 2, 4900)]
    assert event.total_cents == 9800
    assert event.recovery_url.endswith("/recover?key=recovery-key")


def test_cart_webhook_has_no_customer_and_order_links_to_the_same_cart():
    cart = shopify.cart_event(load_event("shopify_carts_update"), store_id="s", event_id="w2", topic="carts/update")
    order = shopify.order_event(load_event("shopify_orders_create"), store_id="s", event_id="w3", topic="orders/create")
    assert cart.customer is None
    assert cart.cart_id == order.cart_id
    assert order.total_cents == 9800


def test_generic_product_added_and_order_completed():
    added = generic.to_canonical(generic.TrackMessage.model_validate(load_event("generic_product_added")), store_id="s")
    assert added.type == "cart_updated"
    assert added.total_cents == 2 * 2450 + 3990
    order = generic.to_canonical(generic.TrackMessage.model_validate(load_event("generic_order_completed")), store_id="s")
    assert (order.type, order.order_id, order.total_cents) == ("order_placed", "order-90017", 8890)


def test_an_event_name_this_version_does_not_act_on_is_ignored():
    message = dict(load_event("generic_product_added"), event="Product Shared")
    assert generic.to_canonical(generic.TrackMessage.model_validate(message), store_id="s") is None


def test_a_cart_webhook_takes_its_currency_from_the_presentment_prices():
    payload = load_event("shopify_carts_update")
    for item in payload["line_items"]:
        item["price_set"]["presentment_money"]["currency_code"] = "EUR"
    assert shopify.cart_event(payload, store_id="s", event_id="w", topic="carts/update").currency == "EUR"
    for item in payload["line_items"]:
        del item["price_set"]
    assert shopify.cart_event(payload, store_id="s", event_id="w", topic="carts/update").currency is None
