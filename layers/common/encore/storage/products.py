"""The store's catalogue, write side (and the one-product read the domain makes): products
kept current from product webhooks, and the catalogue file's import. Delivery's read of
several products at once is ``storage.catalogue``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from encore.models import Product, condition_failed, get_or_none, set_given


@dataclass(frozen=True)
class ProductChange:
    """What a product webhook says about a product. The optional fields are None when the
    webhook does not carry them: what other sources wrote stays."""

    store_id: str
    product_id: str
    title: str
    deleted: bool
    occurred_at: datetime
    category: str | None = None
    product_type: str | None = None
    price_cents: int | None = None
    currency: str | None = None
    in_stock: bool | None = None
    url: str | None = None
    image_url: str | None = None


class Products(Protocol):
    def product(self, store_id: str, product_id: str) -> Product | None:
        """The catalogue entry, or None when the catalogue does not know the product."""

    def apply_product_change(self, change: ProductChange) -> bool:
        """Write the change's fields (creating the product when new) unless what is on file
        is newer (a later ``updated_at``): False then, and nothing is written."""

    def replace_products(self, products: list[Product]) -> None:
        """Store each product whole, replacing what was on file (a catalogue import)."""

    def set_upgrades_of_known_product(self, store_id: str, product_id: str, upgrade_ids: list[str]) -> bool:
        """Name the product's upgrades, only when the product is on file (nothing is created);
        False when it is not."""


class DynamoProducts:
    """``Products`` on the DynamoDB table (``encore.models``)."""

    def product(self, store_id: str, product_id: str) -> Product | None:
        return get_or_none(Product, *Product.key(store_id, product_id))

    def apply_product_change(self, change: ProductChange) -> bool:
        actions: list[Action] = [
            Product.store_id.set(change.store_id),
            Product.product_id.set(change.product_id),
            Product.title.set(change.title),
            Product.deleted.set(change.deleted),
            Product.updated_at.set(change.occurred_at),
        ]
        actions += set_given(
            (
                (Product.category, change.category),
                (Product.product_type, change.product_type),
                (Product.price_cents, change.price_cents),
                (Product.currency, change.currency),
                (Product.in_stock, change.in_stock),
                (Product.url, change.url),
                (Product.image_url, change.image_url),
            )
        )
        try:
            Product(*Product.key(change.store_id, change.product_id)).update(
                actions=actions, condition=Product.updated_at.does_not_exist() | (Product.updated_at <= change.occurred_at)
            )
            return True
        except UpdateError as error:
            if not condition_failed(error):
                raise
            return False

    def replace_products(self, products: list[Product]) -> None:
        with Product.batch_write() as batch:
            for product in products:
                batch.save(product)

    def set_upgrades_of_known_product(self, store_id: str, product_id: str, upgrade_ids: list[str]) -> bool:
        try:
            Product(*Product.key(store_id, product_id)).update(actions=[Product.upgrades.set(upgrade_ids)], condition=Product.pk.exists())
            return True
        except UpdateError as error:
            if not condition_failed(error):
                raise
            return False
