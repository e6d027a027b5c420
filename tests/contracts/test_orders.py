"""``Orders`` (``encore.storage.orders``) on the in-memory fake and on moto: an order placed and
counted once (its placing transaction all or nothing, a repeat or a retry whose first answer
was lost counting nothing more), a cancelled order placed without counting, a moment set once,
a cancel taking a counted order out of the totals once, a refund written only on the state it
was decided on, a coupon redeemed by its first order, kept statuses each taken once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from encore.models import PendingOrderStatus, PurchasedProduct
from encore.storage.orders import OrderMomentChange, PlacedOrder, Purchase, RefundAsRead
from encore.storage.records import Coupon, Customer, customer_key
from tests.unit.delivery_moto import bare_table  # noqa: F401  (fixture)
from tests.unit.shopping_moto import shopping_repositories  # noqa: F401  (fixture)

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=2)
PK = customer_key("shop", "c-1")
LINE = {"product_id": "mug", "title": "Mug", "quantity": 2, "price_cents": 1250, "url": None, "image_url": None}


@pytest.fixture
def orders(shopping_repositories):
    return shopping_repositories.storage.orders


@pytest.fixture
def read(shopping_repositories):
    return shopping_repositories.read


def _placed(order_id: str = "o-1", *, total: int = 2500, at: datetime = NOW, **fields) -> PlacedOrder:
    return PlacedOrder(
        store_id="shop",
        customer_id="c-1",
        order_id=order_id,
        placed_at=at,
        currency="EUR",
        total_cents=total,
        order_name="#1001",
        cart_id="cart-7",
        coupon_codes=("WELCOME10",),
        lines=(LINE,),
        purchases=(Purchase("mug", "Mug", 2),),
        **fields,
    )


def _totals(read) -> tuple:
    profile = read(Customer, PK, Customer.sort_key())
    if profile is None:
        return None
    return int(profile.orders_count or 0), int(profile.revenue_cents or 0), profile.first_order_at, profile.last_order_at


def _bought(read, product_id: str = "mug") -> tuple | None:
    bought = read(PurchasedProduct, PK, PurchasedProduct.sort_key(product_id))
    if bought is None:
        return None
    return int(bought.quantity), int(bought.orders), bought.first_purchased_at, bought.last_purchased_at


def test_an_order_is_placed_counted_and_its_purchases_recorded_together(orders, read):
    assert orders.place_and_count(_placed())

    stored = orders.order("shop", "c-1", "o-1")
    assert (stored.order_name, stored.cart_id, stored.currency, int(stored.total_cents), stored.placed_at) == ("#1001", "cart-7", "EUR", 2500, NOW)
    assert (stored.counted, stored.coupon_codes, [line.product_id for line in stored.lines]) == (True, ["WELCOME10"], ["mug"])
    assert _totals(read) == (1, 2500, NOW, NOW)
    assert read(Customer, PK, Customer.sort_key()).last_order_key == "STORE#shop#LASTORDER#2026-11-10"
    assert orders.last_order_at("shop", "c-1") == NOW
    assert _bought(read) == (2, 1, NOW, NOW)


def test_a_repeated_placement_or_a_retry_whose_answer_was_lost_counts_nothing_more(orders, read):
    """The SDK's retry of a placing transaction that was applied meets its own effect: it is
    refused, and the totals and purchases hold the order once."""
    assert orders.place_and_count(_placed())
    assert not orders.place_and_count(_placed())
    assert not orders.place_uncounted(_placed())

    assert _totals(read) == (1, 2500, NOW, NOW)
    assert _bought(read) == (2, 1, NOW, NOW)


def test_a_second_order_adds_to_the_totals_and_purchases_and_keeps_the_first_moments(orders, read):
    orders.place_and_count(_placed("o-1"))
    orders.place_and_count(_placed("o-2", total=1000, at=LATER))

    assert _totals(read) == (2, 3500, NOW, LATER)
    assert _bought(read) == (4, 2, NOW, LATER)


def test_an_order_cancelled_before_it_was_placed_is_placed_without_counting(orders, read):
    orders.record_moment(OrderMomentChange("shop", "c-1", "o-1", "cancelled_at", NOW))

    assert not orders.place_and_count(_placed())  # refused: nothing of it written
    assert _totals(read) is None and _bought(read) is None
    assert orders.place_uncounted(_placed())
    assert not orders.place_uncounted(_placed())  # placed once

    stored = orders.order("shop", "c-1", "o-1")
    assert (stored.placed_at, stored.cancelled_at, bool(stored.counted)) == (NOW, NOW, False)
    assert _totals(read) is None  # never in the totals
    assert _bought(read) == (2, 1, NOW, NOW)  # what they bought is still known


def test_a_moment_is_set_once_and_creates_the_order_item_when_the_order_is_not_seen_yet(orders):
    orders.record_moment(OrderMomentChange("shop", "c-1", "o-1", "paid_at", NOW))
    orders.record_moment(OrderMomentChange("shop", "c-1", "o-1", "paid_at", LATER))  # told again, later
    orders.record_moment(OrderMomentChange("shop", "c-1", "o-1", "fulfilled_at", LATER, tracking_url="https://track/1", tracking_number="1Z"))
    orders.record_moment(OrderMomentChange("shop", "c-1", "o-1", "delivered_at", LATER))  # carries no tracking: kept

    stored = orders.order("shop", "c-1", "o-1")
    assert (stored.store_id, stored.customer_id, stored.order_id, stored.placed_at) == ("shop", "c-1", "o-1", None)
    assert (stored.paid_at, stored.fulfilled_at, stored.delivered_at) == (NOW, LATER, LATER)
    assert (stored.tracking_url, stored.tracking_number) == ("https://track/1", "1Z")


def test_a_cancel_takes_a_counted_order_out_of_the_totals_once(orders, read):
    orders.place_and_count(_placed("o-1"))
    orders.place_and_count(_placed("o-2", total=1000))

    assert orders.uncount("shop", "c-1", "o-1")
    assert not orders.uncount("shop", "c-1", "o-1")  # a second taker (or a repeated cancel)
    assert not orders.uncount("shop", "c-1", "no-such-order")

    assert bool(orders.order("shop", "c-1", "o-1").counted) is False
    assert _totals(read)[:2] == (1, 1000)


def test_a_refund_is_written_on_the_state_it_was_decided_on_and_only_then(orders, read):
    orders.place_and_count(_placed())

    assert orders.record_refund("shop", "c-1", "o-1", 500, as_read=RefundAsRead(refunded_cents=None, counted=True))
    assert _totals(read)[:2] == (1, 2000)
    # Another event's refund read the same state: refused, nothing changed.
    assert not orders.record_refund("shop", "c-1", "o-1", 700, as_read=RefundAsRead(refunded_cents=None, counted=True))
    assert not orders.record_refund("shop", "c-1", "o-1", 700, as_read=RefundAsRead(refunded_cents=500, counted=False))
    assert (int(orders.order("shop", "c-1", "o-1").refunded_cents), _totals(read)[:2]) == (500, (1, 2000))
    # Read again: only the increase comes off the revenue.
    assert orders.record_refund("shop", "c-1", "o-1", 800, as_read=RefundAsRead(refunded_cents=500, counted=True))
    assert (int(orders.order("shop", "c-1", "o-1").refunded_cents), _totals(read)[:2]) == (800, (1, 1700))
    # A cancel now takes back what the order still counts for.
    assert orders.uncount("shop", "c-1", "o-1")
    assert _totals(read)[:2] == (0, 0)


def test_a_refund_of_an_order_not_counted_leaves_the_totals_alone(orders, read):
    assert orders.record_refund("shop", "c-1", "o-9", 300, as_read=RefundAsRead(refunded_cents=None, counted=False))

    stored = orders.order("shop", "c-1", "o-9")
    assert (stored.store_id, stored.order_id, int(stored.refunded_cents)) == ("shop", "o-9", 300)
    assert _totals(read) is None


def test_the_effects_marker(orders):
    orders.place_and_count(_placed())
    assert not orders.effects_done("shop", "c-1", "o-1")
    assert not orders.effects_done("shop", "c-1", "unknown")
    orders.mark_effects_done("shop", "c-1", "o-1")
    assert orders.effects_done("shop", "c-1", "o-1")


def test_a_coupon_is_redeemed_by_its_first_order_and_an_unknown_code_creates_nothing(orders, read, shopping_repositories):
    shopping_repositories.add(
        Coupon(*Coupon.key("shop", "ENC-1"), store_id="shop", code="ENC-1", customer_id="c-1", journey="j", percent_off=10, issued_at=NOW, expires_at=LATER)
    )

    assert orders.redeem_coupon("shop", "ENC-1", "o-1", NOW)
    assert not orders.redeem_coupon("shop", "ENC-1", "o-2", LATER)  # a second taker
    assert not orders.redeem_coupon("shop", "ENC-1", "o-1", LATER)  # a repeat keeps the first moment
    assert not orders.redeem_coupon("shop", "NOT-OURS", "o-1", NOW)

    coupon = read(Coupon, *Coupon.key("shop", "ENC-1"))
    assert (coupon.redeemed_order_id, coupon.redeemed_at) == ("o-1", NOW)
    assert read(Coupon, *Coupon.key("shop", "NOT-OURS")) is None


def test_who_owns_an_order(orders):
    assert orders.owner("shop", "o-1") is None
    orders.record_owner("shop", "o-1", "c-1")
    assert orders.owner("shop", "o-1") == "c-1"
    assert orders.owner("shop", "o-1", consistent=True) == "c-1"
    assert orders.owner("other-shop", "o-1") is None


def test_kept_statuses_are_each_taken_once(orders, read):
    orders.keep_status("shop", "o-1", "order_paid", '{"type": "order_paid"}', LATER)
    orders.keep_status("shop", "o-1", "order_fulfilled", '{"type": "order_fulfilled", "v": 1}', LATER)
    orders.keep_status("shop", "o-1", "order_fulfilled", '{"type": "order_fulfilled", "v": 2}', LATER)  # the same status again: replaces
    orders.keep_status("shop", "o-2", "order_paid", '{"type": "order_paid"}', LATER)

    assert read(PendingOrderStatus, *PendingOrderStatus.key("shop", "o-1", "order_paid")).expires_at == LATER
    assert sorted(orders.take_kept_statuses("shop", "o-1")) == ['{"type": "order_fulfilled", "v": 2}', '{"type": "order_paid"}']
    assert orders.take_kept_statuses("shop", "o-1") == []  # a second taker gets none
    assert orders.take_kept_statuses("shop", "o-2") == ['{"type": "order_paid"}']
