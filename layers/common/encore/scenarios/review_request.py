"""Scenario 8, review request: once an order is delivered, ask for a review of its products
when the customer has had time to try them (10 days for apparel, 21 for durables: the
catalogue's ``product_type``), then branch on the rating. One journey per order."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from encore.clock import utcnow
from encore.events import OrderStatusChanged
from encore.journeys import REVIEW_REQUEST, Journeys
from encore.models import Order, Product, Review, customer_key
from encore.stores import DAY, StoreSettings

MAX_SHOWN_PRODUCTS = 6  # a review request lists a few products, not a whole wholesale order


def _order(store_id: str, customer_id: str, order_id: str) -> Order | None:
    try:
        return Order.get(customer_key(store_id, customer_id), Order.sort_key(order_id), consistent_read=True)
    except DoesNotExist:
        return None


def _product_types(store_id: str, product_ids: list[str]) -> list[str | None]:
    """Each product's type from the catalogue (None for a product not in it)."""
    found = {product.product_id: product.product_type for product in Product.batch_get([Product.key(store_id, pid) for pid in product_ids])}
    return [found.get(product_id) for product_id in product_ids]


def _reviewed(store_id: str, customer_id: str) -> set[str]:
    """Products this customer has already reviewed (asking again would nag)."""
    return {review.product_id for review in Review.query(customer_key(store_id, customer_id), Review.sk.startswith("REVIEW#"))}


def on_order_delivered(event: OrderStatusChanged, customer_id: str, store: StoreSettings, journeys: Journeys) -> bool:
    """Start the order's review request; False when switched off, when there is nothing to
    ask about (a cancelled or refunded order, products all reviewed already) or when the
    delivery is so old that the request's moment has passed (a historical import)."""
    settings = store.review_request
    if not settings.enabled:
        return False
    order = _order(event.store_id, customer_id, event.order_id)
    if order is None or not order.lines or order.cancelled_at is not None:
        return False
    if order.refunded_cents and order.total_cents is not None and order.refunded_cents >= order.total_cents:
        return False
    reviewed = _reviewed(event.store_id, customer_id)
    products = [product_id for product_id in dict.fromkeys(line.product_id for line in order.lines) if product_id not in reviewed]
    if not products:
        return False
    delay = settings.delay_days(_product_types(event.store_id, products)) * DAY
    delivered_at = order.delivered_at or event.occurred_at  # the first delivery report counts
    remaining = delay - int((utcnow() - delivered_at).total_seconds())
    if remaining <= 0:
        return False
    return journeys.start(
        REVIEW_REQUEST,
        event.store_id,
        customer_id,
        event.order_id,
        {
            "order_id": event.order_id,
            "products": products,  # a review of any of them answers the request
            "shown_products": products[:MAX_SHOWN_PRODUCTS],
            "coupon": settings.incentive(),
            "ratings": {"positive_from": settings.positive_from, "negative_up_to": settings.negative_up_to},
            "waits": settings.execution_waits(remaining),
        },
    )
