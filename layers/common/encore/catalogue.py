"""The store's catalogue: products kept current from product webhooks, and the relations
scenarios need (upgrades, complements, daily usage) imported from the store's file."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from pynamodb.exceptions import UpdateError

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
    actions = [
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


def import_catalogue(store_id: str, entries: list[dict], *, imported_at: datetime) -> int:
    """Write every entry of a catalogue file (validated first: a bad file writes nothing)."""
    products = [CatalogueEntry.model_validate(entry) for entry in entries]
    with Product.batch_write() as batch:
        for entry in products:
            pk, sk = Product.key(store_id, entry.product_id)
            batch.save(Product(pk, sk, store_id=store_id, updated_at=imported_at, **entry.model_dump(exclude_none=True)))
    return len(products)


def get_product(store_id: str, product_id: str) -> Product | None:
    try:
        return Product.get(*Product.key(store_id, product_id))
    except Product.DoesNotExist:
        return None
