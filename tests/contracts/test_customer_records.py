"""``CustomerRecords`` (``encore.storage.customers``) on the in-memory fake and on moto: what a
message is about (customer, cart, order, past purchases) and the push token delivery keeps."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from encore.models import PurchasedProduct
from encore.storage.records import Cart, CartLineAttribute, Customer, Order, customer_key
from tests.unit.delivery_moto import bare_table, repositories  # noqa: F401  (fixtures)

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
PK = customer_key("shop", "c-1")


@pytest.fixture
def customers(repositories):
    return repositories.storage.customers


def _customer(**fields) -> Customer:
    return Customer(PK, Customer.sort_key(), store_id="shop", customer_id="c-1", email="c-1@example.com", **fields)


def test_nothing_is_found_for_an_unknown_customer(customers):
    assert customers.customer("shop", "c-1") is None
    assert customers.cart("shop", "c-1", "cart-1") is None
    assert customers.order("shop", "c-1", "o-1") is None
    assert customers.last_purchased_at("shop", "c-1", "mug") is None


def test_the_customer_their_cart_and_their_order(customers, repositories):
    line = CartLineAttribute(product_id="mug", title="Mug", quantity=1, price_cents=1250)
    repositories.add(
        _customer(first_name="Ada"),
        Cart(PK, Cart.sort_key("cart-1"), store_id="shop", customer_id="c-1", cart_id="cart-1", total_cents=1250, lines=[line], updated_at=NOW),
        Order(PK, Order.sort_key("o-1"), store_id="shop", customer_id="c-1", order_id="o-1", order_name="#1001", paid_at=NOW),
    )
    assert customers.customer("shop", "c-1").first_name == "Ada"
    assert customers.customer("shop", "c-2") is None  # another customer's partition
    cart = customers.cart("shop", "c-1", "cart-1")
    assert (cart.status, cart.total_cents, [line.title for line in cart.lines]) == ("open", 1250, ["Mug"])
    assert customers.cart("shop", "c-1", "cart-2") is None
    order = customers.order("shop", "c-1", "o-1")
    assert (order.display_name, order.paid_at) == ("#1001", NOW)


def test_when_the_customer_last_bought_a_product(customers, repositories):
    repositories.add(PurchasedProduct(PK, PurchasedProduct.sort_key("mug"), product_id="mug", last_purchased_at=NOW))
    repositories.add(PurchasedProduct(PK, PurchasedProduct.sort_key("tea"), product_id="tea"))  # counted, no moment known
    assert customers.last_purchased_at("shop", "c-1", "mug") == NOW
    assert customers.last_purchased_at("shop", "c-1", "tea") is None
    assert customers.last_purchased_at("shop", "c-2", "mug") is None


def test_a_rejected_push_token_is_forgotten_and_a_rotated_one_kept(customers, repositories):
    repositories.add(_customer(push_token="old", push_platform="GCM"))
    customer = customers.customer("shop", "c-1")
    customers.replace_push_token(customer, "rotated")
    assert customer.push_token == customers.customer("shop", "c-1").push_token == "rotated"
    assert customers.customer("shop", "c-1").push_platform == "GCM"
    customers.forget_push_token(customer)
    stored = customers.customer("shop", "c-1")
    assert (stored.push_token, stored.push_platform, customer.push_token, customer.push_platform) == (None, None, None, None)
    assert stored.email == "c-1@example.com"  # the rest of the profile stays


def test_changing_a_read_customer_changes_nothing_stored(customers, repositories):
    repositories.add(_customer())
    customers.customer("shop", "c-1").email = "changed@example.com"
    assert customers.customer("shop", "c-1").email == "c-1@example.com"
