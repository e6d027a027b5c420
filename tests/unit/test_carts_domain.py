"""``encore.carts`` on the in-memory repositories (``storage.fakes_carts.in_memory_shopping_storage``):
whose cart it is, a stale or late update that changes nothing, a cart bought since it changed,
the abandonment journey started, moved and released, and single-product changes that all count
(two at once, a retry after its write). Milliseconds, no table; the wait on moto is
``test_cart_waits.py``, the functions end to end the fault and scenario suites."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from encore.carts import OUTCOME_CART_CHANGED, OUTCOME_EMPTIED, OUTCOME_ORDERED, apply_cart_change, apply_cart_updated, close_carts_for_order, park_cart_journey
from encore.events import CartChange, CartUpdated, CustomerRef, Line, OrderPlaced
from encore.journeys import Journeys
from encore.storage.carts import CartAsRead, CartState
from encore.storage.fakes import InMemoryTable
from encore.storage.fakes_carts import InMemoryCarts, in_memory_shopping_storage
from encore.storage.orders import PlacedOrder
from encore.storage.shopping_state import ShoppingStorage
from encore.stores import StoreSettings
from tests.unit.fake_workflows import StartOnceWorkflows

STORE, CUSTOMER, CART = "shop", "olena", "cart-7"
SETTINGS = StoreSettings.from_dict(STORE, {"postal_address": "1 Main St"})
OFF = StoreSettings.from_dict(STORE, {"postal_address": "1 Main St", "cart_abandonment": {"enabled": False}})
SHIRT = Line(product_id="linen-shirt", title="Linen shirt", quantity=1, price_cents=4500)


@pytest.fixture
def table() -> InMemoryTable:
    return InMemoryTable()


@pytest.fixture
def storage(table) -> ShoppingStorage:
    return in_memory_shopping_storage(table)


@pytest.fixture
def workflows() -> StartOnceWorkflows:
    return StartOnceWorkflows()


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _update(event_id: str, *, lines: list[Line] | None = None, at: datetime | None = None, customer: bool = True, cart_id: str = CART, **fields) -> CartUpdated:
    return CartUpdated(
        event_id=event_id,
        store_id=STORE,
        occurred_at=at or _now(),
        source="api:Cart Updated",
        customer=CustomerRef(customer_id=CUSTOMER, email="olena@example.com") if customer else None,
        cart_id=cart_id,
        lines=[SHIRT] if lines is None else lines,
        **fields,
    )


def _change(event_id: str, action: str, product_id: str = "mug", *, at: datetime | None = None, **fields):
    change = CartChange(action=action, product_id=product_id, title=product_id.title(), price_cents=1000, **fields)
    return _update(event_id, lines=[], at=at, change=change)


def _apply(storage, workflows, event, store: StoreSettings = SETTINGS):
    return apply_cart_updated(event, store=store, journeys=Journeys(workflows, "arn:sm:test-"), storage=storage)


def _apply_change(storage, workflows, event):
    return apply_cart_change(event, store=SETTINGS, journeys=Journeys(workflows, "arn:sm:test-"), storage=storage)


def _park(storage, workflows, token: str, reminder: str | None = "reminder_1") -> str:
    return park_cart_journey(STORE, CUSTOMER, CART, token, now=_now(), workflows=workflows, reminder=reminder, storage=storage)


def _order(order_id: str = "1001") -> OrderPlaced:
    return OrderPlaced(
        event_id=f"order-{order_id}",
        store_id=STORE,
        occurred_at=_now(),
        source="api:Order Completed",
        customer=CustomerRef(customer_id=CUSTOMER),
        order_id=order_id,
        cart_id=CART,
        total_cents=4500,
    )


def _lines(storage) -> list[tuple[str, int]]:
    return [(line.product_id, int(line.quantity)) for line in storage.carts.cart(STORE, CUSTOMER, CART).lines]


def test_a_cart_of_an_unknown_visitor_keeps_no_state_until_a_checkout_names_its_customer(storage, workflows):
    assert _apply(storage, workflows, _update("e-1", customer=False)).customer_id is None
    assert storage.carts.cart(STORE, CUSTOMER, CART) is None

    _apply(storage, workflows, _update("e-2", link_cart_to_customer=True), store=OFF)  # a checkout: names the customer
    outcome = _apply(storage, workflows, _update("e-3", customer=False, lines=[SHIRT, SHIRT]), store=OFF)
    assert outcome.customer_id == CUSTOMER
    assert storage.carts.cart(STORE, CUSTOMER, CART).last_event_id == "e-3"
    assert storage.customers.profiles.profile(STORE, CUSTOMER).email == "olena@example.com"


def test_an_open_cart_starts_its_journey_once(storage, workflows):
    first = _apply(storage, workflows, _update("e-1"))
    assert (first.journey_started, first.journey) == (True, next(iter(workflows.started)))
    again = _apply(storage, workflows, _update("e-1"))  # the same update, retried
    assert (again.journey_started, len(workflows.started)) == (False, 1)
    assert _apply(storage, workflows, _update("e-2"), store=OFF).journey is None  # switched off


def test_an_older_update_and_a_late_one_for_an_ordered_cart_change_nothing(storage, workflows):
    now = _now()
    _apply(storage, workflows, _update("e-2", at=now), store=OFF)

    assert _apply(storage, workflows, _update("e-1", at=now - timedelta(minutes=5), lines=[]), store=OFF).stale
    assert storage.carts.cart(STORE, CUSTOMER, CART).status == "open"

    close_carts_for_order(_order(), workflows=workflows, storage=storage)
    assert _apply(storage, workflows, _update("e-3", at=now + timedelta(minutes=5))).stale
    assert (storage.carts.cart(STORE, CUSTOMER, CART).status, list(workflows.started)) == ("ordered", [])


def test_a_cart_bought_since_it_changed_is_closed_and_starts_no_journey(storage, workflows):
    """An order that names no cart, placed after the cart's update and delivered before it."""
    at = _now()
    storage.orders.place_and_count(PlacedOrder(STORE, CUSTOMER, "1001", at + timedelta(minutes=1), "EUR", 4500))

    outcome = _apply(storage, workflows, _update("e-1", at=at))
    assert (outcome.journey, list(workflows.started)) == (None, [])
    assert storage.carts.cart(STORE, CUSTOMER, CART).status == "ordered"


def test_an_update_moves_the_pending_reminder_an_emptied_cart_ends_the_journey(storage, workflows):
    _apply(storage, workflows, _update("e-1"))
    assert _park(storage, workflows, "token-1", reminder="reminder_2") == "waiting"

    moved = _apply(storage, workflows, _update("e-2", lines=[SHIRT, SHIRT]))
    assert moved.journey and not moved.journey_started
    ((token, outcome),) = workflows.released
    assert (token, outcome["outcome"], outcome["reminder"]) == ("token-1", OUTCOME_CART_CHANGED, "reminder_2")

    _park(storage, workflows, "token-2", reminder="reminder_2")
    _apply(storage, workflows, _update("e-3", lines=[]))
    assert [(token, outcome["outcome"]) for token, outcome in workflows.released[1:]] == [("token-2", OUTCOME_EMPTIED)]


def test_a_journey_parking_after_the_order_is_released_at_once(storage, workflows):
    _apply(storage, workflows, _update("e-1"))
    assert close_carts_for_order(_order(), workflows=workflows, storage=storage) == 0  # nobody parked yet

    assert _park(storage, workflows, "token-1") == OUTCOME_ORDERED
    assert workflows.released == [("token-1", {"outcome": OUTCOME_ORDERED, "order_id": "1001"})]


def test_two_adds_both_count_and_a_removal_takes_its_quantity(storage, workflows):
    _apply_change(storage, workflows, _change("add-1", "add", quantity=2))
    _apply_change(storage, workflows, _change("add-2", "add", "tea"))
    _apply_change(storage, workflows, _change("add-3", "add"))
    _apply_change(storage, workflows, _change("remove-1", "remove", quantity=1))
    assert _lines(storage) == [("mug", 2), ("tea", 1)]

    outcome, applied = _apply_change(storage, workflows, _change("remove-2", "remove", "kettle"))
    assert (applied, _lines(storage)) == (None, [("mug", 2), ("tea", 1)])  # not in the cart: nothing changed


def test_two_changes_at_once_both_count(storage, table, workflows):
    """Another change writes the cart between this change's read and its write: this one is
    refused (the cart is not as read) and applied again on the cart the other wrote."""

    class AnotherChangeLandsFirst(InMemoryCarts):
        landed = False

        def record_update(self, state: CartState, *, as_read: CartAsRead | None = None) -> bool:
            if as_read is not None and not self.landed:
                self.landed = True
                _apply_change(storage, workflows, _change("add-tea", "add", "tea", at=start + timedelta(seconds=1)))
            return super().record_update(state, as_read=as_read)

    start = _now()
    _apply_change(storage, workflows, _change("add-1", "add", at=start))
    racing = ShoppingStorage(storage.orders, AnotherChangeLandsFirst(table), storage.waits, storage.customers)
    outcome, applied = _apply_change(racing, workflows, _change("add-2", "add", at=start + timedelta(seconds=2)))

    assert applied is not None and not outcome.stale
    assert sorted(_lines(storage)) == [("mug", 2), ("tea", 1)]


def test_a_change_retried_after_its_write_is_not_added_twice(storage, workflows):
    add = _change("add-1", "add")
    _apply_change(storage, workflows, add)
    _, applied = _apply_change(storage, workflows, add)  # the function failed after the write

    assert applied is not None  # what follows the write runs again
    assert _lines(storage) == [("mug", 1)]


def test_a_change_naming_no_cart_goes_to_the_latest_open_cart(storage, workflows):
    _apply(storage, workflows, _update("e-1"), store=OFF)

    _apply_change(
        storage,
        workflows,
        _update("add-1", lines=[], cart_id="fresh", change=CartChange(action="add", product_id="mug", title="Mug", price_cents=900, to_open_cart=True)),
    )
    assert _lines(storage) == [("linen-shirt", 1), ("mug", 1)]
    assert storage.carts.cart(STORE, CUSTOMER, "fresh") is None
