"""In-memory ``CouponCodes`` (``storage.coupon_codes``) on an ``InMemoryTable``, honouring the
same conditions and all-or-nothing transactions as its DynamoDB twin (a stocked code taken only
while still in the pool, a coupon and a step's anchor written only when new);
``tests/contracts/test_coupon_codes.py`` runs the same behaviour tests against both."""

from __future__ import annotations

from datetime import datetime

from encore.models import Coupon, IssuedCode, PooledCode, ShopDiscount, StepCoupon, customer_key
from encore.storage.coupon_codes import TAKE_AT_ONCE, anchor_of, due_row, due_until
from encore.storage.fakes import InMemoryTable


class InMemoryCouponCodes:
    """``storage.coupon_codes.CouponCodes`` in memory."""

    def __init__(self, table: InMemoryTable | None = None) -> None:
        self.table = table or InMemoryTable()

    def _exists(self, model: type, pk: str, sk: str) -> bool:
        return self.table.get(model, pk, sk) is not None

    def step_code(self, store_id: str, customer_id: str, journey: str, step: str) -> str | None:
        anchor = self.table.get(StepCoupon, customer_key(store_id, customer_id), StepCoupon.sort_key(journey, step))
        return anchor.code if anchor is not None else None

    def forget_step_code(self, store_id: str, customer_id: str, journey: str, step: str) -> None:
        self.table.delete(customer_key(store_id, customer_id), StepCoupon.sort_key(journey, step))

    def coupon(self, store_id: str, code: str, *, consistent: bool = False) -> Coupon | None:
        return self.table.get(Coupon, *Coupon.key(store_id, code))

    def stored_coupon(self, store_id: str, code: str) -> Coupon:
        coupon = self.table.get(Coupon, *Coupon.key(store_id, code))
        if coupon is None:
            raise Coupon.DoesNotExist()
        return coupon

    def stocked(self, store_id: str, pool: str) -> list[PooledCode]:
        return self.table.query(PooledCode, PooledCode.key(store_id, pool)[0], "CODE#")[:TAKE_AT_ONCE]

    def stock(self, store_id: str, pool: str) -> int:
        return len(self.table.query(PooledCode, PooledCode.key(store_id, pool)[0], "CODE#"))

    def take_stocked(self, stocked: PooledCode, coupon: Coupon, *, schedule_deletion: bool) -> bool:
        anchor = anchor_of(coupon)
        if not self._exists(PooledCode, stocked.pk, stocked.sk) or self._exists(Coupon, coupon.pk, coupon.sk) or self._exists(StepCoupon, anchor.pk, anchor.sk):
            return False  # the transaction is cancelled: nothing written
        self.table.delete(stocked.pk, stocked.sk)
        self.table.add(coupon, anchor)
        if schedule_deletion:
            self.table.add(due_row(coupon))
        return True

    def add_to_pool(self, store_id: str, pool: str, code: str, added_at: datetime) -> bool:
        pk, sk = PooledCode.key(store_id, pool, code)
        if self._exists(PooledCode, pk, sk):
            return False
        self.table.add(PooledCode(pk, sk, code=code, added_at=added_at))
        return True

    def shop_discount(self, store_id: str, offer: str, *, first_code: str, created_at: datetime) -> ShopDiscount:
        pk, sk = ShopDiscount.key(store_id, offer)
        discount = self.table.get(ShopDiscount, pk, sk)
        if discount is None:
            discount = ShopDiscount(pk, sk, first_code=first_code, created_at=created_at)
            self.table.add(discount)
        return discount

    def record_discount_id(self, discount: ShopDiscount, discount_id: str) -> None:
        self.table.update(discount, lambda stored: setattr(stored, "discount_id", discount_id))

    def record_pending_creation(self, discount: ShopDiscount, creation_id: str) -> None:
        self.table.update(discount, lambda stored: setattr(stored, "pending_creation_id", creation_id))

    def stock_created(self, store_id: str, offer: str, discount: ShopDiscount, created: dict[str, str], added_at: datetime) -> None:
        pool_pk = PooledCode.key(store_id, offer)[0]
        for code, redeem_id in created.items():
            self.table.add(PooledCode(pool_pk, f"CODE#{code}", code=code, shop_ref=redeem_id, discount_ref=discount.discount_id, added_at=added_at))
        self.table.update(discount, lambda stored: setattr(stored, "pending_creation_id", None))

    def reserve(self, coupon: Coupon) -> bool:
        anchor = anchor_of(coupon)
        if self._exists(Coupon, coupon.pk, coupon.sk) or self._exists(StepCoupon, anchor.pk, anchor.sk):
            return False
        self.table.add(coupon, anchor)
        return True

    def unreserve(self, coupon: Coupon) -> None:
        anchor = anchor_of(coupon)
        self.table.delete(coupon.pk, coupon.sk)
        self.table.delete(anchor.pk, anchor.sk)

    def mark_refused(self, coupon: Coupon, reason: str) -> None:
        def refuse(stored: Coupon) -> None:
            stored.status, stored.failure_reason = "failed", reason

        self.table.update(coupon, refuse)

    def mark_accepted(self, coupon: Coupon, shop_ref: str | None) -> None:
        def accept(stored: Coupon) -> None:
            stored.status = "accepted"
            if shop_ref is not None:
                stored.shop_ref = shop_ref

        self.table.update(coupon, accept)
        self.table.add(due_row(coupon))

    def due(self, store_id: str, now: datetime) -> list[IssuedCode]:
        rows = self.table.query(IssuedCode, IssuedCode.partition(store_id), "")
        return [row for row in rows if row.sk <= due_until(now)]

    def count_due(self, store_id: str, now: datetime) -> int:
        return len(self.due(store_id, now))

    def drop_due(self, row: IssuedCode) -> None:
        self.table.delete(row.pk, row.sk)

    def mark_gone(self, coupon: Coupon, status: str) -> None:
        self.table.update(coupon, lambda stored: setattr(stored, "status", status))

    def schedule_deletion(self, coupon: Coupon, due: datetime, reason: str) -> None:
        self.table.add(due_row(coupon, due=due, reason=reason))

    def unschedule_expiry(self, coupon: Coupon) -> None:
        row = due_row(coupon)
        self.table.delete(row.pk, row.sk)
