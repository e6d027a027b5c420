"""Journeys that wait for a customer's event ("wait for the shipment, at most 30 days",
"wait two days for an order", "wait for the review").

The journey's ``.waitForTaskToken`` step parks its token in a JourneyWait item; the
function that handles the awaited event takes the token back with a conditional delete and
sends it the event. Parking happens first and the "has it already happened?" check second,
so an event that lands while the journey is parking is never missed: whoever deletes the
item releases the journey, exactly once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pynamodb.exceptions import DeleteError

from encore.adapters.workflows import Workflows
from encore.clock import iso
from encore.models import Customer, JourneyWait, Order, PurchasedProduct, Review, condition_failed, customer_key, get_or_none

# Which order moment each lifecycle event sets (what "already happened" looks at).
_ORDER_MOMENTS = {
    "order_paid": "paid_at",
    "order_fulfilled": "fulfilled_at",
    "order_delivered": "delivered_at",
    "order_cancelled": "cancelled_at",
}


def _take(wait: JourneyWait) -> bool:
    try:
        wait.delete(condition=JourneyWait.task_token == wait.task_token)
        return True
    except DeleteError as error:
        if condition_failed(error):
            return False
        raise


def _get(model, pk: str, sk: str):
    return get_or_none(model, pk, sk, consistent_read=True)  # the event may have just been written


def _order_moment(pk: str, awaiting: set[str], key: str | None) -> dict | None:
    if not key:
        return None
    order = _get(Order, pk, Order.sort_key(key))
    if order is None:
        return None
    # Later moments first: a journey waiting for "shipped or delivered" takes the furthest.
    for event_type in ("order_cancelled", "order_delivered", "order_fulfilled", "order_paid"):
        if event_type in awaiting and getattr(order, _ORDER_MOMENTS[event_type]) is not None:
            return {"event": event_type, "key": key, "tracking_url": order.tracking_url, "tracking_number": order.tracking_number}
    return None


def _ordered_since(pk: str, since: datetime, products: set[str] | None) -> dict | None:
    """An order placed since the journey began (of one of ``products`` when given)."""
    if products:
        for product_id in sorted(products):
            bought = _get(PurchasedProduct, pk, PurchasedProduct.sort_key(product_id))
            if bought and bought.last_purchased_at and bought.last_purchased_at >= since:
                return {"event": "order_placed", "key": None, "product_ids": [product_id], "ordered_at": iso(bought.last_purchased_at)}
        return None
    customer = _get(Customer, pk, Customer.sort_key())
    if customer and customer.last_order_at and customer.last_order_at >= since:
        return {"event": "order_placed", "key": None, "ordered_at": iso(customer.last_order_at)}
    return None


def _reviewed_since(pk: str, since: datetime, products: set[str] | None) -> dict | None:
    """The latest review (of one of ``products`` when given) submitted since the journey began."""
    reviews = [
        review
        for review in Review.query(pk, Review.sk.startswith("REVIEW#"), consistent_read=True)
        if review.reviewed_at >= since and (not products or review.product_id in products)
    ]
    if not reviews:
        return None
    review = max(reviews, key=lambda r: r.reviewed_at)
    return {"event": "review_submitted", "key": None, "rating": int(review.rating), "product_id": review.product_id, "review_id": review.review_id}


def _already_happened(pk: str, awaiting: set[str], key: str | None, since: datetime | None, products: set[str] | None) -> dict | None:
    found = _order_moment(pk, awaiting, key)
    if found is None and "order_placed" in awaiting and since is not None:
        found = _ordered_since(pk, since, products)
    if found is None and "review_submitted" in awaiting and since is not None:
        found = _reviewed_since(pk, since, products)
    return found


def park(
    store_id: str,
    customer_id: str,
    journey: str,
    awaiting: list[str],
    key: str | None,
    task_token: str,
    *,
    now: datetime,
    workflows: Workflows,
    since: datetime | None = None,
    products: Iterable[str] | None = None,
) -> str:
    """Park the token. ``since`` (the journey's start) lets an order that was placed while
    the journey was on its way here count as already happened."""
    pk = customer_key(store_id, customer_id)
    wanted = set(products or ()) or None
    wait = JourneyWait(
        pk,
        JourneyWait.sort_key(journey),
        store_id=store_id,
        customer_id=customer_id,
        journey=journey,
        awaiting=set(awaiting),
        key=key,
        products=wanted,
        task_token=task_token,
        parked_at=now,
    )
    wait.save()
    happened = _already_happened(pk, set(awaiting), key, since, wanted)
    if happened and _take(wait):
        workflows.release(task_token, happened)
        return happened["event"]
    return "waiting"


def release(
    store_id: str,
    customer_id: str,
    event_type: str,
    key: str | None,
    details: dict,
    *,
    workflows: Workflows,
    product_ids: Iterable[str] = (),
) -> int:
    """Release every journey of this customer waiting for ``event_type`` (for this key, and
    for one of these products when the wait names products)."""
    released = 0
    about = set(product_ids)
    for wait in JourneyWait.query(customer_key(store_id, customer_id), JourneyWait.sk.startswith("WAIT#")):
        if event_type not in wait.awaiting or (wait.key and wait.key != key):
            continue
        if wait.products and not wait.products & about:
            continue
        outcome = {"event": event_type, "key": key, **details}
        if _take(wait) and workflows.release(wait.task_token, outcome):
            released += 1
    return released
