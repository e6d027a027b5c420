"""9. Education series: usage and care tips after a customer's first purchase in a category.

The category of each line comes from the catalogue (the order names products only). Every
order records the customer's first purchase in each of its categories as a milestone, even
when no journey starts (the series switched off, no tips for the category, an imported old
order): "first" means first ever, so a store that adds tips later does not treat a second
purchase as a first. One journey per customer and category, for good: the milestone
outlives the 90 days Step Functions keeps an execution name unique.

The tips themselves are store settings (``education_series.tips``), read when each tip is
sent, so a store edits them without code and journeys under way send the current text.
A journey starts whether or not the customer accepts marketing today: consent is checked
at each tip, and a customer who subscribes in the following days gets the tips still due.
"""

from __future__ import annotations

from datetime import timedelta

from pynamodb.exceptions import PutError

from encore.clock import utcnow
from encore.events import OrderPlaced
from encore.journeys import EDUCATION_SERIES, Journeys
from encore.models import Milestone, Product, condition_failed, customer_key
from encore.stores import StoreSettings


def first_purchase_milestone(category: str) -> str:
    return f"first_purchase_in#{category}"


def on_order_placed(event: OrderPlaced, store: StoreSettings, journeys: Journeys) -> bool:
    """Returns whether a journey started (for at least one category)."""
    settings = store.education_series
    customer_id = event.customer.customer_id
    elapsed = utcnow() - event.occurred_at
    started = False
    for category in _categories(event):
        if not _first_purchase(event, category):
            continue
        if not settings.enabled or elapsed > timedelta(hours=settings.max_order_age_hours) or not settings.tips.get(category):
            continue
        payload = {"category": category, "order_id": event.order_id, "waits": settings.execution_waits(int(elapsed.total_seconds()))}
        started |= journeys.start(EDUCATION_SERIES, event.store_id, customer_id, category, payload)
    return started


def _categories(event: OrderPlaced) -> list[str]:
    """The catalogue categories of the order's products (products unknown to the catalogue
    have none)."""
    product_ids = list(dict.fromkeys(line.product_id for line in event.lines))
    if not product_ids:
        return []
    products = Product.batch_get([Product.key(event.store_id, product_id) for product_id in product_ids])
    return sorted({product.category for product in products if product.category})


def _first_purchase(event: OrderPlaced, category: str) -> bool:
    """Record the first purchase in the category; True for the order that made it (again
    when that order's event is retried, so a crash before the start does not lose it)."""
    pk = customer_key(event.store_id, event.customer.customer_id)
    milestone = Milestone(pk, Milestone.sort_key(first_purchase_milestone(category)), reached_at=event.occurred_at, order_id=event.order_id)
    try:
        milestone.save(condition=Milestone.pk.does_not_exist() | (Milestone.order_id == event.order_id))
        return True
    except PutError as error:
        if not condition_failed(error):
            raise
        return False
