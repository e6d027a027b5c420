"""Journeys that wait: for a customer's event ("wait for the shipment, at most 30 days",
"wait two days for an order", "wait for the review"), or for their cart's order or next
update (cart abandonment, ``encore.carts``).

One mechanism for both: the journey's ``.waitForTaskToken`` step parks its token in a wait
record (``encore.storage.waits``), then checks whether what it waits for already happened;
the code that sees it happen takes the token back (a conditional delete or update) and
releases the journey. Parking comes first and the check second, so something that happens
while the journey is parking is never missed: whoever takes the token releases the journey,
exactly once.

One request model for both wait functions (``WaitRequest``): the two shapes their steps
send are told apart by what they wait for (``awaiting`` events, or a ``cart_id``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Discriminator, Field, RootModel, Tag

from encore.adapters.workflows import Workflows
from encore.clock import iso
from encore.storage.wait_checks import DynamoWaitChecks, WaitChecks
from encore.storage.waits import DynamoWaitStore, Wait, WaitStore

# What a cart journey's wait awaits: its cart's order (or emptying) or its next update. Not a
# canonical event type, so no event's ``release`` ever matches it (the cart code takes it).
CART_ORDER_OR_UPDATE = "cart_order_or_update"


# ---------------------------------------------------------------------------- the request
class _WaitRequestBase(BaseModel):
    # Fields a later step input adds (a version) are ignored: the shape is told by ``_shape``.
    task_token: str
    store_id: str
    customer_id: str


class EventWaitRequest(_WaitRequestBase):
    """A journey waiting for one of the customer's events (the WaitForEvent steps)."""

    journey: str  # the execution name
    awaiting: list[str] = Field(min_length=1)
    key: str | None = None
    since: datetime | None = None  # the journey's start: an order since then counts
    products: list[str] | None = None  # only an event about one of these products counts


class CartWaitRequest(_WaitRequestBase):
    """The cart abandonment journey waiting for its cart's order or next update (the
    WaitForOrder steps)."""

    cart_id: str
    # The reminder this wait leads to (None: the last wait, for a late order; journeys started
    # before timers followed cart updates send none either: their timers stay where they are).
    reminder: Literal["reminder_1", "reminder_2", "reminder_3"] | None = None


def _shape(payload: Any) -> str | None:
    """Which wait a payload asks for: events (``awaiting``) or a cart (``cart_id``); a payload
    naming both or neither has no shape and fails validation."""
    if isinstance(payload, dict):
        events, cart = "awaiting" in payload, "cart_id" in payload
    else:
        events, cart = isinstance(payload, EventWaitRequest), isinstance(payload, CartWaitRequest)
    if events == cart:
        return None
    return "events" if events else "cart"


class WaitRequest(RootModel[Annotated[Annotated[EventWaitRequest, Tag("events")] | Annotated[CartWaitRequest, Tag("cart")], Discriminator(_shape)]]):
    """What a wait function receives from a journey's ``.waitForTaskToken`` step."""


def park_request(request: WaitRequest, *, now: datetime, workflows: Workflows, wait_store: WaitStore | None = None, checks: WaitChecks | None = None) -> str:
    """Park the journey the request speaks for; "waiting", or how the wait already ended."""
    wanted = request.root
    if isinstance(wanted, CartWaitRequest):
        from encore.carts import park_cart_journey  # carts imports this module

        return park_cart_journey(
            wanted.store_id,
            wanted.customer_id,
            wanted.cart_id,
            wanted.task_token,
            now=now,
            workflows=workflows,
            reminder=wanted.reminder,
            wait_store=wait_store,
        )
    return park(
        wanted.store_id,
        wanted.customer_id,
        wanted.journey,
        wanted.awaiting,
        wanted.key,
        wanted.task_token,
        now=now,
        workflows=workflows,
        since=wanted.since,
        products=wanted.products,
        wait_store=wait_store,
        checks=checks,
    )


# ---------------------------------------------------------------------------- one park / take / release
def park_until(wait: Wait, already_happened: Callable[[], dict | None], *, workflows: Workflows, wait_store: WaitStore) -> dict | None:
    """Park ``wait``, then ask whether what it waits for already happened: if so (and nobody
    took the token first) release the journey with that outcome and return it."""
    wait_store.park(wait)
    outcome = already_happened()
    if outcome is not None and wait_store.take(wait.store_id, wait.customer_id, wait.journey, task_token=wait.task_token):
        workflows.release(wait.task_token, outcome)
        return outcome
    return None


def take_and_release(store_id: str, customer_id: str, journey: str, outcome: dict, *, workflows: Workflows, wait_store: WaitStore) -> bool:
    """Release the journey's parked wait with ``outcome``, if it is parked and this call takes it."""
    taken = wait_store.take(store_id, customer_id, journey)
    return taken is not None and workflows.release(taken.task_token, outcome)


def ending_for(awaiting: Iterable[str], ending: str) -> dict:
    """The outcome that ends a wait for a reason of its own (the customer was erased), in the
    shape the waiting journey reads: a cart journey reads ``outcome``, the others ``event``."""
    return {"outcome": ending} if CART_ORDER_OR_UPDATE in set(awaiting) else {"event": ending}


# Which order moment each lifecycle event sets (what "already happened" looks at).
_ORDER_MOMENTS = {
    "order_paid": "paid_at",
    "order_fulfilled": "fulfilled_at",
    "order_delivered": "delivered_at",
    "order_cancelled": "cancelled_at",
}


def _order_moment(checks: WaitChecks, store_id: str, customer_id: str, awaiting: set[str], key: str | None) -> dict | None:
    if not key:
        return None
    order = checks.order_moments(store_id, customer_id, key)
    if order is None:
        return None
    # Later moments first: a journey waiting for "shipped or delivered" takes the furthest.
    for event_type in ("order_cancelled", "order_delivered", "order_fulfilled", "order_paid"):
        if event_type in awaiting and getattr(order, _ORDER_MOMENTS[event_type]) is not None:
            return {"event": event_type, "key": key, "tracking_url": order.tracking_url, "tracking_number": order.tracking_number}
    return None


def _ordered_since(checks: WaitChecks, store_id: str, customer_id: str, since: datetime, products: set[str] | None) -> dict | None:
    """An order placed since the journey began (of one of ``products`` when given)."""
    if products:
        for product_id in sorted(products):
            bought_at = checks.last_purchased_at(store_id, customer_id, product_id)
            if bought_at and bought_at >= since:
                return {"event": "order_placed", "key": None, "product_ids": [product_id], "ordered_at": iso(bought_at)}
        return None
    ordered_at = checks.last_order_at(store_id, customer_id)
    if ordered_at and ordered_at >= since:
        return {"event": "order_placed", "key": None, "ordered_at": iso(ordered_at)}
    return None


def _reviewed_since(checks: WaitChecks, store_id: str, customer_id: str, since: datetime, products: set[str] | None) -> dict | None:
    """The latest review (of one of ``products`` when given) submitted since the journey began."""
    reviews = [review for review in checks.reviews_since(store_id, customer_id, since) if not products or review.product_id in products]
    if not reviews:
        return None
    review = max(reviews, key=lambda r: r.reviewed_at)
    return {"event": "review_submitted", "key": None, "rating": review.rating, "product_id": review.product_id, "review_id": review.review_id}


def already_happened(
    checks: WaitChecks, store_id: str, customer_id: str, awaiting: set[str], key: str | None, since: datetime | None, products: set[str] | None
) -> dict | None:
    """The outcome of what the wait awaits, if it already happened; None: it has not."""
    found = _order_moment(checks, store_id, customer_id, awaiting, key)
    if found is None and "order_placed" in awaiting and since is not None:
        found = _ordered_since(checks, store_id, customer_id, since, products)
    if found is None and "review_submitted" in awaiting and since is not None:
        found = _reviewed_since(checks, store_id, customer_id, since, products)
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
    wait_store: WaitStore | None = None,
    checks: WaitChecks | None = None,
) -> str:
    """Park the token until one of the customer's ``awaiting`` events. ``since`` (the
    journey's start) lets an order that was placed while the journey was on its way here
    count as already happened (``checks`` reads it: the table by default)."""
    reads = checks or DynamoWaitChecks()
    wanted = frozenset(products or ()) or None
    wait = Wait(store_id, customer_id, journey, frozenset(awaiting), task_token, now, key=key, products=wanted)
    happened = park_until(
        wait,
        lambda: already_happened(reads, store_id, customer_id, set(awaiting), key, since, set(wanted) if wanted else None),
        workflows=workflows,
        wait_store=wait_store or DynamoWaitStore(),
    )
    return happened["event"] if happened else "waiting"


def release(
    store_id: str,
    customer_id: str,
    event_type: str,
    key: str | None,
    details: dict,
    *,
    workflows: Workflows,
    product_ids: Iterable[str] = (),
    wait_store: WaitStore | None = None,
) -> int:
    """Release every journey of this customer waiting for ``event_type`` (for this key, and
    for one of these products when the wait names products)."""
    waits = wait_store or DynamoWaitStore()
    released = 0
    about = set(product_ids)
    for wait in waits.of_customer(store_id, customer_id):
        if event_type not in wait.awaiting or (wait.key and wait.key != key):
            continue
        if wait.products and not wait.products & about:
            continue
        outcome = {"event": event_type, "key": key, **details}
        if take_and_release(store_id, customer_id, wait.journey, outcome, workflows=workflows, wait_store=waits):
            released += 1
    return released
