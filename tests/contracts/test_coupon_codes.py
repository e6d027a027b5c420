"""``CouponCodes`` (``encore.storage.coupon_codes``) on the in-memory fake and on moto: a
stocked code goes to one message only (a second taker, or this step's retry whose first answer
was lost, writes nothing), a code is stocked once, an offer's discount record is written once
(a second writer gets the first's), a WooCommerce code is reserved with its step's anchor all or
nothing, and the cleanup reads exactly the codes due by now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from encore.models import IssuedCode, PooledCode, StepCoupon
from encore.storage.coupon_codes import Coupon, CouponCodes, DynamoCouponCodes, due_row
from encore.storage.fakes_coupon_codes import InMemoryCouponCodes
from encore.storage.records import customer_key
from tests.unit.delivery_moto import bare_table  # noqa: F401  (fixture)
from tests.unit.repositories import Repositories, on_both

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)


@pytest.fixture(params=["fake", "moto"])
def repositories(request) -> Repositories[CouponCodes]:
    return on_both(request, DynamoCouponCodes, InMemoryCouponCodes)


def _coupon(
    code: str, *, customer: str = "c-1", step: str = "reminder_3", status: str = "accepted", platform: str = "shopify", days: int = 7, **refs
) -> Coupon:
    return Coupon(
        *Coupon.key("shop", code),
        store_id="shop",
        code=code,
        customer_id=customer,
        journey="cart-abandonment-shop-c-1",
        step=step,
        percent_off=10,
        issued_at=NOW,
        expires_at=NOW + timedelta(days=days),
        status=status,
        platform=platform,
        **refs,
    )


def _stock(repositories, *codes: str, pool: str = "offer") -> list[PooledCode]:
    items = [PooledCode(*PooledCode.key("shop", pool, code), code=code, shop_ref=f"gid://{code}", discount_ref="gid://d", added_at=NOW) for code in codes]
    repositories.add(*items)
    return items


def test_a_stocked_code_goes_to_one_step_and_is_due_for_deletion_at_its_expiry(repositories):
    codes = repositories.storage
    (stocked,) = _stock(repositories, "AAAA-AAAA-AAAA")
    coupon = _coupon("AAAA-AAAA-AAAA", shop_ref=stocked.shop_ref, discount_ref=stocked.discount_ref)
    assert codes.take_stocked(stocked, coupon, schedule_deletion=True)
    assert codes.stock("shop", "offer") == 0
    assert codes.step_code("shop", "c-1", "cart-abandonment-shop-c-1", "reminder_3") == "AAAA-AAAA-AAAA"
    assert codes.stored_coupon("shop", "AAAA-AAAA-AAAA").shop_ref == "gid://AAAA-AAAA-AAAA"
    (due,) = codes.due("shop", NOW + timedelta(days=7))
    assert (due.code, due.platform, due.shop_ref, due.discount_ref, due.reason) == ("AAAA-AAAA-AAAA", "shopify", "gid://AAAA-AAAA-AAAA", "gid://d", None)
    assert codes.due("shop", NOW + timedelta(days=7) - timedelta(seconds=1)) == []


def test_a_second_taker_of_the_same_code_writes_nothing(repositories):
    codes = repositories.storage
    (stocked,) = _stock(repositories, "AAAA-AAAA-AAAA")
    assert codes.take_stocked(stocked, _coupon("AAAA-AAAA-AAAA"), schedule_deletion=False)
    other = _coupon("AAAA-AAAA-AAAA", customer="c-2")
    assert not codes.take_stocked(stocked, other, schedule_deletion=True)
    assert codes.step_code("shop", "c-2", "cart-abandonment-shop-c-1", "reminder_3") is None
    assert codes.stored_coupon("shop", "AAAA-AAAA-AAAA").customer_id == "c-1"
    assert codes.due("shop", NOW + timedelta(days=30)) == []  # without deletion scheduled, and the loser's not written


def test_a_take_whose_answer_was_lost_is_refused_on_retry_and_the_step_names_its_code(repositories):
    codes = repositories.storage
    first, second = _stock(repositories, "AAAA-AAAA-AAAA", "BBBB-BBBB-BBBB")
    assert codes.take_stocked(first, _coupon("AAAA-AAAA-AAAA"), schedule_deletion=True)
    # The retry takes the next code for the same step: the step's anchor is there, nothing moves.
    assert not codes.take_stocked(second, _coupon("BBBB-BBBB-BBBB"), schedule_deletion=True)
    assert codes.stock("shop", "offer") == 1
    assert codes.coupon("shop", "BBBB-BBBB-BBBB") is None
    assert codes.step_code("shop", "c-1", "cart-abandonment-shop-c-1", "reminder_3") == "AAAA-AAAA-AAAA"
    assert len(codes.due("shop", NOW + timedelta(days=30))) == 1


def test_a_few_stocked_codes_at_a_time_in_code_order_and_a_code_stocked_once(repositories):
    codes = repositories.storage
    _stock(repositories, *[f"CODE-{n}" for n in range(7, 0, -1)])
    _stock(repositories, "OTHER-POOL", pool="elsewhere")
    assert [item.code for item in codes.stocked("shop", "offer")] == ["CODE-1", "CODE-2", "CODE-3", "CODE-4", "CODE-5"]
    assert codes.stock("shop", "offer") == 7
    assert codes.add_to_pool("shop", "welcome", "NEW-1", NOW)
    assert not codes.add_to_pool("shop", "welcome", "NEW-1", NOW + timedelta(hours=1))
    (stored,) = codes.stocked("shop", "welcome")
    assert (stored.code, stored.added_at) == ("NEW-1", NOW)


def test_an_offers_discount_record_is_written_once_and_a_second_writer_gets_the_first(repositories):
    codes = repositories.storage
    discount = codes.shop_discount("shop", "offer", first_code="FIRST", created_at=NOW)
    again = codes.shop_discount("shop", "offer", first_code="SECOND", created_at=NOW + timedelta(hours=1))
    assert (again.first_code, again.created_at, again.discount_id) == ("FIRST", NOW, None)
    codes.record_discount_id(discount, "gid://d")
    codes.record_pending_creation(discount, "gid://job")
    assert (discount.discount_id, discount.pending_creation_id) == ("gid://d", "gid://job")
    codes.stock_created("shop", "offer", discount, {"AAAA": "gid://r1", "BBBB": "gid://r2"}, NOW)
    assert discount.pending_creation_id is None
    stored = codes.shop_discount("shop", "offer", first_code="THIRD", created_at=NOW)
    assert (stored.first_code, stored.discount_id, stored.pending_creation_id) == ("FIRST", "gid://d", None)
    assert [(item.code, item.shop_ref, item.discount_ref) for item in codes.stocked("shop", "offer")] == [
        ("AAAA", "gid://r1", "gid://d"),
        ("BBBB", "gid://r2", "gid://d"),
    ]


def test_a_reserved_code_comes_with_its_anchor_all_or_nothing(repositories):
    codes = repositories.storage
    pending = _coupon("WOO-1", status="pending", platform="woocommerce")
    assert codes.reserve(pending)
    assert not codes.reserve(_coupon("WOO-1", customer="c-2", status="pending", platform="woocommerce"))  # the code is someone's
    assert codes.step_code("shop", "c-2", "cart-abandonment-shop-c-1", "reminder_3") is None
    assert not codes.reserve(_coupon("WOO-2", status="pending", platform="woocommerce"))  # this step has one
    assert codes.coupon("shop", "WOO-2") is None
    codes.unreserve(pending)
    assert codes.coupon("shop", "WOO-1") is None
    assert codes.step_code("shop", "c-1", "cart-abandonment-shop-c-1", "reminder_3") is None
    assert codes.reserve(_coupon("WOO-2", status="pending", platform="woocommerce"))


def test_accepted_or_refused_by_the_shop(repositories):
    codes = repositories.storage
    accepted, refused = (
        _coupon("WOO-1", status="pending", platform="woocommerce"),
        _coupon("WOO-2", step="reminder_2", status="pending", platform="woocommerce"),
    )
    codes.reserve(accepted)
    codes.reserve(refused)
    codes.mark_accepted(accepted, "42")
    codes.mark_refused(refused, "shop_refused:invalid")
    assert (accepted.status, accepted.shop_ref) == ("accepted", "42")
    stored = codes.coupon("shop", "WOO-1", consistent=True)
    assert (stored.status, stored.shop_ref) == ("accepted", "42")
    stored = codes.coupon("shop", "WOO-2")
    assert (stored.status, stored.failure_reason) == ("failed", "shop_refused:invalid")
    (due,) = codes.due("shop", NOW + timedelta(days=7))
    assert (due.code, due.shop_ref) == ("WOO-1", "42")
    codes.forget_step_code("shop", "c-1", "cart-abandonment-shop-c-1", "reminder_2")
    assert codes.step_code("shop", "c-1", "cart-abandonment-shop-c-1", "reminder_2") is None


def test_the_cleanup_reads_the_codes_due_by_now_and_an_erased_customers_are_due_at_once(repositories):
    codes = repositories.storage
    soon, later = _coupon("SOON", shop_ref="1"), _coupon("LATER", step="reminder_2", shop_ref="2", days=30)
    repositories.add(soon, later, due_row(soon), due_row(later))
    assert [row.code for row in codes.due("shop", NOW + timedelta(days=7))] == ["SOON"]
    assert codes.count_due("shop", NOW + timedelta(days=30)) == 2
    codes.schedule_deletion(later, NOW, "customer_erased")
    codes.unschedule_expiry(later)
    (erased, expiring) = codes.due("shop", NOW + timedelta(days=30))
    assert (erased.code, erased.reason, expiring.code) == ("LATER", "customer_erased", "SOON")
    codes.drop_due(expiring)
    codes.mark_gone(soon, "expired")
    assert codes.coupon("shop", "SOON").status == "expired"
    assert [row.code for row in codes.due("shop", NOW + timedelta(days=365))] == ["LATER"]
    assert repositories.read(StepCoupon, customer_key("shop", "c-1"), StepCoupon.sort_key("x", "y")) is None
    assert repositories.read(IssuedCode, IssuedCode.partition("shop"), due_row(soon).sk) is None


def test_a_code_read_from_the_pool_but_gone_from_it_since_is_not_taken(repositories):
    codes = repositories.storage
    gone = PooledCode(*PooledCode.key("shop", "offer", "GONE-GONE-GONE"), code="GONE-GONE-GONE", added_at=NOW)  # a stale read
    assert not codes.take_stocked(gone, _coupon("GONE-GONE-GONE"), schedule_deletion=True)
    assert codes.coupon("shop", "GONE-GONE-GONE") is None
    assert codes.step_code("shop", "c-1", "cart-abandonment-shop-c-1", "reminder_3") is None
    assert codes.due("shop", NOW + timedelta(days=30)) == []
