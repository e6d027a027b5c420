"""The coupon codes ``encore.coupons`` hands out, and everything it keeps to hand them out
exactly once: each step's code (StepCoupon, its anchor), the codes stocked in a pool
(PooledCode), a Shopify offer's discount (ShopDiscount) and the handed-out codes due for
deletion at the shop (IssuedCode).

A stocked code goes to one message only: taking it deletes it from the pool on condition that
it is still there, in the same transaction that writes the coupon and the step's anchor (each
on condition it is new). A WooCommerce code is reserved the same way (coupon and anchor
together) before the shop is asked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pynamodb.exceptions import PutError
from pynamodb.expressions.update import Action

from encore.clock import iso
from encore.models import DELETE, Coupon, IssuedCode, PooledCode, ShopDiscount, StepCoupon, condition_failed, customer_key, get_or_none, transact

__all__ = ["Coupon", "CouponCodes", "DynamoCouponCodes", "IssuedCode", "PooledCode", "ShopDiscount", "anchor_of", "due_row"]  # items, for type hints

TAKE_AT_ONCE = 5  # stocked codes read per try: another message may take the first ones


def anchor_of(coupon: Coupon) -> StepCoupon:
    """The step's anchor naming the coupon (in the customer's partition)."""
    return StepCoupon(customer_key(coupon.store_id, coupon.customer_id), StepCoupon.sort_key(coupon.journey, coupon.step), code=coupon.code)


def due_row(coupon: Coupon, due: datetime | None = None, reason: str | None = None) -> IssuedCode:
    """The row that has the cleanup delete ``coupon`` at the shop at ``due`` (its expiry)."""
    return IssuedCode(
        IssuedCode.partition(coupon.store_id),
        f"{iso(due or coupon.expires_at)}#{coupon.code}",
        code=coupon.code,
        platform=coupon.platform,
        shop_ref=coupon.shop_ref,
        discount_ref=coupon.discount_ref,
        reason=reason,
    )


def due_until(now: datetime) -> str:
    return f"{iso(now)}#~"  # every row due at or before ``now`` ("~" sorts after any code)


class CouponCodes(Protocol):
    # ---- a step's code
    def step_code(self, store_id: str, customer_id: str, journey: str, step: str) -> str | None:
        """The code the step issued (its anchor, read consistently); None: none yet."""

    def forget_step_code(self, store_id: str, customer_id: str, journey: str, step: str) -> None:
        """Remove the step's anchor (its code was refused: the step starts afresh)."""

    def coupon(self, store_id: str, code: str, *, consistent: bool = False) -> Coupon | None: ...

    def stored_coupon(self, store_id: str, code: str) -> Coupon:
        """The coupon a step's anchor names (it exists: they are written together), read consistently."""

    # ---- stocked codes (a Shopify offer's, or a store's uploaded pool)
    def stocked(self, store_id: str, pool: str) -> list[PooledCode]:
        """A few of the pool's codes, in code order, read consistently."""

    def stock(self, store_id: str, pool: str) -> int:
        """How many codes the pool holds (consistent)."""

    def take_stocked(self, stocked: PooledCode, coupon: Coupon, *, schedule_deletion: bool) -> bool:
        """In one transaction: the code leaves the pool (only if still there), the coupon and the
        step's anchor are written (only if new), and with ``schedule_deletion`` the code is due
        for deletion at its expiry. False: nothing written (another message took it, or this
        step got a code meanwhile)."""

    def add_to_pool(self, store_id: str, pool: str, code: str, added_at: datetime) -> bool:
        """Stock an uploaded code, only if the pool does not hold it already."""

    # ---- a Shopify offer's discount
    def shop_discount(self, store_id: str, offer: str, *, first_code: str, created_at: datetime) -> ShopDiscount:
        """The offer's discount record, written (with ``first_code``) when there is none; of two
        writers the second gets the first's record."""

    def record_discount_id(self, discount: ShopDiscount, discount_id: str) -> None: ...

    def record_pending_creation(self, discount: ShopDiscount, creation_id: str) -> None:
        """A bulk add asked of Shopify: adopted later if this run does not see it done."""

    def stock_created(self, store_id: str, offer: str, discount: ShopDiscount, created: dict[str, str], added_at: datetime) -> None:
        """Stock the codes the pending bulk add created (code → redeem code id), then forget it."""

    # ---- a WooCommerce code, reserved before the shop is asked
    def reserve(self, coupon: Coupon) -> bool:
        """Write the pending coupon and its step's anchor together, each only if new."""

    def unreserve(self, coupon: Coupon) -> None:
        """Delete a reserved coupon and its anchor together (the shop had the code already)."""

    def mark_refused(self, coupon: Coupon, reason: str) -> None: ...

    def mark_accepted(self, coupon: Coupon, shop_ref: str | None) -> None:
        """The shop took it: accepted (with its id there when known), then due for deletion at its expiry."""

    # ---- cleanup
    def due(self, store_id: str, now: datetime) -> list[IssuedCode]:
        """Handed-out codes due for deletion at the shop by ``now``, in due order (consistent)."""

    def count_due(self, store_id: str, now: datetime) -> int: ...

    def drop_due(self, row: IssuedCode) -> None:
        """The code is gone from the shop (or used at a checkout): nothing more to delete."""

    def mark_gone(self, coupon: Coupon, status: str) -> None:
        """The coupon's status once the shop deleted it ("expired" or "deleted")."""

    def schedule_deletion(self, coupon: Coupon, due: datetime, reason: str) -> None:
        """Have the next cleanup delete the code at the shop (due now: an erased customer's)."""

    def unschedule_expiry(self, coupon: Coupon) -> None:
        """Remove the row that would delete the code at its expiry."""


class DynamoCouponCodes:
    """``CouponCodes`` on the DynamoDB table (``encore.models``)."""

    def step_code(self, store_id: str, customer_id: str, journey: str, step: str) -> str | None:
        anchor = get_or_none(StepCoupon, customer_key(store_id, customer_id), StepCoupon.sort_key(journey, step), consistent_read=True)
        return anchor.code if anchor is not None else None

    def forget_step_code(self, store_id: str, customer_id: str, journey: str, step: str) -> None:
        StepCoupon(customer_key(store_id, customer_id), StepCoupon.sort_key(journey, step)).delete()

    def coupon(self, store_id: str, code: str, *, consistent: bool = False) -> Coupon | None:
        return get_or_none(Coupon, *Coupon.key(store_id, code), consistent_read=consistent)

    def stored_coupon(self, store_id: str, code: str) -> Coupon:
        return Coupon.get(*Coupon.key(store_id, code), consistent_read=True)

    def stocked(self, store_id: str, pool: str) -> list[PooledCode]:
        return list(PooledCode.query(PooledCode.key(store_id, pool)[0], PooledCode.sk.startswith("CODE#"), consistent_read=True, limit=TAKE_AT_ONCE))

    def stock(self, store_id: str, pool: str) -> int:
        return PooledCode.count(PooledCode.key(store_id, pool)[0], PooledCode.sk.startswith("CODE#"), consistent_read=True)

    def take_stocked(self, stocked: PooledCode, coupon: Coupon, *, schedule_deletion: bool) -> bool:
        writes: list[tuple] = [
            (stocked, DELETE, PooledCode.pk.exists()),
            (coupon, None, Coupon.pk.does_not_exist()),
            (anchor_of(coupon), None, StepCoupon.pk.does_not_exist()),
        ]
        if schedule_deletion:
            writes.append((due_row(coupon), None, None))
        return transact(writes)

    def add_to_pool(self, store_id: str, pool: str, code: str, added_at: datetime) -> bool:
        try:
            PooledCode(*PooledCode.key(store_id, pool, code), code=code, added_at=added_at).save(condition=PooledCode.pk.does_not_exist())
        except PutError as error:
            if not condition_failed(error):
                raise
            return False
        return True

    def shop_discount(self, store_id: str, offer: str, *, first_code: str, created_at: datetime) -> ShopDiscount:
        pk, sk = ShopDiscount.key(store_id, offer)
        discount = get_or_none(ShopDiscount, pk, sk, consistent_read=True)
        if discount is not None:
            return discount
        discount = ShopDiscount(pk, sk, first_code=first_code, created_at=created_at)
        try:
            discount.save(condition=ShopDiscount.pk.does_not_exist())
        except PutError as error:
            if not condition_failed(error):
                raise
            return ShopDiscount.get(pk, sk, consistent_read=True)
        return discount

    def record_discount_id(self, discount: ShopDiscount, discount_id: str) -> None:
        discount.update(actions=[ShopDiscount.discount_id.set(discount_id)])

    def record_pending_creation(self, discount: ShopDiscount, creation_id: str) -> None:
        discount.update(actions=[ShopDiscount.pending_creation_id.set(creation_id)])

    def stock_created(self, store_id: str, offer: str, discount: ShopDiscount, created: dict[str, str], added_at: datetime) -> None:
        pool_pk = PooledCode.key(store_id, offer)[0]
        with PooledCode.batch_write() as batch:
            for code, redeem_id in created.items():
                batch.save(PooledCode(pool_pk, f"CODE#{code}", code=code, shop_ref=redeem_id, discount_ref=discount.discount_id, added_at=added_at))
        discount.update(actions=[ShopDiscount.pending_creation_id.remove()])

    def reserve(self, coupon: Coupon) -> bool:
        return transact([(coupon, None, Coupon.pk.does_not_exist()), (anchor_of(coupon), None, StepCoupon.pk.does_not_exist())])

    def unreserve(self, coupon: Coupon) -> None:
        transact([(coupon, DELETE, None), (anchor_of(coupon), DELETE, None)])

    def mark_refused(self, coupon: Coupon, reason: str) -> None:
        coupon.update(actions=[Coupon.status.set("failed"), Coupon.failure_reason.set(reason)])

    def mark_accepted(self, coupon: Coupon, shop_ref: str | None) -> None:
        actions: list[Action] = [Coupon.status.set("accepted")]
        if shop_ref is not None:
            actions.append(Coupon.shop_ref.set(shop_ref))
        coupon.update(actions=actions)
        due_row(coupon).save()

    def due(self, store_id: str, now: datetime) -> list[IssuedCode]:
        return list(IssuedCode.query(IssuedCode.partition(store_id), IssuedCode.sk <= due_until(now), consistent_read=True))

    def count_due(self, store_id: str, now: datetime) -> int:
        return IssuedCode.count(IssuedCode.partition(store_id), IssuedCode.sk <= due_until(now))

    def drop_due(self, row: IssuedCode) -> None:
        row.delete()

    def mark_gone(self, coupon: Coupon, status: str) -> None:
        coupon.update(actions=[Coupon.status.set(status)])

    def schedule_deletion(self, coupon: Coupon, due: datetime, reason: str) -> None:
        due_row(coupon, due=due, reason=reason).save()

    def unschedule_expiry(self, coupon: Coupon) -> None:
        due_row(coupon).delete()
