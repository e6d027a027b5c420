"""What the scenarios' start rules read about a shopper beyond the profile and the catalogue
(``storage.profiles``, ``storage.customers``, ``storage.catalogue``): an order as stored now,
product views, reviews, purchases, open carts and the products still on sale."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from encore.catalogue import get_product
from encore.models import Order, Product, ProductView, PurchasedProduct, Review, customer_key, get_or_none
from encore.storage.shopping import DynamoShopping

__all__ = ["DynamoShopperReads", "Order", "Product", "ProductView", "ShopperReads"]  # the items the reads return, for type hints


class ShopperReads(Protocol):
    def order(self, store_id: str, customer_id: str, order_id: str) -> Order | None:
        """The order as stored now (a consistent read: its delivery was just written)."""

    def product_view(self, store_id: str, customer_id: str, product_id: str) -> ProductView | None:
        """The customer's views of the product, added up."""

    def views_since(self, store_id: str, customer_id: str, since: datetime) -> list[ProductView]:
        """The customer's product views last viewed at or after ``since``, in product-id order."""

    def reviewed_products(self, store_id: str, customer_id: str) -> set[str]:
        """Products this customer has reviewed."""

    def bought(self, store_id: str, customer_id: str, product_ids: list[str]) -> set[str]:
        """Which of these products the customer has bought."""

    def bought_any(self, store_id: str, customer_id: str, product_ids: Iterable[str]) -> bool: ...

    def products_in_open_carts(self, store_id: str, customer_id: str) -> set[str]: ...

    def product(self, store_id: str, product_id: str) -> Product | None:
        """One catalogue entry, read alone (GetItem), sellable or not."""

    def available_products(self, store_id: str, product_ids: Iterable[str], *, limit: int | None = None) -> list[Product]:
        """The catalogue entries that can be bought, in the order asked, at most ``limit``
        (one GetItem each: the cart function may not batch-read)."""


class DynamoShopperReads:
    """``ShopperReads`` on the DynamoDB table (``encore.models``). Open carts and purchases are
    read by ``storage.shopping`` (shared with cart abandonment), a single product by
    ``encore.catalogue``, and which products are on sale is the domain's rule
    (``encore.scenarios.shopping.available_products``)."""

    def order(self, store_id: str, customer_id: str, order_id: str) -> Order | None:
        return get_or_none(Order, customer_key(store_id, customer_id), Order.sort_key(order_id), consistent_read=True)

    def product_view(self, store_id: str, customer_id: str, product_id: str) -> ProductView | None:
        return get_or_none(ProductView, customer_key(store_id, customer_id), ProductView.sort_key(product_id))

    def views_since(self, store_id: str, customer_id: str, since: datetime) -> list[ProductView]:
        pk = customer_key(store_id, customer_id)
        return list(ProductView.query(pk, ProductView.sk.startswith("VIEW#"), filter_condition=ProductView.last_viewed_at >= since))

    def reviewed_products(self, store_id: str, customer_id: str) -> set[str]:
        return {review.product_id for review in Review.query(customer_key(store_id, customer_id), Review.sk.startswith("REVIEW#"))}

    def bought(self, store_id: str, customer_id: str, product_ids: list[str]) -> set[str]:
        pk = customer_key(store_id, customer_id)
        keys = [(pk, PurchasedProduct.sort_key(product_id)) for product_id in product_ids]
        return {purchase.product_id for purchase in PurchasedProduct.batch_get(keys)} if keys else set()

    def bought_any(self, store_id: str, customer_id: str, product_ids: Iterable[str]) -> bool:
        return DynamoShopping().bought_any(customer_key(store_id, customer_id), product_ids)

    def products_in_open_carts(self, store_id: str, customer_id: str) -> set[str]:
        return DynamoShopping().products_in_open_carts(customer_key(store_id, customer_id))

    def product(self, store_id: str, product_id: str) -> Product | None:
        return get_product(store_id, product_id)

    def available_products(self, store_id: str, product_ids: Iterable[str], *, limit: int | None = None) -> list[Product]:
        # What "on sale" means has one home, the domain's (catalogue.sellable, read one by one).
        from encore.scenarios.shopping import available_products

        return available_products(store_id, product_ids, limit=limit)
