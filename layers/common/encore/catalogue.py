"""The store's catalogue: products kept current from product webhooks, and the relations
scenarios need (upgrades, complements, daily usage) imported from the store's file."""

from __future__ import annotations

from datetime import datetime
from typing import TypeGuard

from pydantic import BaseModel, ConfigDict, Field

from encore.events import ProductUpdated
from encore.storage.products import DynamoProducts, ProductChange, Products
from encore.storage.records import Product


class CatalogueEntry(BaseModel):
    """One product in a catalogue file (JSON list); ``price`` in major units ("19.90")."""

    model_config = ConfigDict(extra="forbid")

    product_id: str = Field(min_length=1)
    title: str
    category: str | None = None
    product_type: str | None = None  # e.g. apparel, durable: review timing depends on it
    price_cents: int | None = Field(default=None, ge=0)
    currency: str | None = None
    in_stock: bool | None = None
    url: str | None = None
    image_url: str | None = None
    upgrade_of: list[str] | None = None
    complements: list[str] | None = None
    daily_usage: float | None = Field(default=None, gt=0)


def apply_product_updated(event: ProductUpdated, *, storage: Products | None = None) -> bool:
    """Webhook fields only; a webhook older than what we have is ignored. False if stale."""
    change = ProductChange(
        store_id=event.store_id,
        product_id=event.product_id,
        title=event.title,
        deleted=event.deleted,
        occurred_at=event.occurred_at,
        category=event.category,
        product_type=event.product_type,
        price_cents=event.price_cents,
        currency=event.currency,
        in_stock=event.in_stock,
        url=event.url,
        image_url=event.image_url,
    )
    return (storage or DynamoProducts()).apply_product_change(change)


# How many other products of its category a product lists as similar (the item stays small
# however big the category; the file's order decides, so stores list best sellers first).
MAX_SIMILAR = 8


def _reverse_relations(products: list[CatalogueEntry]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Per product id: its upgrades (entries whose ``upgrade_of`` names it) and similar
    products (others of its category), both in the file's order."""
    upgrades: dict[str, list[str]] = {}
    by_category: dict[str, list[str]] = {}
    for entry in products:
        for base in entry.upgrade_of or ():
            upgrades.setdefault(base, []).append(entry.product_id)
        if entry.category:
            by_category.setdefault(entry.category, []).append(entry.product_id)
    similar = {
        entry.product_id: [other for other in by_category[entry.category] if other != entry.product_id][:MAX_SIMILAR] for entry in products if entry.category
    }
    return upgrades, similar


def import_catalogue(store_id: str, entries: list[dict], *, imported_at: datetime, storage: Products | None = None) -> int:
    """Write every entry of a catalogue file (validated first: a bad file writes nothing).

    The file is the whole catalogue's relations: each product also gets the reverse ones
    (``upgrades``, ``similar``), so a product view finds them with one read. An upgrade of a
    product that is not in the file (known from webhooks only) is written onto it; one of a
    product the catalogue does not know at all waits for the next import."""
    products = [CatalogueEntry.model_validate(entry) for entry in entries]
    upgrades, similar = _reverse_relations(products)
    in_file = {entry.product_id for entry in products}
    storage = storage or DynamoProducts()
    records = []
    for entry in products:
        relations = {"upgrades": upgrades.get(entry.product_id) or None, "similar": similar.get(entry.product_id) or None}
        fields = {**entry.model_dump(exclude_none=True), **{key: value for key, value in relations.items() if value}}
        records.append(Product(*Product.key(store_id, entry.product_id), store_id=store_id, updated_at=imported_at, **fields))
    storage.replace_products(records)
    for base, upgrade_ids in upgrades.items():
        if base not in in_file:
            storage.set_upgrades_of_known_product(store_id, base, upgrade_ids)
    return len(products)


def sellable(product: Product | None) -> TypeGuard[Product]:
    """A product a message may offer: known, not deleted, and not out of stock. A product
    whose stock the shop never told us (``in_stock`` None) counts as in stock: most shops
    do not track stock, and their products are always for sale."""
    return product is not None and not product.deleted and product.in_stock is not False


def get_product(store_id: str, product_id: str, *, storage: Products | None = None) -> Product | None:
    return (storage or DynamoProducts()).product(store_id, product_id)
