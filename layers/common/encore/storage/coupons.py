"""Issued coupons, read side: the code an earlier step issued, shown again by a later one
(an expiry reminder). ``encore.coupons`` issues them."""

from __future__ import annotations

from typing import Protocol

from encore.models import Coupon, get_or_none


class IssuedCoupons(Protocol):
    def coupon(self, store_id: str, code: str) -> Coupon | None: ...


class DynamoIssuedCoupons:
    """``IssuedCoupons`` on the DynamoDB table (``encore.models``)."""

    def coupon(self, store_id: str, code: str) -> Coupon | None:
        return get_or_none(Coupon, *Coupon.key(store_id, code))
