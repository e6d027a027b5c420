"""The wait store's contract, run against the in-memory fake and against DynamoDB (moto): a
domain test on the fake can trust what it parks, takes and moves to behave as the table does.

Exactly once is the point: of everyone who takes a parked token (the event's function, the
journey finding it already happened, a cart update moving the timer) exactly one gets it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from encore.models import Cart, customer_key
from encore.storage.fakes_waits import FakeWaitStore
from encore.storage.waits import DynamoWaitStore, Wait, WaitStore
from tests.unit.delivery_moto import bare_table  # noqa: F401  (the `table` fixture)

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
STORE, CUSTOMER = "shop", "c-1"
JOURNEY = "post-purchase-shop-c-1-1001"
CART_JOURNEY = "cart-abandonment-shop-c-1-cart-7"


def _event_wait(token: str = "token-1", **fields) -> Wait:
    return Wait(STORE, CUSTOMER, JOURNEY, frozenset({"order_fulfilled", "order_delivered"}), token, NOW, key="1001", **fields)


def _cart_wait(token: str, reminder: str | None = "reminder_1") -> Wait:
    return Wait(STORE, CUSTOMER, CART_JOURNEY, frozenset({"cart_order_or_update"}), token, NOW, key="cart-7", reminder=reminder)


class _LegacyCarts:
    """Puts a token where an earlier release parked it: on the cart item."""

    def __init__(self, store: WaitStore) -> None:
        self.store = store

    def put(self, cart_id: str, token: str, *, reminder: str | None, status: str = "open", timer_moves: int | None = None) -> None:
        if isinstance(self.store, FakeWaitStore):
            self.store.put_legacy_cart_token(STORE, CUSTOMER, cart_id, token, reminder=reminder, status=status, timer_moves=timer_moves or 0)
            return
        Cart(
            customer_key(STORE, CUSTOMER),
            Cart.sort_key(cart_id),
            store_id=STORE,
            customer_id=CUSTOMER,
            cart_id=cart_id,
            status=status,
            updated_at=NOW,
            journey_token=token,
            journey_reminder=reminder,
            timer_moves=timer_moves,
        ).save()


@pytest.fixture(params=["fake", "moto"])
def store(request) -> WaitStore:
    if request.param == "fake":
        return FakeWaitStore()
    request.getfixturevalue("table")
    return DynamoWaitStore()


@pytest.fixture
def legacy(store) -> _LegacyCarts:
    return _LegacyCarts(store)


def test_a_parked_wait_reads_back_as_parked(store):
    store.park(_event_wait(products=frozenset({"linen-shirt"})))

    assert store.get(STORE, CUSTOMER, JOURNEY) == _event_wait(products=frozenset({"linen-shirt"}))
    assert store.of_customer(STORE, CUSTOMER) == [_event_wait(products=frozenset({"linen-shirt"}))]
    assert store.of_customer(STORE, "someone-else") == []


def test_the_first_take_gets_the_wait_and_a_second_take_gets_nothing(store):
    store.park(_event_wait())

    assert store.take(STORE, CUSTOMER, JOURNEY) == _event_wait()
    assert store.take(STORE, CUSTOMER, JOURNEY) is None
    assert store.get(STORE, CUSTOMER, JOURNEY) is None
    assert store.of_customer(STORE, CUSTOMER) == []


def test_a_take_naming_a_token_gets_only_that_token(store):
    store.park(_event_wait("token-1"))
    store.park(_event_wait("token-2"))  # the journey parked again (a later wait)

    assert store.take(STORE, CUSTOMER, JOURNEY, task_token="token-1") is None
    assert store.take(STORE, CUSTOMER, JOURNEY, task_token="token-2") == _event_wait("token-2")
    assert store.take(STORE, CUSTOMER, JOURNEY, task_token="token-2") is None


def test_a_later_park_replaces_what_the_earlier_wait_named(store):
    store.park(_cart_wait("token-1", reminder="reminder_1"))
    store.park(_cart_wait("token-2", reminder=None))  # the last wait leads to no reminder

    assert store.get(STORE, CUSTOMER, CART_JOURNEY) == _cart_wait("token-2", reminder=None)


def test_a_timer_move_takes_the_token_once_and_counts_across_parks_up_to_the_cap(store):
    store.park(_cart_wait("token-1"))

    assert store.take_to_move(STORE, CUSTOMER, CART_JOURNEY, max_moves=2, taker="update-1") == _cart_wait("token-1")
    assert store.take_to_move(STORE, CUSTOMER, CART_JOURNEY, max_moves=2, taker="update-2") is None  # taken: nothing parked
    assert store.get(STORE, CUSTOMER, CART_JOURNEY) is None  # between two waits, it is not a wait
    assert store.take(STORE, CUSTOMER, CART_JOURNEY) is None
    assert store.of_customer(STORE, CUSTOMER) == []

    store.park(_cart_wait("token-2"))  # the journey loops back into its wait
    assert store.get(STORE, CUSTOMER, CART_JOURNEY) == replace(_cart_wait("token-2"), timer_moves=1)
    assert store.take_to_move(STORE, CUSTOMER, CART_JOURNEY, max_moves=2, taker="update-3") is not None
    store.park(_cart_wait("token-3"))
    assert store.take_to_move(STORE, CUSTOMER, CART_JOURNEY, max_moves=2, taker="update-4") is None  # the cap: the token stays parked
    assert store.take(STORE, CUSTOMER, CART_JOURNEY, task_token="token-3") is not None


def test_a_timer_move_asked_again_by_its_taker_gets_the_same_wait_and_nobody_else_does(store):
    """DynamoDB applied the move and its answer was lost: the SDK's retry of the update
    meets its own effect, and the update that moved the timer must still release the journey."""
    store.park(_cart_wait("token-1"))
    store.take_to_move(STORE, CUSTOMER, CART_JOURNEY, max_moves=50, taker="update-1")

    assert store.take_to_move(STORE, CUSTOMER, CART_JOURNEY, max_moves=50, taker="update-1") == _cart_wait("token-1")
    assert store.take_to_move(STORE, CUSTOMER, CART_JOURNEY, max_moves=50, taker="update-2") is None
    store.park(_cart_wait("token-2"))
    assert store.take_to_move(STORE, CUSTOMER, CART_JOURNEY, max_moves=50, taker="update-2") == replace(_cart_wait("token-2"), timer_moves=1)


def test_a_timer_move_needs_a_wait_that_leads_to_a_reminder(store):
    store.park(_cart_wait("token-1", reminder=None))

    assert store.take_to_move(STORE, CUSTOMER, CART_JOURNEY, max_moves=50, taker="update-1") is None
    assert store.take(STORE, CUSTOMER, CART_JOURNEY) == _cart_wait("token-1", reminder=None)


def test_a_legacy_token_parked_on_the_cart_is_taken_once(store, legacy):
    legacy.put("cart-7", "old-token", reminder="reminder_2")

    taken = store.take_legacy_cart_token(STORE, CUSTOMER, "cart-7")
    assert (taken.task_token, taken.reminder) == ("old-token", "reminder_2")
    assert store.take_legacy_cart_token(STORE, CUSTOMER, "cart-7") is None
    assert store.take_legacy_cart_token(STORE, CUSTOMER, "no-such-cart") is None


def test_a_legacy_token_moves_its_timer_only_on_an_open_cart_with_a_reminder_and_up_to_the_cap(store, legacy):
    legacy.put("cart-open", "token-a", reminder="reminder_1")
    legacy.put("cart-last-wait", "token-b", reminder=None)
    legacy.put("cart-ordered", "token-c", reminder="reminder_1", status="ordered")

    moved = store.take_legacy_cart_token(STORE, CUSTOMER, "cart-open", max_moves=1)
    assert (moved.task_token, moved.reminder) == ("token-a", "reminder_1")
    assert store.take_legacy_cart_token(STORE, CUSTOMER, "cart-last-wait", max_moves=1) is None
    assert store.take_legacy_cart_token(STORE, CUSTOMER, "cart-ordered", max_moves=1) is None

    assert store.take_legacy_cart_token(STORE, CUSTOMER, "cart-open", max_moves=1) is None  # taken: nothing parked


def test_a_legacy_token_whose_timer_moved_as_often_as_allowed_stays_for_the_order(store, legacy):
    legacy.put("cart-7", "old-token", reminder="reminder_2", timer_moves=3)

    assert store.take_legacy_cart_token(STORE, CUSTOMER, "cart-7", max_moves=3) is None
    assert store.take_legacy_cart_token(STORE, CUSTOMER, "cart-7", max_moves=4).task_token == "old-token"
