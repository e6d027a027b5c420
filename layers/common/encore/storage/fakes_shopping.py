"""An in-memory ``Shopping`` (``storage.shopping``), reading what ``storage.fakes.InMemoryTable``
holds as the table would; ``tests/contracts/test_shopping.py`` runs the same behaviour tests
against both."""

from __future__ import annotations

from collections.abc import Iterable

from encore.models import Cart, Product, PurchasedProduct
from encore.storage.fakes import InMemoryTable


class InMemoryShopping:
    """``storage.shopping.Shopping`` in memory; ``add`` carts, purchases and products."""

    def __init__(self, table: InMemoryTable | None = None) -> None:
        self.table = table or InMemoryTable()

    def products_in_open_carts(self, pk: str) -> set[str]:
        open_carts = (cart for cart in self.table.query(Cart, pk, "CART#") if cart.status == "open")
        return {line.product_id for cart in open_carts for line in cart.lines or ()}

    def bought_any(self, pk: str, product_ids: Iterable[str]) -> bool:
        return any(self.table.get(PurchasedProduct, pk, PurchasedProduct.sort_key(product_id)) is not None for product_id in product_ids)

    def catalogue_entry(self, store_id: str, product_id: str) -> Product | None:
        return self.table.get(Product, *Product.key(store_id, product_id))
