"""``IssuedCoupons`` (``encore.storage.coupons``) on the in-memory fake and on moto: a coupon
an earlier step issued, found by its code in its store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from encore.storage.records import Coupon
from tests.unit.delivery_moto import bare_table, repositories  # noqa: F401  (fixtures)

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)


def test_a_coupon_is_found_by_its_code_in_its_store(repositories):
    coupon = Coupon(
        *Coupon.key("shop", "SAVE-1"),
        store_id="shop",
        code="SAVE-1",
        customer_id="c-1",
        journey="j",
        percent_off=10,
        issued_at=NOW,
        expires_at=NOW + timedelta(days=7),
    )
    repositories.add(coupon)
    coupons = repositories.storage.coupons
    found = coupons.coupon("shop", "SAVE-1")
    assert (found.customer_id, found.percent_off, found.expires_at) == ("c-1", 10, NOW + timedelta(days=7))
    assert coupons.coupon("shop", "SAVE-2") is None
    assert coupons.coupon("other-shop", "SAVE-1") is None
