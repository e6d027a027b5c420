"""Coupons a real checkout accepts: a code goes into a message only after the shop took it.

An *offer* is what a step promises (scenario, step, percent off, days valid). How each
platform learns the code:

- **Shopify**: one code discount per offer (``discountCodeBasicCreate``: the percentage on
  every item, once per customer, ``usageLimit`` 1, which Shopify counts per redeem code), not
  one discount per customer. Single-use codes are added to it in bulk *ahead of need*
  (``discountRedeemCodeBulkAdd``, ``CouponSettings.stock_size`` at a time, when fewer than
  ``refill_below`` are left). The bulk add is asynchronous: the codes are stocked (PooledCode
  items) only once ``discountRedeemCodeBulkCreation`` reports them created; a bulk add whose
  poll did not see it done is remembered on the offer's ShopDiscount item and adopted by the
  next refill. A message takes one stocked code in one DynamoDB transaction (delete the
  PooledCode, write the Coupon and the step's StepCoupon).
  **Expiry**: Shopify keeps ``endsAt`` per discount, not per code, and the offer's discount
  outlives every code, so Encore records each handed-out code's expiry (IssuedCode, sorted by
  that moment) and deletes the redeem code with ``discountCodeRedeemCodeBulkDelete`` once it
  lapses unused (``cleanup_expired``): the checkout then rejects it.
- **WooCommerce**: one coupon per message (``POST /wc/v3/coupons``: percent, usage limit 1,
  one use per user, restricted to the customer's email, ``date_expires``); a code the shop
  already has (400 ``woocommerce_rest_coupon_code_already_exists``) is replaced by another.
  The Coupon (status ``pending``) and the StepCoupon are written *before* the call: a step
  retried after a crash asks again with the same code, and "already exists" then means ours.
  Expired unused coupons are deleted (``DELETE /coupons/<id>?force=true``).
- **Any other platform**: a pool of codes the store made in its shop and uploaded (``encore
  coupons upload``), taken atomically one per message like Shopify's stock; when
  ``low_stock_alert_at`` codes are left (and when it runs dry) a "Coupon pool low" event goes
  to the operators. Encore cannot delete these codes at the shop: they expire there as made.

A refusal, throttling after the client's retries, or an unreachable shop raises
CouponUnavailable with the reason; the step then follows the scenario's
``on_coupon_failure``. An erased customer's codes are deleted at the shop too; when the shop
cannot be reached the deletion is recorded (an IssuedCode due now, no customer id) and the
next cleanup retries it, so the erasure itself never waits for the shop.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from encore.adapters.shop_coupons import CodeTaken
from encore.adapters.shop_http import ShopAdminError, ShopAuthRefused, ShopMisconfigured, ShopRefused, ShopThrottled, ShopUnreachable
from encore.observability import logger
from encore.storage.coupon_codes import Coupon, CouponCodes, DynamoCouponCodes, IssuedCode, ShopDiscount, due_row
from encore.stores import CouponSettings

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
BULK_POLL_INTERVAL = 0.5  # seconds between looks at an asynchronous bulk add
BULK_POLLS = 8  # then the bulk add is left pending: the next refill adopts it
MAX_CODE_ATTEMPTS = 5  # WooCommerce "code already exists": another random code, a few times


def new_code() -> str:
    """XXXX-XXXX-XXXX from 32 unambiguous characters: 60 bits, not guessable at a checkout."""
    return "-".join("".join(secrets.choice(ALPHABET) for _ in range(4)) for _ in range(3))


@dataclass(frozen=True)
class Offer:
    scenario: str  # as in execution names: 'cart-abandonment'
    step: str
    percent_off: int
    valid_days: int

    @property
    def key(self) -> str:
        """One Shopify discount per key: a changed percentage or validity is a new offer."""
        return f"{self.scenario}.{self.step}.{self.percent_off}pct.{self.valid_days}d"

    @property
    def pool(self) -> str:
        """An uploaded pool serves a step whatever the value (the store made the codes)."""
        return f"{self.scenario}.{self.step}"

    @property
    def title(self) -> str:
        return f"Encore {self.scenario} {self.step}: {self.percent_off}% off, single-use codes"


class CouponUnavailable(Exception):
    """No code the shop accepted: ``reason`` is recorded on the message (no personal data)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class PoolAlerts(Protocol):
    def pool_low(self, store_id: str, pool: str, remaining: int) -> None: ...


def failure_reason(error: ShopAdminError) -> str:
    """A short, stable reason for the Message item and the logs."""
    if isinstance(error, ShopRefused):
        return f"shop_refused:{error.code or 'unknown'}"
    if isinstance(error, ShopThrottled):
        return "shop_throttled"
    if isinstance(error, ShopUnreachable):
        return "shop_unreachable"
    if isinstance(error, ShopAuthRefused):
        return "shop_auth_refused"
    if isinstance(error, ShopMisconfigured):
        return "shop_misconfigured"
    return f"shop_error:{type(error).__name__}"


# ---- issuing ---------------------------------------------------------------------------------


def issue(
    *,
    store_id: str,
    customer_id: str,
    email: str | None,
    journey: str,
    offer: Offer,
    now: datetime,
    platform: str,
    client,
    settings: CouponSettings,
    alerts: PoolAlerts | None = None,
    storage: CouponCodes | None = None,
) -> Coupon:
    """The step's coupon, accepted by the shop (the same one when the step runs again), or
    CouponUnavailable. ``client`` is the platform's coupon client (None: generic pool)."""
    codes = storage or DynamoCouponCodes()
    step_code = codes.step_code(store_id, customer_id, journey, offer.step)
    if step_code is not None:
        coupon = codes.coupon(store_id, step_code, consistent=True)
        if coupon is not None and coupon.status in (None, "accepted"):
            return coupon
        if coupon is not None and coupon.status == "pending" and platform == "woocommerce":
            return _create_woocommerce(codes, coupon, client, email, offer, retried=True)
        # A refused code is not reused: forget the anchor and start afresh.
        codes.forget_step_code(store_id, customer_id, journey, offer.step)
    if platform == "woocommerce":
        return _issue_woocommerce(codes, store_id, customer_id, email, journey, offer, now, client)
    if platform == "shopify":
        return _take(codes, store_id, customer_id, journey, offer, now, "shopify", offer.key, client=client, settings=settings)
    return _take(codes, store_id, customer_id, journey, offer, now, "generic", offer.pool, client=None, settings=settings, alerts=alerts)


def _coupon(store_id: str, customer_id: str, journey: str, offer: Offer, now: datetime, code: str, platform: str, status: str, **refs) -> Coupon:
    return Coupon(
        *Coupon.key(store_id, code),
        store_id=store_id,
        code=code,
        customer_id=customer_id,
        journey=journey,
        step=offer.step,
        percent_off=offer.percent_off,
        issued_at=now,
        expires_at=now + timedelta(days=offer.valid_days),
        status=status,
        platform=platform,
        **refs,
    )


def _take(
    codes: CouponCodes, store_id, customer_id, journey, offer: Offer, now, platform: str, pool: str, *, client, settings: CouponSettings, alerts=None
) -> Coupon:
    """One code out of the pool into this step, atomically; refill (Shopify) or alert (generic)."""
    for attempt in range(2):
        for stocked in codes.stocked(store_id, pool):
            coupon = _coupon(
                store_id, customer_id, journey, offer, now, stocked.code, platform, "accepted", shop_ref=stocked.shop_ref, discount_ref=stocked.discount_ref
            )
            # Shopify keeps the code past its expiry: the cleanup deletes it then.
            if codes.take_stocked(stocked, coupon, schedule_deletion=platform == "shopify"):
                _after_take(codes, store_id, pool, offer, now, platform, client, settings, alerts)
                return coupon
            # Another message took this code first (or this step got one meanwhile).
            existing = codes.step_code(store_id, customer_id, journey, offer.step)
            if existing is not None:
                return codes.stored_coupon(store_id, existing)
        if platform != "shopify" or attempt:
            break
        _refill(codes, store_id, offer, now, client, settings)  # empty: stock up now, then take
    if platform != "shopify" and alerts is not None:
        alerts.pool_low(store_id, pool, 0)
    raise CouponUnavailable("pool_empty")


def stock(store_id: str, pool: str, *, storage: CouponCodes | None = None) -> int:
    return (storage or DynamoCouponCodes()).stock(store_id, pool)


def _after_take(codes: CouponCodes, store_id, pool, offer, now, platform, client, settings: CouponSettings, alerts) -> None:
    left = codes.stock(store_id, pool)
    if platform == "shopify" and left < settings.refill_below:
        try:
            _refill(codes, store_id, offer, now, client, settings)
        except ShopAdminError as error:  # codes are still in stock: the next message tries again
            logger.warning("coupon stock refill failed", extra={"offer": offer.key, "reason": failure_reason(error)})
    elif platform != "shopify" and alerts is not None and left in (settings.low_stock_alert_at, 0):
        alerts.pool_low(store_id, pool, left)  # once when it crosses the mark, once when dry


def _refill(codes: CouponCodes, store_id: str, offer: Offer, now: datetime, client, settings: CouponSettings) -> int:
    """Add ``stock_size`` codes to the offer's Shopify discount (created on first need) and
    stock those Shopify reports created. Returns how many were stocked."""
    discount = _discount(codes, store_id, offer, now, client)
    stocked = 0
    if discount.pending_creation_id:
        stocked += _adopt(codes, store_id, offer, discount, now, client, settings.stock_size)
        if discount.pending_creation_id:
            return stocked  # still running at Shopify: do not pile another one on it
    creation_id = client.add_redeem_codes(discount.discount_id, [new_code() for _ in range(settings.stock_size)])
    codes.record_pending_creation(discount, creation_id)
    return stocked + _adopt(codes, store_id, offer, discount, now, client, settings.stock_size)


def _discount(codes: CouponCodes, store_id: str, offer: Offer, now: datetime, client) -> ShopDiscount:
    # The first code is written before the call: a lost answer is found again by it.
    discount = codes.shop_discount(store_id, offer.key, first_code=new_code(), created_at=now)
    if discount.discount_id:
        return discount
    discount_id = client.discount_id_by_code(discount.first_code) or client.create_percentage_discount(
        title=offer.title, code=discount.first_code, percent_off=offer.percent_off, starts_at=now
    )
    codes.record_discount_id(discount, discount_id)
    return discount


def _adopt(codes: CouponCodes, store_id: str, offer: Offer, discount: ShopDiscount, now: datetime, client, code_count: int) -> int:
    """Wait (briefly) for the pending bulk add of ``codes`` codes and stock those Shopify created.
    Reading no more codes than were added keeps the query's cost (2 + 3 a code) small."""
    for _poll in range(BULK_POLLS):
        done, created, failed = client.bulk_creation(discount.pending_creation_id, first=code_count)
        if done:
            break
        time.sleep(BULK_POLL_INTERVAL)
    else:
        logger.info("coupon bulk add still running", extra={"offer": offer.key})
        return 0
    codes.stock_created(store_id, offer.key, discount, created, now)
    if failed:
        logger.warning("coupon codes refused in a bulk add", extra={"offer": offer.key, "failed": len(failed)})
    return len(created)


def _issue_woocommerce(codes: CouponCodes, store_id, customer_id, email, journey, offer: Offer, now, client) -> Coupon:
    if not email:
        raise CouponUnavailable("no_email_for_restriction")
    for _ in range(MAX_CODE_ATTEMPTS):
        coupon = _coupon(store_id, customer_id, journey, offer, now, new_code(), "woocommerce", "pending")
        if not codes.reserve(coupon):
            if codes.step_code(store_id, customer_id, journey, offer.step) is not None:  # a concurrent run of this step wrote its own first
                raise CouponUnavailable("concurrent_step")
            continue  # the code is taken in Encore's table: another one
        try:
            return _create_woocommerce(codes, coupon, client, email, offer, retried=False)
        except CodeTaken:
            codes.unreserve(coupon)  # someone's own code: pick another
    raise CouponUnavailable("shop_refused:woocommerce_rest_coupon_code_already_exists")


def _create_woocommerce(codes: CouponCodes, coupon: Coupon, client, email, offer: Offer, *, retried: bool) -> Coupon:
    try:
        coupon_id = client.create_coupon(code=coupon.code, percent_off=offer.percent_off, email=email, expires_at=coupon.expires_at, description=offer.title)
    except CodeTaken:
        if not retried:
            raise
        # Our own pending code from a run whose answer was lost: the shop has it. Its id is
        # unknown, so the cleanup finds it by code.
        coupon_id = None
    except ShopAdminError as error:
        if isinstance(error, ShopRefused):  # a refusal is final for this code
            codes.mark_refused(coupon, failure_reason(error))
        raise
    codes.mark_accepted(coupon, str(coupon_id) if coupon_id is not None else None)
    return coupon


# ---- the generic pool: codes the store uploads ----------------------------------------------------


def upload(store_id: str, pool: str, codes: list[str], now: datetime, *, storage: CouponCodes | None = None) -> tuple[int, int]:
    """Add codes to a pool: (added, already known). A code ever handed out is never re-added."""
    stored = storage or DynamoCouponCodes()
    added = known = 0
    for code in dict.fromkeys(code.strip().upper() for code in codes if code.strip()):
        if stored.coupon(store_id, code) is None and stored.add_to_pool(store_id, pool, code, now):
            added += 1
        else:
            known += 1
    return added, known


# ---- cleanup: expired unused codes, erased customers' codes -------------------------------------


@dataclass
class Cleanup:
    deleted: int = 0
    redeemed: int = 0
    failed: int = 0


def cleanup_expired(store_id: str, now: datetime, client, *, storage: CouponCodes | None = None) -> Cleanup:
    """Delete at the shop every handed-out code now due (expired, or an erased customer's)
    that no order used; a failure leaves it due for the next run."""
    codes = storage or DynamoCouponCodes()
    outcome = Cleanup()
    by_discount: dict[str | None, list[tuple[IssuedCode, Coupon | None]]] = {}
    for row in codes.due(store_id, now):
        coupon = codes.coupon(store_id, row.code)
        if coupon is not None and coupon.redeemed_order_id:
            outcome.redeemed += 1  # used at the checkout: the shop's record of the order keeps it
            codes.drop_due(row)
            continue
        by_discount.setdefault(row.discount_ref, []).append((row, coupon))
    for discount_ref, rows in by_discount.items():
        try:
            _delete_at_shop(client, discount_ref, [row for row, _ in rows])
        except ShopAdminError as error:
            logger.warning("coupon cleanup failed", extra={"codes": len(rows), "reason": failure_reason(error)})
            outcome.failed += len(rows)
            continue
        for row, coupon in rows:
            if coupon is not None:
                codes.mark_gone(coupon, "deleted" if row.reason else "expired")
            codes.drop_due(row)
            outcome.deleted += 1
    return outcome


def cleanup_on_schedule(store_id: str, shop: dict, credentials: dict | None, now: datetime, *, storage: CouponCodes | None = None) -> Cleanup:
    """The daily cleanup of one store (``functions/scheduled_jobs``): its shop's coupon client
    from the shop document and admin-api credentials, then ``cleanup_expired``. A store whose
    shop cannot be reached or has no credentials keeps its due codes for the next day's run."""
    from encore.adapters.shop_coupons import shop_coupons

    codes = storage or DynamoCouponCodes()
    try:
        client = shop_coupons(shop, credentials)
    except ShopAdminError as error:
        due = codes.count_due(store_id, now)
        logger.warning("coupon cleanup skipped: no usable admin API", extra={"codes": due, "reason": failure_reason(error)})
        return Cleanup(failed=due)
    return cleanup_expired(store_id, now, client, storage=codes)


def _delete_at_shop(client, discount_ref: str | None, rows: list[IssuedCode]) -> None:
    platform = rows[0].platform
    if platform == "shopify":
        ids = [row.shop_ref for row in rows if row.shop_ref]
        for start in range(0, len(ids), 250):
            client.delete_redeem_codes(discount_ref, ids[start : start + 250])
    elif platform == "woocommerce":
        for row in rows:
            coupon_id = row.shop_ref or client.coupon_id_by_code(row.code)
            if coupon_id:
                client.delete_coupon(int(coupon_id))
    # generic: the store's own codes expire at the shop as the store made them


def forget_customer_codes(store_id: str, codes: list[str], now: datetime, client, *, storage: CouponCodes | None = None) -> int:
    """An erased customer's codes: deleted at the shop now when it answers; otherwise made
    due at once (IssuedCode, no customer id) for the next cleanup. Never raises for the shop.
    Returns how many were deleted at the shop."""
    stored = storage or DynamoCouponCodes()
    deleted = 0
    for code in dict.fromkeys(codes):
        coupon = stored.coupon(store_id, code)
        if coupon is None or coupon.status not in ("accepted", "pending") or coupon.platform in (None, "generic") or coupon.redeemed_order_id:
            continue
        scheduled = due_row(coupon)  # the row that would delete it at its expiry
        try:
            if client is None:
                raise ShopUnreachable("no admin API client for the shop")
            _delete_at_shop(client, coupon.discount_ref, [scheduled])
            deleted += 1
        except ShopAdminError as error:
            logger.warning("erased customer's coupon not deleted at the shop yet", extra={"reason": failure_reason(error)})
            stored.schedule_deletion(coupon, now, "customer_erased")
        stored.unschedule_expiry(coupon)
    return deleted


# ---- the issuer a send step uses ------------------------------------------------------------------

THROTTLE_RETRIES = 2  # a message waits out at most two throttle waits...
THROTTLE_WAIT_CAP = 2.0  # ...of at most 2 s each, then the scenario's on_coupon_failure decides


def _capped_sleep(seconds: float) -> None:
    time.sleep(min(seconds, THROTTLE_WAIT_CAP))


class ShopCoupons:
    """``encore.delivery.request.CouponIssuer`` for one store: its shop document, admin credentials and
    coupon settings; the shop's client is made on first need (most steps carry no coupon)."""

    def __init__(
        self,
        store_id: str,
        shop: dict,
        credentials: dict | None,
        settings: CouponSettings,
        alerts: PoolAlerts | None = None,
        storage: CouponCodes | None = None,
    ):
        self.store_id = store_id
        self.storage = storage
        self.shop = shop or {}
        self.credentials = credentials
        self.settings = settings
        self.alerts = alerts
        self._client = None

    @property
    def platform(self) -> str:
        return self.shop.get("platform") or "generic"

    def client(self):
        from encore.adapters.shop_coupons import shop_coupons

        if self._client is None and self.platform in ("shopify", "woocommerce"):
            self._client = shop_coupons(self.shop, self.credentials, max_throttle_retries=THROTTLE_RETRIES, sleep=_capped_sleep)
        return self._client

    def issue(self, request, customer, now: datetime) -> Coupon:
        from encore.guards import scenario_of

        offer = Offer(scenario_of(request.journey) or "journey", request.step, request.coupon.percent_off, request.coupon.valid_days)
        return issue(
            store_id=self.store_id,
            customer_id=request.customer_id,
            email=customer.email,
            journey=request.journey,
            offer=offer,
            now=now,
            platform=self.platform,
            client=self.client(),
            settings=self.settings,
            alerts=self.alerts,
            storage=self.storage,
        )


class EventBridgePoolAlerts:
    """ "Coupon pool low" on the stack's bus (CouponPoolLowRule sends it to the operators)."""

    SOURCE = "encore.coupons"
    DETAIL_TYPE = "Coupon pool low"

    def __init__(self, bus_name: str):
        self.bus_name = bus_name

    def pool_low(self, store_id: str, pool: str, remaining: int) -> None:
        import json

        from encore.adapters.aws import client

        client("events").put_events(
            Entries=[
                {
                    "Source": self.SOURCE,
                    "DetailType": self.DETAIL_TYPE,
                    "EventBusName": self.bus_name,
                    "Detail": json.dumps({"store_id": store_id, "pool": pool, "remaining": remaining}),
                }
            ]
        )
        logger.warning("coupon pool low", extra={"pool": pool, "remaining": remaining})
