"""``Shopping`` (``encore.storage.shopping``) on the in-memory fake and on moto: the products in a
customer's open carts, whether they bought a product, and a catalogue entry."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from encore.models import PurchasedProduct
from encore.storage.fakes import InMemoryTable
from encore.storage.fakes_shopping import InMemoryShopping
from encore.storage.records import Cart, CartLineAttribute, Product, customer_key
from encore.storage.shopping import DynamoShopping
from tests.unit.delivery_moto import bare_table  # noqa: F401  (the `table` fixture)

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
PK = customer_key("shop", "c-1")


@pytest.fixture(params=["fake", "moto"])
def shopping(request):
    """The repository and how a test puts its given items in place."""
    if request.param == "fake":
        table = InMemoryTable()
        return InMemoryShopping(table), table.add
    request.getfixturevalue("table")

    def save(*items) -> None:
        for item in items:
            item.save()

    return DynamoShopping(), save


def _cart(cart_id: str, status: str, *product_ids: str, pk: str = PK) -> Cart:
    lines = [CartLineAttribute(product_id=product_id, title=product_id, quantity=1, price_cents=100) for product_id in product_ids]
    return Cart(pk, Cart.sort_key(cart_id), store_id="shop", customer_id="c-1", cart_id=cart_id, status=status, lines=lines, updated_at=NOW)


def test_the_products_in_open_carts_only(shopping):
    repository, add = shopping
    add(_cart("cart-1", "open", "mug", "tea"), _cart("cart-2", "open", "tea", "pot"), _cart("cart-3", "ordered", "kettle"), _cart("cart-4", "empty"))
    add(_cart("cart-9", "open", "spoon", pk=customer_key("shop", "c-2")))

    assert repository.products_in_open_carts(PK) == {"mug", "tea", "pot"}
    assert repository.products_in_open_carts(customer_key("shop", "c-3")) == set()


def test_whether_the_customer_bought_any_of_the_products(shopping):
    repository, add = shopping
    add(PurchasedProduct(PK, PurchasedProduct.sort_key("mug"), product_id="mug", quantity=1, orders=1, last_purchased_at=NOW))

    assert repository.bought_any(PK, ["tea", "mug"])
    assert not repository.bought_any(PK, ["tea"])
    assert not repository.bought_any(PK, [])
    assert not repository.bought_any(customer_key("shop", "c-2"), ["mug"])


def test_a_catalogue_entry_whether_it_may_be_offered_or_not(shopping):
    repository, add = shopping
    add(Product(*Product.key("shop", "mug"), store_id="shop", product_id="mug", title="Mug", price_cents=1250, in_stock=False, updated_at=NOW))

    entry = repository.catalogue_entry("shop", "mug")
    assert (entry.title, int(entry.price_cents), entry.in_stock) == ("Mug", 1250, False)
    assert repository.catalogue_entry("shop", "tea") is None
    assert repository.catalogue_entry("other-shop", "mug") is None
