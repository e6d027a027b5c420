"""What the scenarios started by views and carts ask about a customer's shopping: what is in
their open carts, what they have bought, and which products are on sale. Reads go through
``storage.shopping`` (on DynamoDB unless a test passes the in-memory fake); whether a journey
may start again is ``storage.journey_records``' claim."""

from __future__ import annotations

from collections.abc import Iterable

from encore.catalogue import sellable
from encore.storage.records import Product
from encore.storage.shopping import DynamoShopping, Shopping


def products_in_open_carts(pk: str, *, storage: Shopping | None = None) -> set[str]:
    return (storage or DynamoShopping()).products_in_open_carts(pk)


def bought_any(pk: str, product_ids: Iterable[str], *, storage: Shopping | None = None) -> bool:
    return (storage or DynamoShopping()).bought_any(pk, product_ids)


def available_products(store_id: str, product_ids: Iterable[str], *, limit: int | None = None, storage: Shopping | None = None) -> list[Product]:
    """The catalogue entries that can be bought, in the order asked (deleted, sold-out and
    unknown ones are left out), at most ``limit``. One GetItem each, stopping at the limit:
    the lists are short, and the cart function may not batch-read."""
    storage = storage or DynamoShopping()
    found: list[Product] = []
    for product_id in dict.fromkeys(product_ids):
        if limit is not None and len(found) >= limit:
            break
        product = storage.catalogue_entry(store_id, product_id)
        if product is not None and sellable(product):
            found.append(product)
    return found
