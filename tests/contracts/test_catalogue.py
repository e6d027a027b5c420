"""``Catalogue`` (``encore.storage.catalogue``) on the in-memory fake and on moto: the products
a message shows, found by id."""

from __future__ import annotations

from datetime import UTC, datetime

from encore.storage.records import Product
from tests.unit.delivery_moto import bare_table, repositories  # noqa: F401  (fixtures)

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)


def _product(product_id: str, store_id: str = "shop", **fields) -> Product:
    return Product(*Product.key(store_id, product_id), store_id=store_id, product_id=product_id, title=product_id.title(), updated_at=NOW, **fields)


def test_the_products_found_by_id_unknown_ones_left_out(repositories):
    repositories.add(_product("mug", price_cents=1250), _product("tea", deleted=True), _product("pot", store_id="other-shop"))
    catalogue = repositories.storage.catalogue
    found = catalogue.products("shop", ["tea", "mug", "pot", "mug", "gone"])
    assert sorted(found) == ["mug", "tea"]  # deleted ones too: whether to offer one is the domain's call
    assert (found["mug"].title, found["mug"].price_cents, found["tea"].deleted) == ("Mug", 1250, True)
    assert catalogue.products("shop", []) == {}
