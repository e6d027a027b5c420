"""The store's catalogue: products kept current from product webhooks, and the relations
scenarios need (upgrades, complements, daily usage) imported from the store's file."""

from __future__ import annotations

from datetime import datetime
from typing import TypeGuard

from pydantic import BaseModel, ConfigDict, Field
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from encore.events import ProductUpdated
from encore.models import Product, condition_failed, set_given


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


def apply_product_updated(event: ProductUpdated) -> bool:
    """Webhook fields only; a webhook older than what we have is ignored. False if stale."""
    actions: list[Action] = [
        Product.store_id.set(event.store_id),
        Product.product_id.set(event.product_id),
        Product.title.set(event.title),
        Product.deleted.set(event.deleted),
        Product.updated_at.set(event.occurred_at),
    ]
    actions += set_given(
        (
            (Product.category, event.category),
            (Product.product_type, event.product_type),
            (Product.price_cents, event.price_cents),
            (Product.currency, event.currency),
            (Product.in_stock, event.in_stock),
            (Product.url, event.url),
            (Product.image_url, event.image_url),
        )
    )
    try:
        Product(*Product.key(event.store_id, event.product_id)).update(
            actions=actions, condition=Product.updated_at.does_not_exist() | (Product.updated_at <= event.occurred_at)
        )
        return True
    except UpdateError as error:
        if not condition_failed(error):
            raise
        return False


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


def import_catalogue(store_id: str, entries: list[dict], *, imported_at: datetime) -> int:
    """Write every entry of a catalogue file (validated first: a bad file writes nothing).

    The file is the whole catalogue's relations: each product also gets the reverse ones
    (``upgrades``, ``similar``), so a product view finds them with one read. An upgrade of a
    product that is not in the file (known from webhooks only) is written onto it."""
    products = [CatalogueEntry.model_validate(entry) for entry in entries]
    upgrades, similar = _reverse_relations(products)
    in_file = {entry.product_id for entry in products}
    with Product.batch_write() as batch:
        for entry in products:
            pk, sk = Product.key(store_id, entry.product_id)
            relations = {"upgrades": upgrades.get(entry.product_id) or None, "similar": similar.get(entry.product_id) or None}
            fields = {**entry.model_dump(exclude_none=True), **{key: value for key, value in relations.items() if value}}
            batch.save(Product(pk, sk, store_id=store_id, updated_at=imported_at, **fields))
    for base, upgrade_ids in upgrades.items():
        if base not in in_file:
            _set_upgrades_of_known_product(store_id, base, upgrade_ids)
    return len(products)


def _set_upgrades_of_known_product(store_id: str, product_id: str, upgrade_ids: list[str]) -> None:
    try:
        Product(*Product.key(store_id, product_id)).update(actions=[Product.upgrades.set(upgrade_ids)], condition=Product.pk.exists())
    except UpdateError as error:
        if not condition_failed(error):
            raise
        # Not in the catalogue at all: nothing to upgrade from yet.


def sellable(product: Product | None) -> TypeGuard[Product]:
    """A product a message may offer: known, not deleted, and not out of stock. A product
    whose stock the shop never told us (``in_stock`` None) counts as in stock: most shops
    do not track stock, and their products are always for sale."""
    return product is not None and not product.deleted and product.in_stock is not False


def get_product(store_id: str, product_id: str) -> Product | None:
    try:
        return Product.get(*Product.key(store_id, product_id))
    except Product.DoesNotExist:
        return None
