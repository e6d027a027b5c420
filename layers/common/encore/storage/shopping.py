"""What the scenarios started by views and carts read about a customer's shopping
(``encore.scenarios.shopping``): the products in their open carts, whether they bought a
product, and a catalogue entry (one GetItem: the cart function may not batch-read). Keyed by
the customer's partition (``customer_key``), as those scenarios hold it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from encore.models import Cart, Product, PurchasedProduct, get_or_none


class Shopping(Protocol):
    def products_in_open_carts(self, pk: str) -> set[str]:
        """The products in any of the customer's open carts."""

    def bought_any(self, pk: str, product_ids: Iterable[str]) -> bool:
        """Whether the customer ever bought one of ``product_ids``."""

    def catalogue_entry(self, store_id: str, product_id: str) -> Product | None:
        """The store's catalogue entry for the product, whether it may be offered or not."""


class DynamoShopping:
    """``Shopping`` on the DynamoDB table (``encore.models``)."""

    def products_in_open_carts(self, pk: str) -> set[str]:
        found: set[str] = set()
        for cart in Cart.query(pk, Cart.sk.startswith("CART#"), filter_condition=Cart.status == "open"):
            found.update(line.product_id for line in cart.lines or ())
        return found

    def bought_any(self, pk: str, product_ids: Iterable[str]) -> bool:
        return any(get_or_none(PurchasedProduct, pk, PurchasedProduct.sort_key(product_id)) is not None for product_id in product_ids)

    def catalogue_entry(self, store_id: str, product_id: str) -> Product | None:
        return get_or_none(Product, *Product.key(store_id, product_id))
