"""Orders, write side: an order placed and counted once in its customer's totals, its lifecycle
moments each set once, a cancel that takes it back out of the totals once, refunds applied by
their increase, who owns an order, the statuses kept for an order not seen yet, and which order
used an Encore coupon.

Platforms deliver webhooks late, twice and out of order, and a handler may be run again from
the top after any failed write: every write here is either set-once, conditional on the state
it was decided on, or one transaction with the marker that says it happened (``counted`` with
the totals and the purchases), so a repeat finds all of it or none of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from pynamodb.exceptions import DeleteError, UpdateError
from pynamodb.expressions.update import Action

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

# The order moments a status sets (each once: the first time it is told stays).
OrderMoment = Literal["paid_at", "fulfilled_at", "delivered_at", "cancelled_at"]


@dataclass(frozen=True)
class Purchase:
    """What an order bought of one product (its lines for that product added up)."""

    product_id: str
    title: str
    quantity: int


@dataclass(frozen=True)
class PlacedOrder:
    """An order as its placing event states it. ``lines`` are the event's lines as dicts (the
    stored order shows them); ``purchases`` the same lines added up per product."""

    store_id: str
    customer_id: str
    order_id: str
    placed_at: datetime
    currency: str
    total_cents: int
    order_name: str | None = None
    cart_id: str | None = None
    coupon_codes: tuple[str, ...] = ()
    lines: tuple[dict, ...] = ()
    purchases: tuple[Purchase, ...] = ()
    payment_url: str | None = None


@dataclass(frozen=True)
class OrderMomentChange:
    """A lifecycle status of a known customer's order: the moment it sets (if not set yet) and
    the tracking details it carries (None: not carried, left as they are)."""

    store_id: str
    customer_id: str
    order_id: str
    moment: OrderMoment
    at: datetime
    tracking_url: str | None = None
    tracking_number: str | None = None


@dataclass(frozen=True)
class RefundAsRead:
    """The order's refund state the refund was decided on: written only if it still holds."""

    refunded_cents: int | None  # None: no refund recorded yet
    counted: bool


class Orders(Protocol):
    def record_owner(self, store_id: str, order_id: str, customer_id: str) -> None:
        """The order is this customer's (status webhooks name only the order)."""

    def owner(self, store_id: str, order_id: str, *, consistent: bool = False) -> str | None:
        """The customer the order belongs to, if known."""

    def place_and_count(self, order: PlacedOrder) -> bool:
        """First sight of an order that is not cancelled: the order placed and counted, its
        customer's totals and its purchases added, all together. False (nothing written) when
        the order was placed before or cancelled already."""

    def place_uncounted(self, order: PlacedOrder) -> bool:
        """First sight of the order without counting it (it was cancelled first): placed and its
        purchases recorded, together. False (nothing written) when it was placed before."""

    def effects_done(self, store_id: str, customer_id: str, order_id: str) -> bool:
        """Whether everything the order's first sight causes is known to be done (consistent)."""

    def mark_effects_done(self, store_id: str, customer_id: str, order_id: str) -> None:
        """The marker, written once every effect of the order's first sight has happened."""

    def redeem_coupon(self, store_id: str, code: str, order_id: str, at: datetime) -> bool:
        """Record that ``order_id`` used the Encore coupon ``code``. False: no such coupon, or
        another order (or this one, earlier) redeemed it first."""

    def record_moment(self, change: OrderMomentChange) -> None:
        """Set the status's moment unless it is set already (the first told stays), with the
        tracking details it carries; the order item is created if the order was not seen yet."""

    def uncount(self, store_id: str, customer_id: str, order_id: str) -> bool:
        """Take a counted order out of its customer's totals, once: the flag and the totals
        together. False when it is not counted (never was, or was taken out already)."""

    def order(self, store_id: str, customer_id: str, order_id: str) -> Order | None:
        """The order as stored now (a consistent read)."""

    def record_refund(self, store_id: str, customer_id: str, order_id: str, refunded_cents: int, *, as_read: RefundAsRead) -> bool:
        """Set the order's refunded amount (cumulative) and, for a counted order, take the
        increase off its customer's revenue, together; only if the order's refund and count are
        still ``as_read``. False (nothing written) when another event changed them since."""

    def last_order_at(self, store_id: str, customer_id: str) -> datetime | None:
        """When the customer's latest counted order was placed (None: none known)."""

    def keep_status(self, store_id: str, order_id: str, event_type: str, event_json: str, expires_at: datetime) -> None:
        """Keep a status whose order is not known yet, until ``expires_at`` (one per status type)."""

    def take_kept_statuses(self, store_id: str, order_id: str) -> list[str]:
        """The statuses kept for the order (as kept), each handed to one taker only and gone."""


def _order(store_id: str, customer_id: str, order_id: str) -> Order:
    return Order(customer_key(store_id, customer_id), Order.sort_key(order_id))


def _profile(store_id: str, customer_id: str) -> Customer:
    return Customer(customer_key(store_id, customer_id), Customer.sort_key())


def _totals(store_id: str, customer_id: str, total_cents: int, refunded_cents: int, placed_at: datetime | None, sign: int) -> tuple:
    """The customer-summary write that adds (sign=1) or takes back (sign=-1) one order."""
    actions: list[Action] = [Customer.orders_count.add(sign), Customer.revenue_cents.add(sign * (total_cents - refunded_cents))]
    if sign > 0 and placed_at is not None:
        actions += [
            Customer.first_order_at.set(Customer.first_order_at | placed_at),
            Customer.last_order_at.set(placed_at),
            Customer.last_order_key.set(f"STORE#{store_id}#LASTORDER#{placed_at:%Y-%m-%d}"),
        ]
    return _profile(store_id, customer_id), actions, None


def _placing(order: PlacedOrder) -> list[Action]:
    return [
        Order.store_id.set(order.store_id),
        Order.customer_id.set(order.customer_id),
        Order.order_id.set(order.order_id),
        *([Order.order_name.set(order.order_name)] if order.order_name else []),
        Order.cart_id.set(order.cart_id) if order.cart_id else Order.cart_id.remove(),
        Order.currency.set(order.currency),
        Order.total_cents.set(order.total_cents),
        Order.placed_at.set(order.placed_at),
        Order.coupon_codes.set(list(order.coupon_codes)),
        Order.lines.set([CartLineAttribute(**line) for line in order.lines]),
        *([Order.payment_url.set(order.payment_url)] if order.payment_url else []),
    ]


def _purchase_writes(order: PlacedOrder) -> list[tuple]:
    pk = customer_key(order.store_id, order.customer_id)
    return [
        (
            PurchasedProduct(pk, PurchasedProduct.sort_key(purchase.product_id)),
            [
                PurchasedProduct.product_id.set(purchase.product_id),
                PurchasedProduct.title.set(purchase.title),
                PurchasedProduct.quantity.add(purchase.quantity),
                PurchasedProduct.orders.add(1),
                PurchasedProduct.first_purchased_at.set(PurchasedProduct.first_purchased_at | order.placed_at),
                PurchasedProduct.last_purchased_at.set(order.placed_at),
            ],
            None,
        )
        for purchase in order.purchases
    ]


class DynamoOrders:
    """``Orders`` on the DynamoDB table (``encore.models``)."""

    def record_owner(self, store_id: str, order_id: str, customer_id: str) -> None:
        OrderOwner(*OrderOwner.key(store_id, order_id), customer_id=customer_id).save()

    def owner(self, store_id: str, order_id: str, *, consistent: bool = False) -> str | None:
        found = get_or_none(OrderOwner, *OrderOwner.key(store_id, order_id), consistent_read=consistent)
        return found.customer_id if found is not None else None

    def place_and_count(self, order: PlacedOrder) -> bool:
        stored = _order(order.store_id, order.customer_id, order.order_id)
        return transact(
            [
                (stored, [*_placing(order), Order.counted.set(True)], Order.placed_at.does_not_exist() & Order.cancelled_at.does_not_exist()),
                _totals(order.store_id, order.customer_id, order.total_cents, 0, order.placed_at, +1),
                *_purchase_writes(order),
            ]
        )

    def place_uncounted(self, order: PlacedOrder) -> bool:
        stored = _order(order.store_id, order.customer_id, order.order_id)
        return transact([(stored, _placing(order), Order.placed_at.does_not_exist()), *_purchase_writes(order)])

    def effects_done(self, store_id: str, customer_id: str, order_id: str) -> bool:
        stored = self.order(store_id, customer_id, order_id)
        return bool(stored is not None and stored.effects_done)

    def mark_effects_done(self, store_id: str, customer_id: str, order_id: str) -> None:
        _order(store_id, customer_id, order_id).update(actions=[Order.effects_done.set(True)])

    def redeem_coupon(self, store_id: str, code: str, order_id: str, at: datetime) -> bool:
        try:
            Coupon(*Coupon.key(store_id, code)).update(
                actions=[Coupon.redeemed_order_id.set(order_id), Coupon.redeemed_at.set(at)],
                condition=Coupon.pk.exists() & Coupon.redeemed_order_id.does_not_exist(),
            )
            return True
        except UpdateError as error:
            if not condition_failed(error):
                raise
            return False

    def record_moment(self, change: OrderMomentChange) -> None:
        moment = getattr(Order, change.moment)
        actions: list[Action] = [
            Order.store_id.set(change.store_id),
            Order.customer_id.set(change.customer_id),
            Order.order_id.set(change.order_id),
            moment.set(moment | change.at),
        ]
        if change.tracking_url:
            actions.append(Order.tracking_url.set(change.tracking_url))
        if change.tracking_number:
            actions.append(Order.tracking_number.set(change.tracking_number))
        _order(change.store_id, change.customer_id, change.order_id).update(actions=actions)

    def uncount(self, store_id: str, customer_id: str, order_id: str) -> bool:
        stored = self.order(store_id, customer_id, order_id)
        if stored is None or not stored.counted:
            return False
        taken_back = _totals(store_id, customer_id, int(stored.total_cents or 0), int(stored.refunded_cents or 0), stored.placed_at, -1)
        return transact([(stored, [Order.counted.set(False)], Order.counted == True), taken_back])  # noqa: E712

    def order(self, store_id: str, customer_id: str, order_id: str) -> Order | None:
        return get_or_none(Order, customer_key(store_id, customer_id), Order.sort_key(order_id), consistent_read=True)

    def record_refund(self, store_id: str, customer_id: str, order_id: str, refunded_cents: int, *, as_read: RefundAsRead) -> bool:
        previous = as_read.refunded_cents
        unchanged = (Order.refunded_cents.does_not_exist() if previous is None else Order.refunded_cents == previous) & (
            Order.counted == True if as_read.counted else (Order.counted.does_not_exist() | (Order.counted == False))  # noqa: E712
        )
        base = [Order.store_id.set(store_id), Order.customer_id.set(customer_id), Order.order_id.set(order_id)]
        # Counted orders carry their refunds in the totals; an order counted later subtracts
        # its refunded amount then (see _totals).
        adjust = [(_profile(store_id, customer_id), [Customer.revenue_cents.add((previous or 0) - refunded_cents)], None)] if as_read.counted else []
        return transact([(_order(store_id, customer_id, order_id), [*base, Order.refunded_cents.set(refunded_cents)], unchanged), *adjust])

    def last_order_at(self, store_id: str, customer_id: str) -> datetime | None:
        profile = get_or_none(Customer, customer_key(store_id, customer_id), Customer.sort_key())
        return profile.last_order_at if profile is not None else None

    def keep_status(self, store_id: str, order_id: str, event_type: str, event_json: str, expires_at: datetime) -> None:
        PendingOrderStatus(*PendingOrderStatus.key(store_id, order_id, event_type), event=event_json, expires_at=expires_at).save()

    def take_kept_statuses(self, store_id: str, order_id: str) -> list[str]:
        pk, _ = OrderOwner.key(store_id, order_id)
        taken = []
        for kept in PendingOrderStatus.query(pk, PendingOrderStatus.sk.startswith("STATUS#"), consistent_read=True):
            try:
                kept.delete(condition=PendingOrderStatus.event.exists())
            except DeleteError as error:
                if condition_failed(error):
                    continue  # another taker had it
                raise
            taken.append(kept.event)
        return taken
