"""Carts, write side: a cart kept as its latest update left it (never reopened once ordered,
never overwritten by an older update), closed by the order that bought it, and which customer
a platform's cart token belongs to.

Every cart write is conditional on what the domain decided from, and a refused write whose
effect is nonetheless there (the SDK retried a request whose answer was lost and met its own
write) is recognised by reading the cart back, so a retried handler goes on as the first try
would have.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from encore.models import Cart, CartLineAttribute, CartLink, condition_failed, customer_key, get_or_none


@dataclass(frozen=True)
class CartState:
    """A cart as one update states it: ``lines`` as dicts, ``status`` "empty" without lines.
    ``currency`` and ``recovery_url`` None: not carried, left as stored."""

    store_id: str
    customer_id: str
    cart_id: str
    status: Literal["open", "empty"]
    total_cents: int
    lines: tuple[dict, ...]
    updated_at: datetime
    event_id: str
    currency: str | None = None
    recovery_url: str | None = None


@dataclass(frozen=True)
class CartAsRead:
    """The cart a change was decided on: the write happens only if it is still so."""

    updated_at: datetime | None  # None: there was no cart


class Carts(Protocol):
    def link(self, store_id: str, cart_token: str, customer_id: str) -> None:
        """The platform's cart token belongs to this customer (later cart webhooks name none)."""

    def owner(self, store_id: str, cart_token: str) -> str | None:
        """The customer the cart token was linked to, if any."""

    def record_update(self, state: CartState, *, as_read: CartAsRead | None = None) -> bool:
        """Write the cart as ``state`` has it, unless it is ordered or a newer update is stored
        (and, ``as_read``, unless it changed since it was read). True when the cart is now
        exactly as this update left it: written by this call, or by an earlier try of the same
        update whose answer was lost; False when the update is stale."""

    def cart(self, store_id: str, customer_id: str, cart_id: str) -> Cart | None:
        """The cart as stored now (a consistent read)."""

    def latest_open_cart(self, store_id: str, customer_id: str) -> Cart | None:
        """The customer's most recently updated open cart (a consistent read)."""

    def close_for_order(self, store_id: str, customer_id: str, cart_id: str, order_id: str, at: datetime) -> bool:
        """Mark the order's own cart ordered (creating it, if its checkout has not arrived yet)
        unless it is empty or ordered. True when it is closed by this order: now, or before."""

    def carts_for_order(self, store_id: str, customer_id: str, order_id: str) -> list[Cart]:
        """The customer's open carts and those ``order_id`` closed (on an earlier run)."""

    def close_open_cart(self, store_id: str, customer_id: str, cart_id: str, *, order_id: str | None = None) -> bool:
        """Mark an open cart ordered (by ``order_id`` when known). True when this call closed it
        or, with ``order_id``, the same order closed it before; False when it was not open."""


def _key(store_id: str, customer_id: str, cart_id: str) -> tuple[str, str]:
    return customer_key(store_id, customer_id), Cart.sort_key(cart_id)


class DynamoCarts:
    """``Carts`` on the DynamoDB table (``encore.models``)."""

    def link(self, store_id: str, cart_token: str, customer_id: str) -> None:
        CartLink(*CartLink.key(store_id, cart_token), customer_id=customer_id).save()

    def owner(self, store_id: str, cart_token: str) -> str | None:
        link = get_or_none(CartLink, *CartLink.key(store_id, cart_token))
        return link.customer_id if link is not None else None

    def record_update(self, state: CartState, *, as_read: CartAsRead | None = None) -> bool:
        actions: list[Action] = [
            Cart.store_id.set(state.store_id),
            Cart.customer_id.set(state.customer_id),
            Cart.cart_id.set(state.cart_id),
            Cart.status.set(state.status),
            Cart.total_cents.set(state.total_cents),
            Cart.lines.set([CartLineAttribute(**line) for line in state.lines]),
            Cart.updated_at.set(state.updated_at),
            Cart.last_event_id.set(state.event_id),
        ]
        if state.currency:
            actions.append(Cart.currency.set(state.currency))
        if state.recovery_url:
            actions.append(Cart.recovery_url.set(state.recovery_url))
        # An ordered cart stays ordered (late or reordered cart webhooks must not reopen it),
        # and an older update never overwrites a newer one.
        condition = (Cart.status.does_not_exist() | (Cart.status != "ordered")) & (Cart.updated_at.does_not_exist() | (Cart.updated_at <= state.updated_at))
        if as_read is not None:
            condition &= Cart.updated_at.does_not_exist() if as_read.updated_at is None else (Cart.updated_at == as_read.updated_at)
        try:
            Cart(*_key(state.store_id, state.customer_id, state.cart_id)).update(actions=actions, condition=condition)
            return True
        except UpdateError as error:
            if not condition_failed(error):
                raise
        # Our own write may have been applied and answered as failed: then the cart is exactly
        # as this update left it (a replay of an update whose cart was ordered since is not).
        stored = self.cart(state.store_id, state.customer_id, state.cart_id)
        return stored is not None and (stored.last_event_id, stored.updated_at, stored.status) == (state.event_id, state.updated_at, state.status)

    def cart(self, store_id: str, customer_id: str, cart_id: str) -> Cart | None:
        return get_or_none(Cart, *_key(store_id, customer_id, cart_id), consistent_read=True)

    def latest_open_cart(self, store_id: str, customer_id: str) -> Cart | None:
        open_carts = Cart.query(customer_key(store_id, customer_id), Cart.sk.startswith("CART#"), filter_condition=Cart.status == "open", consistent_read=True)
        return max(open_carts, key=lambda cart: cart.updated_at, default=None)

    def close_for_order(self, store_id: str, customer_id: str, cart_id: str, order_id: str, at: datetime) -> bool:
        actions = [
            Cart.status.set("ordered"),
            Cart.order_id.set(order_id),
            Cart.store_id.set(store_id),
            Cart.customer_id.set(customer_id),
            Cart.cart_id.set(cart_id),
            Cart.updated_at.set(Cart.updated_at | at),
        ]
        return self._close(store_id, customer_id, cart_id, actions, Cart.status.does_not_exist() | (Cart.status == "open"), order_id)

    def carts_for_order(self, store_id: str, customer_id: str, order_id: str) -> list[Cart]:
        condition = (Cart.status == "open") | (Cart.order_id == order_id)
        return list(Cart.query(customer_key(store_id, customer_id), Cart.sk.startswith("CART#"), filter_condition=condition))

    def close_open_cart(self, store_id: str, customer_id: str, cart_id: str, *, order_id: str | None = None) -> bool:
        actions = [Cart.status.set("ordered"), *([Cart.order_id.set(order_id)] if order_id else [])]
        return self._close(store_id, customer_id, cart_id, actions, Cart.status == "open", order_id)

    def _close(self, store_id: str, customer_id: str, cart_id: str, actions: list, condition, order_id: str | None) -> bool:
        """A refused close still counts as this order's when the same order closed the cart
        before: a retry of an order whose run failed after closing it releases its journey."""
        try:
            Cart(*_key(store_id, customer_id, cart_id)).update(actions=actions, condition=condition)
            return True
        except UpdateError as error:
            if not condition_failed(error):
                raise
        if order_id is None:
            return False
        current = self.cart(store_id, customer_id, cart_id)
        return current is not None and current.status == "ordered" and current.order_id == order_id
