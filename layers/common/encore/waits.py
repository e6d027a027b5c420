"""Journeys that wait for a customer's event ("wait for the shipment, at most 30 days").

The journey's ``.waitForTaskToken`` step parks its token in a JourneyWait item; the
function that handles the awaited event takes the token back with a conditional delete and
sends it the event. Parking happens first and the "has it already happened?" check second,
so an event that lands while the journey is parking is never missed: whoever deletes the
item releases the journey, exactly once.
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import DeleteError, DoesNotExist

from encore.adapters.workflows import Workflows
from encore.models import JourneyWait, Order, condition_failed, customer_key

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


def _already_happened(store_id: str, customer_id: str, awaiting: set[str], key: str | None) -> dict | None:
    if not key:
        return None
    try:
        order = Order.get(customer_key(store_id, customer_id), Order.sort_key(key), consistent_read=True)
    except DoesNotExist:
        return None
    # Later moments first: a journey waiting for "shipped or delivered" takes the furthest.
    for event_type in ("order_cancelled", "order_delivered", "order_fulfilled", "order_paid"):
        if event_type in awaiting and getattr(order, _ORDER_MOMENTS[event_type]) is not None:
            return {"event": event_type, "key": key, "tracking_url": order.tracking_url, "tracking_number": order.tracking_number}
    return None


def park(store_id: str, customer_id: str, journey: str, awaiting: list[str], key: str | None, task_token: str, *, now: datetime, workflows: Workflows) -> str:
    wait = JourneyWait(
        customer_key(store_id, customer_id),
        JourneyWait.sort_key(journey),
        store_id=store_id,
        customer_id=customer_id,
        journey=journey,
        awaiting=set(awaiting),
        key=key,
        task_token=task_token,
        parked_at=now,
    )
    wait.save()
    happened = _already_happened(store_id, customer_id, set(awaiting), key)
    if happened and _take(wait):
        workflows.release(task_token, happened)
        return happened["event"]
    return "waiting"


def release(store_id: str, customer_id: str, event_type: str, key: str | None, details: dict, *, workflows: Workflows) -> int:
    """Release every journey of this customer waiting for ``event_type`` (for this key)."""
    released = 0
    for wait in JourneyWait.query(customer_key(store_id, customer_id), JourneyWait.sk.startswith("WAIT#")):
        if event_type not in wait.awaiting or (wait.key and wait.key != key):
            continue
        if _take(wait) and workflows.release(wait.task_token, {"event": event_type, "key": key, **details}):
            released += 1
    return released
