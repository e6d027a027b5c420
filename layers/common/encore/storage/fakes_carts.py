"""An in-memory ``Carts`` (``storage.carts``), honouring the same conditions as its DynamoDB
twin: an ordered cart never reopened, an older update never over a newer one, a change written
only on the cart it was decided on, a refused write recognised as its own when its effect is
there, a cart closed by one order; ``tests/contracts/test_carts.py`` runs the same behaviour
tests against both. Also ``in_memory_shopping_storage``: every repository orders and carts use,
in memory over one table."""

from __future__ import annotations

from datetime import datetime

from encore.models import Cart, CartLineAttribute, CartLink, customer_key
from encore.storage.carts import CartAsRead, CartState
from encore.storage.fakes import InMemoryTable
from encore.storage.fakes_customers import in_memory_customer_storage
from encore.storage.fakes_orders import InMemoryOrders
from encore.storage.fakes_waits import FakeWaitStore
from encore.storage.shopping_state import ShoppingStorage


class InMemoryCarts:
    """``storage.carts.Carts`` in memory."""

    def __init__(self, table: InMemoryTable | None = None) -> None:
        self.table = table or InMemoryTable()

    def link(self, store_id: str, cart_token: str, customer_id: str) -> None:
        self.table.add(CartLink(*CartLink.key(store_id, cart_token), customer_id=customer_id))

    def owner(self, store_id: str, cart_token: str) -> str | None:
        link = self.table.get(CartLink, *CartLink.key(store_id, cart_token))
        return link.customer_id if link is not None else None

    def record_update(self, state: CartState, *, as_read: CartAsRead | None = None) -> bool:
        stored = self.cart(state.store_id, state.customer_id, state.cart_id)
        allowed = stored is None or (stored.status != "ordered" and (stored.updated_at is None or stored.updated_at <= state.updated_at))
        if as_read is not None:
            allowed = allowed and (stored.updated_at if stored is not None else None) == as_read.updated_at
        if not allowed:
            return stored is not None and (stored.last_event_id, stored.updated_at, stored.status) == (state.event_id, state.updated_at, state.status)

        def write(cart: Cart) -> None:
            cart.store_id, cart.customer_id, cart.cart_id, cart.status = state.store_id, state.customer_id, state.cart_id, state.status
            cart.total_cents, cart.updated_at, cart.last_event_id = state.total_cents, state.updated_at, state.event_id
            cart.lines = [CartLineAttribute(**line) for line in state.lines]
            cart.currency = state.currency or cart.currency
            cart.recovery_url = state.recovery_url or cart.recovery_url

        self.table.update(Cart(customer_key(state.store_id, state.customer_id), Cart.sort_key(state.cart_id)), write)
        return True

    def cart(self, store_id: str, customer_id: str, cart_id: str) -> Cart | None:
        return self.table.get(Cart, customer_key(store_id, customer_id), Cart.sort_key(cart_id))

    def latest_open_cart(self, store_id: str, customer_id: str) -> Cart | None:
        open_carts = [cart for cart in self._carts(store_id, customer_id) if cart.status == "open"]
        return max(open_carts, key=lambda cart: cart.updated_at, default=None)

    def close_for_order(self, store_id: str, customer_id: str, cart_id: str, order_id: str, at: datetime) -> bool:
        stored = self.cart(store_id, customer_id, cart_id)
        if stored is not None and stored.status not in (None, "open"):
            return stored.status == "ordered" and stored.order_id == order_id

        def close(cart: Cart) -> None:
            cart.status, cart.order_id, cart.store_id, cart.customer_id, cart.cart_id = "ordered", order_id, store_id, customer_id, cart_id
            cart.updated_at = cart.updated_at or at

        self.table.update(Cart(customer_key(store_id, customer_id), Cart.sort_key(cart_id)), close)
        return True

    def carts_for_order(self, store_id: str, customer_id: str, order_id: str) -> list[Cart]:
        return [cart for cart in self._carts(store_id, customer_id) if cart.status == "open" or cart.order_id == order_id]

    def close_open_cart(self, store_id: str, customer_id: str, cart_id: str, *, order_id: str | None = None) -> bool:
        stored = self.cart(store_id, customer_id, cart_id)
        if stored is None or stored.status != "open":
            return order_id is not None and stored is not None and stored.status == "ordered" and stored.order_id == order_id

        def close(cart: Cart) -> None:
            cart.status = "ordered"
            cart.order_id = order_id or cart.order_id

        self.table.update(stored, close)
        return True

    def _carts(self, store_id: str, customer_id: str) -> list[Cart]:
        return self.table.query(Cart, customer_key(store_id, customer_id), "CART#")


def in_memory_shopping_storage(table: InMemoryTable | None = None) -> ShoppingStorage:
    """Orders', carts' and their customers' repositories in memory, over one shared table (as on
    DynamoDB; the waits keep their own, ``FakeWaitStore``); ``table.add`` puts a test's items."""
    table = table or InMemoryTable()
    return ShoppingStorage(InMemoryOrders(table), InMemoryCarts(table), FakeWaitStore(), in_memory_customer_storage(table))
