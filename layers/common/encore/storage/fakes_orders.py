"""An in-memory ``Orders`` (``storage.orders``), honouring the same conditions as its DynamoDB
twin: an order placed and counted once, its placing transaction all or nothing, a moment set
once, a cancel taking it out of the totals once, a refund written only on the state it was
decided on, a coupon redeemed by its first order, a kept status taken once;
``tests/contracts/test_orders.py`` runs the same behaviour tests against both. Items live in
``storage.fakes.InMemoryTable``, so a test can share one table with the other fakes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from encore.models import (
    CartLineAttribute,
    Coupon,
    Customer,
    Order,
    OrderOwner,
    PendingOrderStatus,
    PurchasedProduct,
    customer_key,
)
from encore.storage.fakes import InMemoryTable, _setting
from encore.storage.orders import OrderMomentChange, PlacedOrder, RefundAsRead

# One write of a transaction: the item it changes and how (applied only if every write's
# condition held).
_Write = tuple[Order | Customer | PurchasedProduct, Callable]


class InMemoryOrders:
    """``storage.orders.Orders`` in memory."""

    def __init__(self, table: InMemoryTable | None = None) -> None:
        self.table = table or InMemoryTable()

    def record_owner(self, store_id: str, order_id: str, customer_id: str) -> None:
        self.table.add(OrderOwner(*OrderOwner.key(store_id, order_id), customer_id=customer_id))

    def owner(self, store_id: str, order_id: str, *, consistent: bool = False) -> str | None:
        found = self.table.get(OrderOwner, *OrderOwner.key(store_id, order_id))
        return found.customer_id if found is not None else None

    def place_and_count(self, order: PlacedOrder) -> bool:
        stored = self.order(order.store_id, order.customer_id, order.order_id)
        if stored is not None and (stored.placed_at is not None or stored.cancelled_at is not None):
            return False

        def place_counted(item: Order) -> None:
            _place(item, order)
            item.counted = True

        self._apply([(self._order_key(order), place_counted), self._count_in_totals(order), *self._purchases(order)])
        return True

    def place_uncounted(self, order: PlacedOrder) -> bool:
        stored = self.order(order.store_id, order.customer_id, order.order_id)
        if stored is not None and stored.placed_at is not None:
            return False
        self._apply([(self._order_key(order), lambda item: _place(item, order)), *self._purchases(order)])
        return True

    def effects_done(self, store_id: str, customer_id: str, order_id: str) -> bool:
        stored = self.order(store_id, customer_id, order_id)
        return bool(stored is not None and stored.effects_done)

    def mark_effects_done(self, store_id: str, customer_id: str, order_id: str) -> None:
        self.table.update(_order(store_id, customer_id, order_id), _setting(effects_done=True))

    def redeem_coupon(self, store_id: str, code: str, order_id: str, at: datetime) -> bool:
        coupon = self.table.get(Coupon, *Coupon.key(store_id, code))
        if coupon is None or coupon.redeemed_order_id is not None:
            return False
        self.table.update(coupon, _setting(redeemed_order_id=order_id, redeemed_at=at))
        return True

    def record_moment(self, change: OrderMomentChange) -> None:
        def record(item: Order) -> None:
            item.store_id, item.customer_id, item.order_id = change.store_id, change.customer_id, change.order_id
            if getattr(item, change.moment) is None:
                setattr(item, change.moment, change.at)
            item.tracking_url = change.tracking_url or item.tracking_url
            item.tracking_number = change.tracking_number or item.tracking_number

        self.table.update(_order(change.store_id, change.customer_id, change.order_id), record)

    def uncount(self, store_id: str, customer_id: str, order_id: str) -> bool:
        stored = self.order(store_id, customer_id, order_id)
        if stored is None or not stored.counted:
            return False
        total, refunded = int(stored.total_cents or 0), int(stored.refunded_cents or 0)

        def take_back(profile: Customer) -> None:
            profile.orders_count = int(profile.orders_count or 0) - 1
            profile.revenue_cents = int(profile.revenue_cents or 0) - (total - refunded)

        self._apply([(stored, _setting(counted=False)), (_profile(store_id, customer_id), take_back)])
        return True

    def order(self, store_id: str, customer_id: str, order_id: str) -> Order | None:
        return self.table.get(Order, customer_key(store_id, customer_id), Order.sort_key(order_id))

    def record_refund(self, store_id: str, customer_id: str, order_id: str, refunded_cents: int, *, as_read: RefundAsRead) -> bool:
        stored = self.order(store_id, customer_id, order_id)
        previous = stored.refunded_cents if stored is not None else None
        counted = bool(stored is not None and stored.counted)
        if (None if previous is None else int(previous)) != as_read.refunded_cents or counted != as_read.counted:
            return False

        def refund(item: Order) -> None:
            item.store_id, item.customer_id, item.order_id, item.refunded_cents = store_id, customer_id, order_id, refunded_cents

        def adjust(profile: Customer) -> None:
            profile.revenue_cents = int(profile.revenue_cents or 0) + (as_read.refunded_cents or 0) - refunded_cents

        writes: list[_Write] = [(_order(store_id, customer_id, order_id), refund)]
        if as_read.counted:
            writes.append((_profile(store_id, customer_id), adjust))
        self._apply(writes)
        return True

    def last_order_at(self, store_id: str, customer_id: str) -> datetime | None:
        profile = self.table.get(Customer, customer_key(store_id, customer_id), Customer.sort_key())
        return profile.last_order_at if profile is not None else None

    def keep_status(self, store_id: str, order_id: str, event_type: str, event_json: str, expires_at: datetime) -> None:
        self.table.add(PendingOrderStatus(*PendingOrderStatus.key(store_id, order_id, event_type), event=event_json, expires_at=expires_at))

    def take_kept_statuses(self, store_id: str, order_id: str) -> list[str]:
        pk, _ = OrderOwner.key(store_id, order_id)
        taken = []
        for kept in self.table.query(PendingOrderStatus, pk, "STATUS#"):
            self.table.delete(kept.pk, kept.sk)
            taken.append(kept.event)
        return taken

    # ------------------------------------------------------------------ transactions
    def _apply(self, writes: list[_Write]) -> None:
        """Every write of a transaction whose conditions held (the caller checked them first:
        nothing is written when one fails, as with TransactWriteItems)."""
        for item, change in writes:
            self.table.update(item, change)

    @staticmethod
    def _order_key(order: PlacedOrder) -> Order:
        return _order(order.store_id, order.customer_id, order.order_id)

    @staticmethod
    def _count_in_totals(order: PlacedOrder) -> _Write:
        def add(profile: Customer) -> None:
            profile.orders_count = int(profile.orders_count or 0) + 1
            profile.revenue_cents = int(profile.revenue_cents or 0) + order.total_cents
            profile.first_order_at = profile.first_order_at or order.placed_at
            profile.last_order_at = order.placed_at
            profile.last_order_key = f"STORE#{order.store_id}#LASTORDER#{order.placed_at:%Y-%m-%d}"

        return _profile(order.store_id, order.customer_id), add

    @staticmethod
    def _purchases(order: PlacedOrder) -> list[_Write]:
        pk = customer_key(order.store_id, order.customer_id)
        writes: list[_Write] = []
        for purchase in order.purchases:

            def add(bought: PurchasedProduct, purchase=purchase) -> None:
                bought.product_id, bought.title = purchase.product_id, purchase.title
                bought.quantity = int(bought.quantity or 0) + purchase.quantity
                bought.orders = int(bought.orders or 0) + 1
                bought.first_purchased_at = bought.first_purchased_at or order.placed_at
                bought.last_purchased_at = order.placed_at

            writes.append((PurchasedProduct(pk, PurchasedProduct.sort_key(purchase.product_id)), add))
        return writes


def _order(store_id: str, customer_id: str, order_id: str) -> Order:
    return Order(customer_key(store_id, customer_id), Order.sort_key(order_id))


def _profile(store_id: str, customer_id: str) -> Customer:
    return Customer(customer_key(store_id, customer_id), Customer.sort_key())


def _place(item: Order, order: PlacedOrder) -> None:
    item.store_id, item.customer_id, item.order_id = order.store_id, order.customer_id, order.order_id
    item.order_name = order.order_name or item.order_name
    item.cart_id = order.cart_id  # None removes it, as on the table
    item.currency, item.total_cents, item.placed_at = order.currency, order.total_cents, order.placed_at
    item.coupon_codes = list(order.coupon_codes)
    item.lines = [CartLineAttribute(**line) for line in order.lines]
    item.payment_url = order.payment_url or item.payment_url
