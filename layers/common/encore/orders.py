"""Orders and their lifecycle, the customer's order summary, and what they bought.

Platforms deliver webhooks late, twice and out of order (``orders/paid`` before
``orders/create``). Every moment is set once on the order item (``if_not_exists``), and the
order enters the customer's totals exactly once, when it is both placed and not cancelled:
the ``counted`` flag flips under a condition, so whichever event completes the picture
counts it and no other event can count it again.

A handler may fail at any write (throttling, a timeout) and be run again from the top, so a
marker is never written before what it stands for: ``counted`` flips in the same
transaction as the totals and the purchases, and ``effects_done`` (coupons, journeys, the
waits an order releases) is written by ``finish_order_effects`` after every one of them,
which are themselves safe to repeat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from encore import waits
from encore.adapters.workflows import Workflows
from encore.carts import close_carts_for_order
from encore.clock import utcnow
from encore.customers import upsert_customer
from encore.events import OrderPlaced, OrderStatusChanged
from encore.journeys import Journeys
from encore.scenarios import registry
from encore.storage import shopping_state
from encore.storage.orders import OrderMoment, OrderMomentChange, PlacedOrder, Purchase, RefundAsRead
from encore.storage.shopping_state import ShoppingStorage
from encore.stores import StoreSettings

_MOMENTS: dict[str, OrderMoment] = {
    "order_paid": "paid_at",
    "order_fulfilled": "fulfilled_at",
    "order_delivered": "delivered_at",
    "order_cancelled": "cancelled_at",
}


@dataclass(frozen=True)
class OrderOutcome:
    counted: bool
    journeys_released: int
    first_time: bool = False  # the first time this order was seen placed
    # The order's effects are not all known to be done: a first sight, or a run that failed
    # after the placing transaction. The caller finishes them and then finish_order_effects.
    effects_pending: bool = False


def apply_order_placed(event: OrderPlaced, *, store: StoreSettings, journeys: Journeys, storage: ShoppingStorage | None = None) -> OrderOutcome:
    storage = storage or shopping_state.on_dynamodb()
    customer_id = event.customer.customer_id
    upsert_customer(event.store_id, event.customer, event.occurred_at, storage=storage.customers)
    storage.orders.record_owner(event.store_id, event.order_id, customer_id)
    placed = _placed_order(event)
    # The usual case in one transaction: first sight of the order, not cancelled → placed,
    # counted, added to the totals and its purchases recorded, together. Otherwise a cancel
    # came first (record it and its purchases, never count) or this is a repeat (nothing).
    counted = storage.orders.place_and_count(placed)
    first_time = counted or storage.orders.place_uncounted(placed)
    pending = first_time or not storage.orders.effects_done(event.store_id, customer_id, event.order_id)
    if pending:
        _mark_coupons_redeemed(event, storage)
        # The journeys started with the order itself (post-purchase, unpaid order): before
        # the statuses that arrived ahead of the order are applied, so they find them.
        registry.start_journeys("orders", event, customer_id, store, journeys)
    released = close_carts_for_order(event, workflows=journeys.workflows, storage=storage)
    return OrderOutcome(counted=counted, journeys_released=released, first_time=first_time, effects_pending=pending)


def finish_order_effects(event: OrderPlaced, *, storage: ShoppingStorage | None = None) -> None:
    """The marker, written last: a retry from any earlier point redoes the effects (each safe
    to repeat) instead of taking a half-done order for a repeated webhook."""
    storage = storage or shopping_state.on_dynamodb()
    storage.orders.mark_effects_done(event.store_id, event.customer.customer_id, event.order_id)


def _placed_order(event: OrderPlaced) -> PlacedOrder:
    """The order as its placing event states it, with what it bought added up per product."""
    quantities: dict[str, tuple[str, int]] = {}
    for line in event.lines:
        title, quantity = quantities.get(line.product_id, (line.title, 0))
        quantities[line.product_id] = (title, quantity + line.quantity)
    return PlacedOrder(
        store_id=event.store_id,
        customer_id=event.customer.customer_id,
        order_id=event.order_id,
        placed_at=event.occurred_at,
        currency=event.currency,
        total_cents=event.total_cents,
        order_name=event.order_name,
        cart_id=event.cart_id,
        coupon_codes=tuple(event.coupon_codes),
        lines=tuple(line.model_dump() for line in event.lines),
        purchases=tuple(Purchase(product_id, title, quantity) for product_id, (title, quantity) in quantities.items()),
        payment_url=event.payment_url,
    )


def _mark_coupons_redeemed(event: OrderPlaced, storage: ShoppingStorage) -> None:
    """Record which order used each Encore coupon (codes from elsewhere are ignored)."""
    for code in event.coupon_codes:
        storage.orders.redeem_coupon(event.store_id, code.upper(), event.order_id, event.occurred_at)


def _owner(event: OrderStatusChanged, storage: ShoppingStorage) -> str | None:
    if event.customer:
        return event.customer.customer_id
    return storage.orders.owner(event.store_id, event.order_id)


@dataclass(frozen=True)
class StatusOutcome:
    applied: bool
    reason: str
    customer_id: str | None = None


def apply_order_status(event: OrderStatusChanged, *, workflows: Workflows, storage: ShoppingStorage | None = None) -> StatusOutcome:
    storage = storage or shopping_state.on_dynamodb()
    customer_id = _owner(event, storage)
    if customer_id is None:
        # A status for an order we have never seen (nor its owner): keep it for the order
        # (Lambda's retries end within minutes; a late order webhook can take hours).
        customer_id = keep_status_for_its_order(event, storage=storage)
        if customer_id is None:
            return StatusOutcome(False, "kept until its order arrives")
    if event.customer:
        upsert_customer(event.store_id, event.customer, event.occurred_at, storage=storage.customers)
        storage.orders.record_owner(event.store_id, event.order_id, customer_id)
    if event.type == "order_refunded":
        return _apply_refund(event, customer_id, storage)
    change = OrderMomentChange(event.store_id, customer_id, event.order_id, _MOMENTS[event.type], event.occurred_at, event.tracking_url, event.tracking_number)
    storage.orders.record_moment(change)
    if event.type == "order_cancelled":
        # A counted order leaves the totals once: the flag and the totals in one transaction.
        storage.orders.uncount(event.store_id, customer_id, event.order_id)
    details = {"tracking_url": event.tracking_url, "tracking_number": event.tracking_number}
    released = waits.release(event.store_id, customer_id, event.type, event.order_id, details, workflows=workflows, wait_store=storage.waits)
    return StatusOutcome(True, f"{event.type}; journeys released: {released}", customer_id)


def _apply_refund(event: OrderStatusChanged, customer_id: str, storage: ShoppingStorage) -> StatusOutcome:
    """Refund webhooks carry the cumulative refunded amount: apply only the increase, and
    the order's new amount with the totals' change in one transaction (a retry after a
    failure between them would otherwise apply the change twice or never)."""
    new_total = int(event.refunded_cents or 0)
    for _ in range(3):  # another event changed the order between our read and our write: read again
        current = storage.orders.order(event.store_id, customer_id, event.order_id)
        previous = int(current.refunded_cents) if current is not None and current.refunded_cents is not None else None
        if previous is not None and previous >= new_total:
            return StatusOutcome(False, "refund already applied", customer_id)
        as_read = RefundAsRead(refunded_cents=previous, counted=bool(current is not None and current.counted))
        if storage.orders.record_refund(event.store_id, customer_id, event.order_id, new_total, as_read=as_read):
            return StatusOutcome(True, "refund recorded", customer_id)
    raise RuntimeError(f"order {event.order_id} kept changing while its refund was applied")


PENDING_STATUS_DAYS = 30  # an order webhook later than this is not coming


def keep_status_for_its_order(event: OrderStatusChanged, *, storage: ShoppingStorage | None = None) -> str | None:
    """Park a status whose order is unknown. Returns the owner if the order turned up while
    we parked it (its webhook did not see the status then): the caller applies it now."""
    storage = storage or shopping_state.on_dynamodb()
    expires_at = utcnow() + timedelta(days=PENDING_STATUS_DAYS)
    storage.orders.keep_status(event.store_id, event.order_id, event.type, event.model_dump_json(), expires_at)
    return storage.orders.owner(event.store_id, event.order_id, consistent=True)


_LIFECYCLE = ["order_paid", "order_fulfilled", "order_delivered", "order_refunded", "order_cancelled"]


def take_kept_statuses(store_id: str, order_id: str, *, storage: ShoppingStorage | None = None) -> list[OrderStatusChanged]:
    """The statuses kept for this order, each handed out once, in lifecycle order. Applying a
    status twice is harmless (every moment is set once), so a race with
    ``keep_status_for_its_order`` can only apply one twice, never lose it."""
    storage = storage or shopping_state.on_dynamodb()
    taken = [OrderStatusChanged.model_validate_json(kept) for kept in storage.orders.take_kept_statuses(store_id, order_id)]
    return sorted(taken, key=lambda event: _LIFECYCLE.index(event.type))
