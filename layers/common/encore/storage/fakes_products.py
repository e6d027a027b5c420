"""In-memory ``Products`` (``storage.products``), honouring the same conditions as its
DynamoDB twin (a webhook older than the product on file writes nothing, upgrades are set only
on a product that exists); ``tests/contracts/test_products.py`` runs the same behaviour tests
against both."""

from __future__ import annotations

from dataclasses import asdict

from encore.models import Product
from encore.storage.fakes import InMemoryTable
from encore.storage.products import ProductChange


class InMemoryProducts:
    """``storage.products.Products`` in memory."""

    def __init__(self, table: InMemoryTable | None = None) -> None:
        self.table = table or InMemoryTable()

    def product(self, store_id: str, product_id: str) -> Product | None:
        return self.table.get(Product, *Product.key(store_id, product_id))

    def apply_product_change(self, change: ProductChange) -> bool:
        stored = self.product(change.store_id, change.product_id)
        if stored is not None and stored.updated_at is not None and stored.updated_at > change.occurred_at:
            return False
        fields = {name: value for name, value in asdict(change).items() if value is not None and name != "occurred_at"}

        def write(product: Product) -> None:
            for name, value in fields.items():
                setattr(product, name, value)
            product.updated_at = change.occurred_at

        self.table.update(Product(*Product.key(change.store_id, change.product_id)), write)
        return True

    def replace_products(self, products: list[Product]) -> None:
        self.table.add(*products)

    def set_upgrades_of_known_product(self, store_id: str, product_id: str, upgrade_ids: list[str]) -> bool:
        stored = self.product(store_id, product_id)
        if stored is None:
            return False
        self.table.update(stored, lambda product: setattr(product, "upgrades", upgrade_ids))
        return True
