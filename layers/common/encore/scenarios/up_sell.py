"""5. Up-sell: a viewed or added product with a higher-tier alternative in the catalogue (a
product whose ``upgrade_of`` names it; the import writes the reverse list, ``upgrades``,
onto the base product) starts a journey that offers the upgrade.

Once per customer and base product, for good (a ``JourneyRecord``, since execution names
are unique for 90 days only). No offer when the customer already bought one of the
product's upgrades or has one in an open cart. Of several upgrades the next tier up is
offered: the cheapest one still on sale.
"""

from __future__ import annotations

from datetime import timedelta

from encore.catalogue import get_product
from encore.clock import utcnow
from encore.events import CartUpdated, ProductViewed
from encore.journeys import UP_SELL, Journeys
from encore.models import Product, customer_key
from encore.scenarios.shopping import available_products, bought_any, claim_journey, products_in_open_carts
from encore.stores import StoreSettings


def on_product_viewed(event: ProductViewed, customer_id: str, store: StoreSettings, journeys: Journeys) -> bool:
    if not _timely(event.occurred_at, store):
        return False
    return _offer_upgrade(event.store_id, customer_id, event.product_id, store, journeys, in_carts=None)


def on_cart_updated(event: CartUpdated, customer_id: str, store: StoreSettings, journeys: Journeys) -> bool:
    """One offer per cart change at most: the first line (in cart order) that has one."""
    if not _timely(event.occurred_at, store):
        return False
    in_cart = {line.product_id for line in event.lines}
    return any(
        _offer_upgrade(event.store_id, customer_id, product_id, store, journeys, in_carts=in_cart)
        for product_id in dict.fromkeys(line.product_id for line in event.lines)
    )


def _timely(occurred_at, store: StoreSettings) -> bool:
    """Switched on, and the event is not older than the offer's delay (a late or replayed
    event starts nothing)."""
    return store.up_sell.enabled and utcnow() - occurred_at < timedelta(seconds=store.up_sell.offer_after_seconds)


def _next_tier(upgrades: list[Product]) -> Product:
    priced = [product for product in upgrades if product.price_cents is not None]
    return min(priced, key=lambda product: product.price_cents) if priced else upgrades[0]


def _offer_upgrade(store_id: str, customer_id: str, product_id: str, store: StoreSettings, journeys: Journeys, *, in_carts: set[str] | None) -> bool:
    base = get_product(store_id, product_id)
    if base is None or not base.upgrades:
        return False
    upgrades = available_products(store_id, base.upgrades)
    if not upgrades:
        return False
    pk = customer_key(store_id, customer_id)
    upgrade_ids = [upgrade.product_id for upgrade in upgrades]
    if bought_any(pk, base.upgrades):
        return False  # already owns a higher tier
    if in_carts is None:
        in_carts = products_in_open_carts(pk)
    if in_carts & set(upgrade_ids):
        return False  # already chose the upgrade
    upgrade = _next_tier(upgrades)
    name = journeys.name(UP_SELL, store_id, customer_id, product_id)
    if not claim_journey(pk, UP_SELL, product_id, name, now=utcnow(), cooldown=None):
        return False
    return journeys.start(
        UP_SELL,
        store_id,
        customer_id,
        product_id,
        {
            "product_id": product_id,
            "upgrade_id": upgrade.product_id,
            # An order of either ends a wait: the upgrade (thank-you) or the product (decided).
            "watched_products": [product_id, upgrade.product_id],
            "waits": store.up_sell.execution_waits(),
        },
    )
