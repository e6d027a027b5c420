"""The store's catalogue, read side: the products a message shows."""

from __future__ import annotations

from typing import Protocol

from encore.models import Product


class Catalogue(Protocol):
    def products(self, store_id: str, product_ids: list[str]) -> dict[str, Product]:
        """The catalogue entries found among ``product_ids``, by product id (unknown ids are
        left out; whether a product may be offered is ``encore.catalogue.sellable``'s call)."""


class DynamoCatalogue:
    """``Catalogue`` on the DynamoDB table (``encore.models``): one BatchGetItem."""

    def products(self, store_id: str, product_ids: list[str]) -> dict[str, Product]:
        if not product_ids:
            return {}
        keys = [Product.key(store_id, product_id) for product_id in dict.fromkeys(product_ids)]
        return {product.product_id: product for product in Product.batch_get(keys)}
