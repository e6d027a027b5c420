"""``ShopperReads`` (``encore.storage.shoppers``) on the in-memory fake and on moto: what the
scenarios' start rules read about a shopper (an order, product views, reviews, purchases,
open carts, the products still on sale)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from encore.models import ProductView, PurchasedProduct, Review
from encore.storage.records import Cart, CartLineAttribute, Order, Product, customer_key
from tests.unit.delivery_moto import bare_table  # noqa: F401  (the `table` fixture)
from tests.unit.start_storage_moto import start_repositories  # noqa: F401  (fixture)

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
STORE, CUSTOMER = "shop", "c-1"
PK = customer_key(STORE, CUSTOMER)


@pytest.fixture
def shoppers(start_repositories):
    return start_repositories.storage.shoppers


def _product(product_id: str, **fields) -> Product:
    return Product(*Product.key(STORE, product_id), store_id=STORE, product_id=product_id, title=product_id.title(), updated_at=NOW, **fields)


def _view(product_id: str, last_viewed_at: datetime, pk: str = PK) -> ProductView:
    return ProductView(pk, ProductView.sort_key(product_id), product_id=product_id, views=2, dwell_seconds=30, last_viewed_at=last_viewed_at)


def _cart(cart_id: str, status: str, *product_ids: str, pk: str = PK) -> Cart:
    lines = [CartLineAttribute(product_id=product_id, title=product_id, quantity=1, price_cents=100) for product_id in product_ids]
    return Cart(pk, Cart.sort_key(cart_id), store_id=STORE, customer_id=CUSTOMER, cart_id=cart_id, status=status, lines=lines, updated_at=NOW)


def test_nothing_is_found_for_an_unknown_shopper(shoppers):
    assert shoppers.order(STORE, CUSTOMER, "1001") is None
    assert shoppers.product_view(STORE, CUSTOMER, "mug") is None
    assert shoppers.views_since(STORE, CUSTOMER, NOW) == []
    assert shoppers.reviewed_products(STORE, CUSTOMER) == set()
    assert shoppers.bought(STORE, CUSTOMER, ["mug"]) == set()
    assert shoppers.bought(STORE, CUSTOMER, []) == set()
    assert not shoppers.bought_any(STORE, CUSTOMER, ["mug"])
    assert shoppers.products_in_open_carts(STORE, CUSTOMER) == set()
    assert shoppers.product(STORE, "mug") is None
    assert shoppers.available_products(STORE, ["mug"]) == []


def test_the_order_as_stored(shoppers, start_repositories):
    start_repositories.add(Order(PK, Order.sort_key("1001"), store_id=STORE, customer_id=CUSTOMER, order_id="1001", delivered_at=NOW, total_cents=4500))
    order = shoppers.order(STORE, CUSTOMER, "1001")
    assert (order.order_id, order.delivered_at, order.total_cents) == ("1001", NOW, 4500)
    assert shoppers.order(STORE, "someone-else", "1001") is None


def test_views_since_a_moment_include_the_moment_and_only_this_customer(shoppers, start_repositories):
    start_repositories.add(
        _view("mug", NOW - timedelta(seconds=1)),
        _view("teapot", NOW),
        _view("kettle", NOW + timedelta(hours=1)),
        _view("cup", NOW, pk=customer_key(STORE, "someone-else")),
    )
    assert sorted(view.product_id for view in shoppers.views_since(STORE, CUSTOMER, NOW)) == ["kettle", "teapot"]
    view = shoppers.product_view(STORE, CUSTOMER, "mug")
    assert (view.views, view.dwell_seconds, view.last_viewed_at) == (2, 30, NOW - timedelta(seconds=1))


def test_reviewed_products_are_the_customers_reviews_only(shoppers, start_repositories):
    start_repositories.add(
        Review(PK, Review.sort_key("r-1"), store_id=STORE, customer_id=CUSTOMER, review_id="r-1", product_id="mug", rating=5, reviewed_at=NOW),
        Review(PK, Review.sort_key("r-2"), store_id=STORE, customer_id=CUSTOMER, review_id="r-2", product_id="teapot", rating=2, reviewed_at=NOW),
        _view("kettle", NOW),  # same partition, not a review
    )
    assert shoppers.reviewed_products(STORE, CUSTOMER) == {"mug", "teapot"}


def test_what_the_customer_bought(shoppers, start_repositories):
    start_repositories.add(PurchasedProduct(PK, PurchasedProduct.sort_key("mug"), product_id="mug", last_purchased_at=NOW))
    assert shoppers.bought(STORE, CUSTOMER, ["mug", "teapot"]) == {"mug"}
    assert shoppers.bought_any(STORE, CUSTOMER, ["teapot", "mug"])
    assert not shoppers.bought_any(STORE, CUSTOMER, ["teapot"])
    assert not shoppers.bought_any(STORE, "someone-else", ["mug"])


def test_products_in_open_carts_leave_ordered_and_emptied_carts_out(shoppers, start_repositories):
    start_repositories.add(
        _cart("cart-1", "open", "mug", "teapot"),
        _cart("cart-2", "open", "kettle"),
        _cart("cart-3", "ordered", "cup"),
        _cart("cart-4", "empty", "saucer"),
        _cart("cart-5", "open", "spoon", pk=customer_key(STORE, "someone-else")),
    )
    assert shoppers.products_in_open_carts(STORE, CUSTOMER) == {"mug", "teapot", "kettle"}


def test_available_products_are_on_sale_in_the_order_asked_up_to_the_limit(shoppers, start_repositories):
    start_repositories.add(
        _product("mug", in_stock=True),
        _product("teapot", deleted=True),
        _product("kettle", in_stock=False),
        _product("cup"),  # stock never told: on sale
        _product("saucer", in_stock=True),
    )
    asked = ["saucer", "unknown", "teapot", "kettle", "cup", "mug", "cup"]
    assert [product.product_id for product in shoppers.available_products(STORE, asked)] == ["saucer", "cup", "mug"]
    assert [product.product_id for product in shoppers.available_products(STORE, asked, limit=2)] == ["saucer", "cup"]
    assert shoppers.available_products(STORE, asked, limit=0) == []
    assert shoppers.product(STORE, "teapot").deleted  # read alone, on sale or not
    assert shoppers.product(STORE, "unknown") is None
