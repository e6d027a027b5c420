"""``Carts`` (``encore.storage.carts``) on the in-memory fake and on moto: a cart kept as its
latest update left it (never reopened once ordered, never overwritten by an older update), a
change written only on the cart it was decided on (a second writer refused, a retry whose first
answer was lost recognised as written), a cart closed by one order (a retry of that order still
closing it), and whose a platform's cart token is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from encore.storage.carts import CartAsRead, CartState
from tests.unit.delivery_moto import bare_table  # noqa: F401  (fixture)
from tests.unit.shopping_moto import shopping_repositories  # noqa: F401  (fixture)

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
EARLIER, LATER = NOW - timedelta(hours=1), NOW + timedelta(hours=1)
MUG = {"product_id": "mug", "title": "Mug", "quantity": 1, "price_cents": 1250, "url": None, "image_url": None}


@pytest.fixture
def carts(shopping_repositories):
    return shopping_repositories.storage.carts


def _state(event_id: str = "e-1", *, at: datetime = NOW, cart_id: str = "cart-7", lines: tuple = (MUG,), **fields) -> CartState:
    status = "open" if lines else "empty"
    return CartState("shop", "c-1", cart_id, status, 1250 * len(lines), lines, at, event_id, **fields)


def _status(carts, cart_id: str = "cart-7") -> tuple:
    cart = carts.cart("shop", "c-1", cart_id)
    return (cart.status, cart.order_id, cart.updated_at, cart.last_event_id) if cart is not None else None


def test_a_cart_is_written_as_its_update_states_it(carts):
    assert carts.record_update(_state(currency="EUR", recovery_url="https://shop/cart/7"))
    assert carts.record_update(_state("e-2", at=LATER))  # carries no currency nor recovery link: kept

    cart = carts.cart("shop", "c-1", "cart-7")
    assert (cart.store_id, cart.customer_id, cart.cart_id, cart.status, int(cart.total_cents)) == ("shop", "c-1", "cart-7", "open", 1250)
    assert ([line.product_id for line in cart.lines], cart.currency, cart.recovery_url) == (["mug"], "EUR", "https://shop/cart/7")
    assert (cart.updated_at, cart.last_event_id) == (LATER, "e-2")
    assert carts.cart("shop", "c-1", "cart-8") is None


def test_an_older_update_never_overwrites_a_newer_one(carts):
    carts.record_update(_state("e-2", at=LATER))

    assert not carts.record_update(_state("e-1", at=NOW, lines=()))
    assert _status(carts) == ("open", None, LATER, "e-2")
    assert carts.record_update(_state("e-3", at=LATER, lines=()))  # the same moment is not older
    assert _status(carts) == ("empty", None, LATER, "e-3")


def test_an_ordered_cart_is_never_reopened(carts):
    carts.record_update(_state("e-1"))
    assert carts.close_for_order("shop", "c-1", "cart-7", "o-1", LATER)

    assert not carts.record_update(_state("e-2", at=LATER + timedelta(hours=1)))
    assert _status(carts) == ("ordered", "o-1", NOW, "e-1")


def test_a_change_is_written_only_on_the_cart_it_was_decided_on(carts):
    """Two changes read the same cart: the first writes, the second is refused (it retries on
    the cart the first wrote); the first's retry after a lost answer finds its own write."""
    assert carts.record_update(_state("e-1", at=EARLIER), as_read=CartAsRead(updated_at=None))  # no cart was read
    read = CartAsRead(updated_at=EARLIER)

    assert carts.record_update(_state("e-2", at=NOW), as_read=read)
    assert not carts.record_update(_state("e-3", at=LATER), as_read=read)  # the second writer
    assert carts.record_update(_state("e-2", at=NOW), as_read=read)  # the first's retry: its own write
    assert _status(carts) == ("open", None, NOW, "e-2")
    assert not carts.record_update(_state("e-4", at=LATER), as_read=CartAsRead(updated_at=None))  # a cart exists now


def test_a_replayed_update_whose_cart_was_ordered_since_is_stale(carts):
    carts.record_update(_state("e-1"))
    carts.close_for_order("shop", "c-1", "cart-7", "o-1", NOW)

    assert not carts.record_update(_state("e-1"))


def test_the_orders_own_cart_is_closed_by_it_even_before_its_checkout_arrived(carts):
    assert carts.close_for_order("shop", "c-1", "cart-7", "o-1", NOW)
    assert carts.close_for_order("shop", "c-1", "cart-7", "o-1", LATER)  # the order retried: still its close
    assert not carts.close_for_order("shop", "c-1", "cart-7", "o-2", LATER)  # another order

    cart = carts.cart("shop", "c-1", "cart-7")
    assert (cart.store_id, cart.customer_id, cart.cart_id, cart.status, cart.order_id, cart.updated_at) == ("shop", "c-1", "cart-7", "ordered", "o-1", NOW)


def test_closing_the_orders_cart_keeps_when_it_was_last_updated_and_leaves_an_emptied_cart(carts):
    carts.record_update(_state("e-1", at=EARLIER))
    carts.record_update(_state("e-2", cart_id="cart-8", lines=()))

    assert carts.close_for_order("shop", "c-1", "cart-7", "o-1", NOW)
    assert _status(carts) == ("ordered", "o-1", EARLIER, "e-1")
    assert not carts.close_for_order("shop", "c-1", "cart-8", "o-1", NOW)
    assert _status(carts, "cart-8") == ("empty", None, NOW, "e-2")


def test_an_open_cart_is_closed_once(carts):
    carts.record_update(_state("e-1"))
    carts.record_update(_state("e-2", cart_id="cart-8"))

    assert carts.close_open_cart("shop", "c-1", "cart-7", order_id="o-1")
    assert carts.close_open_cart("shop", "c-1", "cart-7", order_id="o-1")  # the same order, retried
    assert not carts.close_open_cart("shop", "c-1", "cart-7", order_id="o-2")
    assert not carts.close_open_cart("shop", "c-1", "cart-7")
    assert not carts.close_open_cart("shop", "c-1", "no-such-cart", order_id="o-1")
    assert _status(carts) == ("ordered", "o-1", NOW, "e-1")

    assert carts.close_open_cart("shop", "c-1", "cart-8")  # closed for an order that named no cart
    assert not carts.close_open_cart("shop", "c-1", "cart-8")
    assert _status(carts, "cart-8") == ("ordered", None, NOW, "e-2")


def test_the_carts_an_order_may_close_and_the_latest_open_cart(carts):
    carts.record_update(_state("e-1", cart_id="cart-1", at=EARLIER))
    carts.record_update(_state("e-2", cart_id="cart-2", at=LATER))
    carts.record_update(_state("e-3", cart_id="cart-3", at=NOW))
    carts.record_update(_state("e-4", cart_id="cart-4", lines=()))
    carts.close_open_cart("shop", "c-1", "cart-3", order_id="o-1")
    carts.record_update(_state("e-5", cart_id="cart-5"))
    carts.close_open_cart("shop", "c-1", "cart-5", order_id="o-0")

    assert sorted(cart.cart_id for cart in carts.carts_for_order("shop", "c-1", "o-1")) == ["cart-1", "cart-2", "cart-3"]
    assert carts.latest_open_cart("shop", "c-1").cart_id == "cart-2"
    assert carts.latest_open_cart("shop", "c-2") is None


def test_whose_a_cart_token_is(carts):
    assert carts.owner("shop", "token-1") is None
    carts.link("shop", "token-1", "c-1")
    assert carts.owner("shop", "token-1") == "c-1"
    carts.link("shop", "token-1", "c-2")  # a later link names the customer now
    assert carts.owner("shop", "token-1") == "c-2"
