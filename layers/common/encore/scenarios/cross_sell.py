"""Scenario 6, cross-sell: after an order, offer what goes with it (the catalogue's
``complements``: phone → screen protector), once, with one reminder; when a complementary
product is bought, ask for its review a few days later. One journey per order."""

from __future__ import annotations

from datetime import timedelta

from encore.clock import utcnow
from encore.events import OrderPlaced
from encore.journeys import CROSS_SELL, Journeys
from encore.models import Product, PurchasedProduct, customer_key
from encore.stores import StoreSettings


def _catalogue(store_id: str, product_ids: list[str]) -> dict[str, Product]:
    if not product_ids:
        return {}
    return {product.product_id: product for product in Product.batch_get([Product.key(store_id, pid) for pid in dict.fromkeys(product_ids)])}


def _bought_before(store_id: str, customer_id: str, product_ids: list[str]) -> set[str]:
    """Which of these products the customer has bought (this order included: it is recorded
    before the journeys start)."""
    pk = customer_key(store_id, customer_id)
    keys = [(pk, PurchasedProduct.sort_key(product_id)) for product_id in product_ids]
    return {purchase.product_id for purchase in PurchasedProduct.batch_get(keys)} if keys else set()


def _sellable(product: Product | None) -> bool:
    return product is not None and not product.deleted and product.in_stock is not False


def complements_to_offer(event: OrderPlaced, limit: int) -> list[str]:
    """The order's complementary products, in the order's and the catalogue's order: sellable
    ones the customer has not bought yet, at most ``limit``."""
    ordered = list(dict.fromkeys(line.product_id for line in event.lines))
    bought_now = _catalogue(event.store_id, ordered)
    candidates = [
        complement
        for product_id in ordered
        if product_id in bought_now
        for complement in (bought_now[product_id].complements or [])
    ]
    candidates = [product_id for product_id in dict.fromkeys(candidates) if product_id not in ordered]
    catalogue = _catalogue(event.store_id, candidates)
    owned = _bought_before(event.store_id, event.customer.customer_id, candidates)
    return [product_id for product_id in candidates if _sellable(catalogue.get(product_id)) and product_id not in owned][:limit]


def on_order_placed(event: OrderPlaced, store: StoreSettings, journeys: Journeys) -> bool:
    """Start the order's cross-sell journey; False when switched off, for a historical
    import, or when nothing in the catalogue complements the order."""
    settings = store.cross_sell
    if not settings.enabled or utcnow() - event.occurred_at > timedelta(hours=settings.max_order_age_hours):
        return False
    complements = complements_to_offer(event, settings.max_products)
    if not complements:
        return False
    return journeys.start(
        CROSS_SELL,
        event.store_id,
        event.customer.customer_id,
        event.order_id,
        {"order_id": event.order_id, "complements": complements, "waits": settings.execution_waits()},
    )
