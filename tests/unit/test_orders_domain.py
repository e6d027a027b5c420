"""``encore.orders`` on the in-memory repositories (``storage.fakes_carts.in_memory_shopping_storage``):
an order counted once whatever repeats, its effects redone until their marker is written, a
status arriving before its order kept and applied once it arrives, a cancel and refunds that
change the totals once, coupons redeemed, waiting journeys released. Milliseconds, no table;
the wiring through the functions and the table is the fault and scenario suites' job."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from encore.events import CustomerRef, Line, OrderPlaced, OrderStatusChanged
from encore.journeys import Journeys, execution_name
from encore.models import PurchasedProduct
from encore.orders import apply_order_placed, apply_order_status, finish_order_effects, take_kept_statuses
from encore.scenarios.cart_abandonment import NAME as CART_ABANDONMENT
from encore.storage.carts import CartState
from encore.storage.fakes import InMemoryTable
from encore.storage.fakes_carts import in_memory_shopping_storage
from encore.storage.fakes_orders import InMemoryOrders
from encore.storage.orders import RefundAsRead
from encore.storage.records import Coupon, Customer, customer_key
from encore.storage.shopping_state import ShoppingStorage
from encore.storage.waits import Wait
from encore.stores import StoreSettings
from tests.unit.fake_workflows import StartOnceWorkflows

STORE, CUSTOMER, ORDER = "shop", "olena", "1001"
SETTINGS = StoreSettings.from_dict(STORE, {"postal_address": "1 Main St"})
PK = customer_key(STORE, CUSTOMER)


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


def _order(order_id: str = ORDER, *, total: int = 9000, cart_id: str | None = "cart-7", coupons: tuple[str, ...] = ()) -> OrderPlaced:
    return OrderPlaced(
        event_id=f"order-{order_id}",
        store_id=STORE,
        occurred_at=_now(),
        source="api:Order Completed",
        customer=CustomerRef(customer_id=CUSTOMER, email="olena@example.com"),
        order_id=order_id,
        cart_id=cart_id,
        total_cents=total,
        lines=[Line(product_id="mug", title="Mug", quantity=2, price_cents=2000), Line(product_id="mug", title="Mug", quantity=1, price_cents=5000)],
        coupon_codes=list(coupons),
    )


def _status(event_type: str, *, order_id: str = ORDER, customer: bool = False, **fields) -> OrderStatusChanged:
    return OrderStatusChanged(
        event_id=f"{event_type}-{order_id}-{fields.get('refunded_cents', '')}",
        store_id=STORE,
        occurred_at=_now(),
        source="shopify:orders/updated",
        type=event_type,
        order_id=order_id,
        customer=CustomerRef(customer_id=CUSTOMER) if customer else None,
        **fields,
    )


def _place(storage, workflows, event: OrderPlaced | None = None):
    return apply_order_placed(event or _order(), store=SETTINGS, journeys=Journeys(workflows, "arn:sm:test-"), storage=storage)


def _totals(table) -> tuple[int, int]:
    profile = table.get(Customer, PK, Customer.sort_key())
    return int(profile.orders_count or 0), int(profile.revenue_cents or 0)


def test_an_order_is_counted_once_and_its_effects_redone_until_their_marker_is_written(storage, table, workflows):
    first = _place(storage, workflows)
    assert (first.counted, first.first_time, first.effects_pending) == (True, True, True)
    assert _totals(table) == (1, 9000)
    assert storage.customers.profiles.profile(STORE, CUSTOMER).email == "olena@example.com"  # the profile kept current
    assert storage.orders.owner(STORE, ORDER) == CUSTOMER
    started = list(workflows.started)
    assert started  # post-purchase and the like started with the order

    # The function failed before writing the marker and runs again: nothing counted twice,
    # the effects redone (each safe to repeat: no journey starts twice).
    retried = _place(storage, workflows)
    assert (retried.counted, retried.first_time, retried.effects_pending) == (False, False, True)
    assert (_totals(table), list(workflows.started)) == ((1, 9000), started)

    finish_order_effects(_order(), storage=storage)
    repeat = _place(storage, workflows)  # the platform resends the webhook
    assert (repeat.counted, repeat.first_time, repeat.effects_pending) == (False, False, False)
    assert _totals(table) == (1, 9000)


def test_what_the_order_bought_is_added_up_per_product(storage, table, workflows):
    _place(storage, workflows)
    bought = table.get(PurchasedProduct, PK, PurchasedProduct.sort_key("mug"))
    assert (int(bought.quantity), int(bought.orders), bought.title) == (3, 1, "Mug")


def test_the_order_closes_its_cart_and_releases_the_waiting_cart_journey(storage, workflows):
    journey = execution_name(CART_ABANDONMENT, STORE, CUSTOMER, "cart-7")  # the cart journey's wait
    storage.waits.park(Wait(STORE, CUSTOMER, journey, frozenset({"cart_order_or_update"}), "token-1", _now(), key="cart-7", reminder="reminder_1"))

    assert _place(storage, workflows).journeys_released == 1
    assert storage.carts.cart(STORE, CUSTOMER, "cart-7").status == "ordered"
    assert [(token, outcome["outcome"]) for token, outcome in workflows.released] == [("token-1", "ordered")]
    assert _place(storage, workflows).journeys_released == 0  # a retried order releases nothing twice


def test_a_status_before_its_order_is_kept_and_applied_once_the_order_arrives(storage, workflows):
    fulfilled = _status("order_fulfilled", tracking_url="https://track/1", tracking_number="1Z")
    outcome = apply_order_status(fulfilled, workflows=workflows, storage=storage)
    assert (outcome.applied, outcome.reason) == (False, "kept until its order arrives")
    apply_order_status(_status("order_paid"), workflows=workflows, storage=storage)

    _place(storage, workflows)
    kept = take_kept_statuses(STORE, ORDER, storage=storage)
    assert [event.type for event in kept] == ["order_paid", "order_fulfilled"]  # lifecycle order
    assert take_kept_statuses(STORE, ORDER, storage=storage) == []  # each handed out once
    for event in kept:
        assert apply_order_status(event, workflows=workflows, storage=storage).applied
    stored = storage.orders.order(STORE, CUSTOMER, ORDER)
    assert (stored.paid_at, stored.fulfilled_at, stored.tracking_number) == (kept[0].occurred_at, kept[1].occurred_at, "1Z")


def test_a_status_kept_while_its_order_arrives_is_applied_at_once(storage, workflows):
    """The order's owner is recorded between the status's first look and its keeping: the
    keeper sees it and applies the status now (the order's webhook did not see it)."""

    class OrderArrivesWhileKept(InMemoryOrders):
        def keep_status(self, *args) -> None:
            super().keep_status(*args)
            self.record_owner(STORE, ORDER, CUSTOMER)

    racing = ShoppingStorage(OrderArrivesWhileKept(storage.orders.table), storage.carts, storage.waits, storage.customers)
    outcome = apply_order_status(_status("order_paid"), workflows=workflows, storage=racing)
    assert (outcome.applied, outcome.customer_id) == (True, CUSTOMER)
    assert storage.orders.order(STORE, CUSTOMER, ORDER).paid_at is not None


def test_a_cancel_takes_the_order_out_of_the_totals_once(storage, table, workflows):
    _place(storage, workflows)
    _place(storage, workflows, _order("1002", total=1000, cart_id=None))

    assert apply_order_status(_status("order_cancelled"), workflows=workflows, storage=storage).applied
    assert apply_order_status(_status("order_cancelled"), workflows=workflows, storage=storage).applied  # resent
    assert _totals(table) == (1, 1000)


def test_an_order_cancelled_before_it_was_placed_is_never_counted(storage, table, workflows):
    apply_order_status(_status("order_cancelled", customer=True), workflows=workflows, storage=storage)

    placed = _place(storage, workflows)
    assert (placed.counted, placed.first_time) == (False, True)
    assert _totals(table) == (0, 0)


def test_refunds_apply_their_increase_once(storage, table, workflows):
    _place(storage, workflows)

    assert apply_order_status(_status("order_refunded", refunded_cents=2000), workflows=workflows, storage=storage).reason == "refund recorded"
    assert apply_order_status(_status("order_refunded", refunded_cents=2000), workflows=workflows, storage=storage).reason == "refund already applied"
    assert apply_order_status(_status("order_refunded", refunded_cents=3000), workflows=workflows, storage=storage).applied
    assert _totals(table) == (1, 6000)
    apply_order_status(_status("order_cancelled"), workflows=workflows, storage=storage)
    assert _totals(table) == (0, 0)  # what it still counted for


def test_a_refund_racing_another_reads_again_and_applies_only_its_increase(storage, table, workflows):
    _place(storage, workflows)

    class AnotherRefundFirst(InMemoryOrders):
        raced = False

        def record_refund(self, store_id, customer_id, order_id, refunded_cents, *, as_read):
            if not self.raced:
                self.raced = True
                assert super().record_refund(store_id, customer_id, order_id, 1000, as_read=RefundAsRead(None, True))
            return super().record_refund(store_id, customer_id, order_id, refunded_cents, as_read=as_read)

    racing = ShoppingStorage(AnotherRefundFirst(table), storage.carts, storage.waits, storage.customers)
    assert apply_order_status(_status("order_refunded", refunded_cents=2500), workflows=workflows, storage=racing).reason == "refund recorded"
    assert (int(storage.orders.order(STORE, CUSTOMER, ORDER).refunded_cents), _totals(table)) == (2500, (1, 6500))


def test_a_refund_on_an_order_that_keeps_changing_gives_up_after_three_reads(storage, table, workflows):
    _place(storage, workflows)

    class AlwaysChanged(InMemoryOrders):
        def record_refund(self, *args, **kwargs) -> bool:
            return False

    racing = ShoppingStorage(AlwaysChanged(table), storage.carts, storage.waits, storage.customers)
    with pytest.raises(RuntimeError, match="kept changing"):
        apply_order_status(_status("order_refunded", refunded_cents=100), workflows=workflows, storage=racing)


def test_encore_coupons_are_redeemed_by_the_order_that_used_them(storage, table, workflows):
    now = _now()
    table.add(
        Coupon(*Coupon.key(STORE, "ENC-ABC"), store_id=STORE, code="ENC-ABC", customer_id=CUSTOMER, journey="j", percent_off=10, issued_at=now, expires_at=now)
    )

    _place(storage, workflows, _order(coupons=("enc-abc", "SHOPWIDE")))
    assert table.get(Coupon, *Coupon.key(STORE, "ENC-ABC")).redeemed_order_id == ORDER
    assert table.get(Coupon, *Coupon.key(STORE, "SHOPWIDE")) is None  # not ours: nothing created


def test_a_status_releases_the_journeys_waiting_for_it(storage, workflows):
    _place(storage, workflows)
    storage.waits.park(Wait(STORE, CUSTOMER, "post-purchase-x", frozenset({"order_fulfilled"}), "token-9", _now(), key=ORDER))
    storage.waits.park(Wait(STORE, CUSTOMER, "post-purchase-y", frozenset({"order_fulfilled"}), "token-8", _now(), key="other-order"))

    outcome = apply_order_status(_status("order_fulfilled", tracking_number="1Z"), workflows=workflows, storage=storage)
    assert outcome.reason == "order_fulfilled; journeys released: 1"
    assert [(token, released["event"], released["tracking_number"]) for token, released in workflows.released] == [("token-9", "order_fulfilled", "1Z")]


def test_the_carts_an_order_closes_are_only_those_from_before_it(storage, workflows):
    carts = storage.carts
    later = _now() + timedelta(hours=1)
    line = {"product_id": "mug", "title": "Mug", "quantity": 1, "price_cents": 100, "url": None, "image_url": None}
    carts.record_update(CartState(STORE, CUSTOMER, "cart-old", "open", 100, (line,), _now() - timedelta(hours=1), "e-1"))
    carts.record_update(CartState(STORE, CUSTOMER, "cart-new", "open", 100, (line,), later, "e-2"))

    _place(storage, workflows)  # names cart-7: another open cart from before it is closed, a newer one is a new trip
    assert (carts.cart(STORE, CUSTOMER, "cart-old").status, carts.cart(STORE, CUSTOMER, "cart-new").status) == ("ordered", "open")
