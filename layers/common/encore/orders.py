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

from pynamodb.exceptions import DeleteError, DoesNotExist, UpdateError
from pynamodb.expressions.update import Action

from encore import waits
from encore.adapters.workflows import Workflows
from encore.carts import close_carts_for_order
from encore.clock import utcnow
from encore.customers import upsert_customer
from encore.events import OrderPlaced, OrderStatusChanged
from encore.journeys import Journeys
from encore.models import (
    CartLineAttribute,
    Coupon,
    Customer,
    Order,
    OrderOwner,
    PendingOrderStatus,
    PurchasedProduct,
    condition_failed,
    customer_key,
    get_or_none,
    transact,
)
from encore.scenarios import registry
from encore.stores import StoreSettings

_MOMENTS = {
    "order_paid": Order.paid_at,
    "order_fulfilled": Order.fulfilled_at,
    "order_delivered": Order.delivered_at,
    "order_cancelled": Order.cancelled_at,
}


@dataclass(frozen=True)
class OrderOutcome:
    counted: bool
    journeys_released: int
    first_time: bool = False  # the first time this order was seen placed
    # The order's effects are not all known to be done: a first sight, or a run that failed
    # after the placing transaction. The caller finishes them and then finish_order_effects.
    effects_pending: bool = False


def _totals(store_id: str, customer_id: str, total_cents: int, refunded_cents: int, placed_at, sign: int) -> tuple:
    """The customer-summary write that adds (sign=1) or takes back (sign=-1) one order."""
    actions: list[Action] = [Customer.orders_count.add(sign), Customer.revenue_cents.add(sign * (total_cents - refunded_cents))]
    if sign > 0:
        actions += [
            Customer.first_order_at.set(Customer.first_order_at | placed_at),
            Customer.last_order_at.set(placed_at),
            Customer.last_order_key.set(f"STORE#{store_id}#LASTORDER#{placed_at:%Y-%m-%d}"),
        ]
    return Customer(customer_key(store_id, customer_id), Customer.sort_key()), actions, None


def apply_order_placed(event: OrderPlaced, *, store: StoreSettings, journeys: Journeys) -> OrderOutcome:
    customer_id = event.customer.customer_id
    pk = customer_key(event.store_id, customer_id)
    upsert_customer(event.store_id, event.customer, event.occurred_at)
    OrderOwner(*OrderOwner.key(event.store_id, event.order_id), customer_id=customer_id).save()
    order = Order(pk, Order.sort_key(event.order_id))
    placed = [
        Order.store_id.set(event.store_id),
        Order.customer_id.set(customer_id),
        Order.order_id.set(event.order_id),
        *([Order.order_name.set(event.order_name)] if event.order_name else []),
        Order.cart_id.set(event.cart_id) if event.cart_id else Order.cart_id.remove(),
        Order.currency.set(event.currency),
        Order.total_cents.set(event.total_cents),
        Order.placed_at.set(event.occurred_at),
        Order.coupon_codes.set(event.coupon_codes),
        Order.lines.set([CartLineAttribute(**line.model_dump()) for line in event.lines]),
        *([Order.payment_url.set(event.payment_url)] if event.payment_url else []),
    ]
    purchases = _purchase_writes(pk, event)
    # The usual case in one transaction: first sight of the order, not cancelled → placed,
    # counted, added to the totals and its purchases recorded, together. Otherwise a cancel
    # came first (record it and its purchases, never count) or this is a repeat (nothing).
    counted = transact(
        [
            (order, [*placed, Order.counted.set(True)], Order.placed_at.does_not_exist() & Order.cancelled_at.does_not_exist()),
            _totals(event.store_id, customer_id, event.total_cents, 0, event.occurred_at, +1),
            *purchases,
        ]
    )
    first_time = counted or transact([(order, placed, Order.placed_at.does_not_exist()), *purchases])
    pending = first_time or not _effects_done(order)
    if pending:
        _mark_coupons_redeemed(event)
        # The journeys started with the order itself (post-purchase, unpaid order): before
        # the statuses that arrived ahead of the order are applied, so they find them.
        registry.start_journeys("orders", event, customer_id, store, journeys)
    released = close_carts_for_order(event, workflows=journeys.workflows)
    return OrderOutcome(counted=counted, journeys_released=released, first_time=first_time, effects_pending=pending)


def finish_order_effects(event: OrderPlaced) -> None:
    """The marker, written last: a retry from any earlier point redoes the effects (each safe
    to repeat) instead of taking a half-done order for a repeated webhook."""
    Order(customer_key(event.store_id, event.customer.customer_id), Order.sort_key(event.order_id)).update(actions=[Order.effects_done.set(True)])


def _effects_done(order: Order) -> bool:
    order.refresh(consistent_read=True)
    return bool(order.effects_done)


def _purchase_writes(pk: str, event: OrderPlaced) -> list[tuple]:
    """The writes that record what the order bought (in the order's placing transaction)."""
    quantities: dict[str, tuple[str, int]] = {}
    for line in event.lines:
        title, quantity = quantities.get(line.product_id, (line.title, 0))
        quantities[line.product_id] = (title, quantity + line.quantity)
    return [
        (
            PurchasedProduct(pk, PurchasedProduct.sort_key(product_id)),
            [
                PurchasedProduct.product_id.set(product_id),
                PurchasedProduct.title.set(title),
                PurchasedProduct.quantity.add(quantity),
                PurchasedProduct.orders.add(1),
                PurchasedProduct.first_purchased_at.set(PurchasedProduct.first_purchased_at | event.occurred_at),
                PurchasedProduct.last_purchased_at.set(event.occurred_at),
            ],
            None,
        )
        for product_id, (title, quantity) in quantities.items()
    ]


def _mark_coupons_redeemed(event: OrderPlaced) -> None:
    """Record which order used each Encore coupon (codes from elsewhere are ignored)."""
    for code in event.coupon_codes:
        pk, sk = Coupon.key(event.store_id, code.upper())
        try:
            Coupon(pk, sk).update(
                actions=[Coupon.redeemed_order_id.set(event.order_id), Coupon.redeemed_at.set(event.occurred_at)],
                condition=Coupon.pk.exists() & Coupon.redeemed_order_id.does_not_exist(),
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise


def _owner(event: OrderStatusChanged) -> str | None:
    if event.customer:
        return event.customer.customer_id
    try:
        return OrderOwner.get(*OrderOwner.key(event.store_id, event.order_id)).customer_id
    except DoesNotExist:
        return None


@dataclass(frozen=True)
class StatusOutcome:
    applied: bool
    reason: str
    customer_id: str | None = None


def apply_order_status(event: OrderStatusChanged, *, workflows: Workflows) -> StatusOutcome:
    customer_id = _owner(event)
    if customer_id is None:
        # A status for an order we have never seen (nor its owner): keep it for the order
        # (Lambda's retries end within minutes; a late order webhook can take hours).
        customer_id = keep_status_for_its_order(event)
        if customer_id is None:
            return StatusOutcome(False, "kept until its order arrives")
    if event.customer:
        upsert_customer(event.store_id, event.customer, event.occurred_at)
        OrderOwner(*OrderOwner.key(event.store_id, event.order_id), customer_id=customer_id).save()
    order = Order(customer_key(event.store_id, customer_id), Order.sort_key(event.order_id))
    base: list[Action] = [Order.store_id.set(event.store_id), Order.customer_id.set(customer_id), Order.order_id.set(event.order_id)]
    if event.type == "order_refunded":
        return _apply_refund(order, event, base, customer_id)
    moment = _MOMENTS[event.type]
    actions = [*base, moment.set(moment | event.occurred_at)]
    if event.tracking_url:
        actions.append(Order.tracking_url.set(event.tracking_url))
    if event.tracking_number:
        actions.append(Order.tracking_number.set(event.tracking_number))
    order.update(actions=actions)
    if event.type == "order_cancelled":
        _uncount(order)
    details = {"tracking_url": event.tracking_url, "tracking_number": event.tracking_number}
    released = waits.release(event.store_id, customer_id, event.type, event.order_id, details, workflows=workflows)
    return StatusOutcome(True, f"{event.type}; journeys released: {released}", customer_id)


def _uncount(order: Order) -> bool:
    """Take a counted order out of the totals once: the flag and the totals in one transaction."""
    order.refresh(consistent_read=True)
    if not order.counted:
        return False
    taken_back = _totals(order.store_id, order.customer_id, int(order.total_cents or 0), int(order.refunded_cents or 0), order.placed_at, -1)
    return transact([(order, [Order.counted.set(False)], Order.counted == True), taken_back])  # noqa: E712


def _apply_refund(order: Order, event: OrderStatusChanged, base: list, customer_id: str) -> StatusOutcome:
    """Refund webhooks carry the cumulative refunded amount: apply only the increase, and
    the order's new amount with the totals' change in one transaction (a retry after a
    failure between them would otherwise apply the change twice or never)."""
    new_total = int(event.refunded_cents or 0)
    for _ in range(3):  # another event changed the order between our read and our write: read again
        current = get_or_none(Order, order.pk, order.sk, consistent_read=True)
        previous = int(current.refunded_cents or 0) if current is not None and current.refunded_cents is not None else None
        if previous is not None and previous >= new_total:
            return StatusOutcome(False, "refund already applied", customer_id)
        counted = bool(current is not None and current.counted)
        unchanged = (Order.refunded_cents.does_not_exist() if previous is None else Order.refunded_cents == previous) & (
            Order.counted == True if counted else (Order.counted.does_not_exist() | (Order.counted == False))  # noqa: E712
        )
        # Counted orders carry their refunds in the totals; an order counted later subtracts
        # its refunded amount then (see _totals).
        adjust = (
            [(Customer(customer_key(event.store_id, customer_id), Customer.sort_key()), [Customer.revenue_cents.add((previous or 0) - new_total)], None)]
            if counted
            else []
        )
        if transact([(order, [*base, Order.refunded_cents.set(new_total)], unchanged), *adjust]):
            return StatusOutcome(True, "refund recorded", customer_id)
    raise RuntimeError(f"order {event.order_id} kept changing while its refund was applied")


PENDING_STATUS_DAYS = 30  # an order webhook later than this is not coming


def keep_status_for_its_order(event: OrderStatusChanged) -> str | None:
    """Park a status whose order is unknown. Returns the owner if the order turned up while
    we parked it (its webhook did not see the status then): the caller applies it now."""
    PendingOrderStatus(
        *PendingOrderStatus.key(event.store_id, event.order_id, event.type),
        event=event.model_dump_json(),
        expires_at=utcnow() + timedelta(days=PENDING_STATUS_DAYS),
    ).save()
    owner = get_or_none(OrderOwner, *OrderOwner.key(event.store_id, event.order_id), consistent_read=True)
    return owner.customer_id if owner else None


def take_kept_statuses(store_id: str, order_id: str) -> list[OrderStatusChanged]:
    """The statuses kept for this order, each handed out once (conditional delete), in
    lifecycle order. Applying a status twice is harmless (every moment is set once), so a
    race with ``keep_status_for_its_order`` can only apply one twice, never lose it."""
    pk, _ = OrderOwner.key(store_id, order_id)
    taken = []
    for kept in PendingOrderStatus.query(pk, PendingOrderStatus.sk.startswith("STATUS#"), consistent_read=True):
        try:
            kept.delete(condition=PendingOrderStatus.event.exists())
        except DeleteError as error:
            if condition_failed(error):
                continue
            raise
        taken.append(OrderStatusChanged.model_validate_json(kept.event))
    lifecycle = ["order_paid", "order_fulfilled", "order_delivered", "order_refunded", "order_cancelled"]
    return sorted(taken, key=lambda event: lifecycle.index(event.type))
