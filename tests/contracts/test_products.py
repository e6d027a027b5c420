"""``Products`` (``encore.storage.products``) on the in-memory fake and on moto: a product
webhook applied unless the product on file is newer (only the fields it carries), a catalogue
import stored whole, and upgrades set only on a product that exists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from encore.storage.fakes_products import InMemoryProducts
from encore.storage.products import DynamoProducts, ProductChange
from encore.storage.records import Product
from tests.unit.delivery_moto import bare_table  # noqa: F401  (fixture)

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
EARLIER, LATER = NOW - timedelta(hours=1), NOW + timedelta(hours=1)


@pytest.fixture(params=["fake", "moto"])
def products(request):
    if request.param == "moto":
        request.getfixturevalue("table")
        return DynamoProducts()
    return InMemoryProducts()


def _change(at: datetime = NOW, **fields) -> ProductChange:
    return ProductChange(**{"store_id": "shop", "product_id": "mug", "title": "Mug", "deleted": False, "occurred_at": at, **fields})


def test_a_new_product_is_created_from_the_webhook(products):
    assert products.product("shop", "mug") is None
    assert products.apply_product_change(_change(price_cents=1250, currency="EUR", in_stock=True))
    mug = products.product("shop", "mug")
    assert (mug.store_id, mug.product_id, mug.title, mug.price_cents, mug.currency, mug.in_stock, mug.deleted, mug.updated_at) == (
        "shop",
        "mug",
        "Mug",
        1250,
        "EUR",
        True,
        False,
        NOW,
    )
    assert products.product("other-shop", "mug") is None


def test_a_later_webhook_writes_only_the_fields_it_carries(products):
    products.apply_product_change(_change(price_cents=1250, category="kitchen", url="https://shop.example/mug"))
    assert products.apply_product_change(_change(LATER, title="Big mug", in_stock=False, deleted=True))
    mug = products.product("shop", "mug")
    assert (mug.title, mug.price_cents, mug.category, mug.url, mug.in_stock, mug.deleted, mug.updated_at) == (
        "Big mug",
        1250,
        "kitchen",
        "https://shop.example/mug",
        False,
        True,
        LATER,
    )


def test_an_older_webhook_writes_nothing_and_the_same_moment_applies(products):
    products.apply_product_change(_change(price_cents=1250))
    assert not products.apply_product_change(_change(EARLIER, title="Old mug", price_cents=900))
    assert (products.product("shop", "mug").title, products.product("shop", "mug").price_cents) == ("Mug", 1250)
    assert products.apply_product_change(_change(title="Mug (same moment)"))
    assert products.product("shop", "mug").title == "Mug (same moment)"


def test_an_import_replaces_the_products_whole(products):
    products.apply_product_change(_change(LATER, price_cents=1250, url="https://shop.example/mug"))
    imported = [
        Product(*Product.key("shop", "mug"), store_id="shop", product_id="mug", title="Mug", category="kitchen", upgrades=["big-mug"], updated_at=NOW),
        Product(*Product.key("shop", "big-mug"), store_id="shop", product_id="big-mug", title="Big mug", upgrade_of=["mug"], updated_at=NOW),
    ]
    products.replace_products(imported)
    mug, big = products.product("shop", "mug"), products.product("shop", "big-mug")
    assert (mug.category, mug.upgrades, mug.price_cents, mug.url, mug.updated_at) == ("kitchen", ["big-mug"], None, None, NOW)
    assert big.upgrade_of == ["mug"]
    products.replace_products([])  # an empty file writes nothing


def test_upgrades_are_set_only_on_a_product_on_file(products):
    assert not products.set_upgrades_of_known_product("shop", "mug", ["big-mug"])
    assert products.product("shop", "mug") is None  # nothing created
    products.apply_product_change(_change(price_cents=1250))
    assert products.set_upgrades_of_known_product("shop", "mug", ["big-mug", "huge-mug"])
    mug = products.product("shop", "mug")
    assert (mug.upgrades, mug.price_cents, mug.updated_at) == (["big-mug", "huge-mug"], 1250, NOW)
