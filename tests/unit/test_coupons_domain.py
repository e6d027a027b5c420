"""``encore.coupons`` on the in-memory repository (``InMemoryCouponCodes``) with recording shop
clients: a pool gives each message one code (the same one to the same step again) and alerts
when low, Shopify stock is made on first need and refilled ahead of it (a bulk add not seen done
is adopted by the next refill), a WooCommerce code the shop already has is replaced by another
and a refused one recorded, and the cleanup deletes at the shop only the unused codes due."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from encore import coupons
from encore.adapters.shop_coupons import CodeTaken
from encore.adapters.shop_http import ShopRefused, ShopUnreachable
from encore.coupons import CouponUnavailable, Offer, ShopCoupons, cleanup_expired, issue, stock, upload
from encore.messaging import CouponRequest, StepRequest
from encore.models import Customer, customer_key
from encore.storage.fakes_coupon_codes import InMemoryCouponCodes
from encore.stores import CouponSettings

STORE = "shop"
NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
OFFER = Offer("cart-abandonment", "reminder_3", 10, 7)


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch):
    monkeypatch.setattr(coupons.time, "sleep", lambda seconds: None)


@dataclass
class FakeShopify:
    """Shopify's discount API as ``encore.coupons`` uses it: bulk adds finish after ``polls_until_done`` looks."""

    polls_until_done: int = 0
    discounts: dict[str, str] = field(default_factory=dict)  # first code → discount id
    jobs: dict[str, list[str]] = field(default_factory=dict)
    polls: int = 0
    deleted: list[str] = field(default_factory=list)

    def discount_id_by_code(self, code: str) -> str | None:
        return self.discounts.get(code)

    def create_percentage_discount(self, *, title: str, code: str, percent_off: int, starts_at: datetime) -> str:
        self.discounts[code] = f"gid://discount/{len(self.discounts) + 1}"
        return self.discounts[code]

    def add_redeem_codes(self, discount_id: str, codes: list[str]) -> str:
        job = f"gid://job/{len(self.jobs) + 1}"
        self.jobs[job] = codes
        return job

    def bulk_creation(self, job: str, *, first: int):
        self.polls += 1
        if self.polls <= self.polls_until_done:
            return False, {}, []
        return True, {code: f"gid://redeem/{code}" for code in self.jobs[job][:first]}, []

    def delete_redeem_codes(self, discount_id: str, ids: list[str]) -> None:
        self.deleted.extend(ids)


def _issue(codes: InMemoryCouponCodes, client, *, customer: str = "c-1", platform: str = "shopify", settings: CouponSettings | None = None, **kwargs):
    return issue(
        store_id=STORE,
        customer_id=customer,
        email=f"{customer}@example.com",
        journey=f"cart-abandonment-{STORE}-{customer}-cart",
        offer=OFFER,
        now=NOW,
        platform=platform,
        client=client,
        settings=settings or CouponSettings(stock_size=3, refill_below=2),
        storage=codes,
        **kwargs,
    )


def test_a_generic_pool_gives_each_message_one_code_and_alerts_when_low():
    class Alerts:
        def __init__(self):
            self.seen = []

        def pool_low(self, store_id, pool, remaining):
            self.seen.append((pool, remaining))

    codes = InMemoryCouponCodes()
    assert upload(STORE, OFFER.pool, ["AAAA-1111", "BBBB-2222", "CCCC-3333", "aaaa-1111"], NOW, storage=codes) == (3, 0)
    alerts = Alerts()
    issuer = ShopCoupons(STORE, {"platform": "generic"}, None, CouponSettings(low_stock_alert_at=1), alerts, storage=codes)
    customer = Customer(customer_key(STORE, "c1"), "PROFILE", email="c1@example.com")
    taken = []
    for number in range(4):
        request = StepRequest(
            store_id=STORE,
            customer_id=f"c{number}",
            journey=f"cart-abandonment-{STORE}-c{number}-cart",
            step="reminder_3",
            template="cart_reminder_3",
            coupon=CouponRequest(percent_off=10, valid_days=7),
        )
        try:
            taken.append(issuer.issue(request, customer, NOW).code)
        except Exception as error:
            taken.append(type(error).__name__)
        if number == 0:  # the same step again: the same code, not a second one
            assert issuer.issue(request, customer, NOW).code == taken[0]
    assert sorted(taken[:3]) == ["AAAA-1111", "BBBB-2222", "CCCC-3333"] and taken[3] == "CouponUnavailable"
    assert stock(STORE, OFFER.pool, storage=codes) == 0
    assert alerts.seen == [(OFFER.pool, 1), (OFFER.pool, 0), (OFFER.pool, 0)]
    assert upload(STORE, OFFER.pool, ["AAAA-1111"], NOW, storage=codes) == (0, 1)  # a code once handed out never returns


def test_shopify_stock_is_made_on_first_need_and_refilled_ahead_of_it():
    codes, shop = InMemoryCouponCodes(), FakeShopify()
    first = _issue(codes, shop)
    assert (first.platform, first.status, first.discount_ref) == ("shopify", "accepted", "gid://discount/1")
    assert len(shop.discounts) == 1 and len(shop.jobs) == 1
    assert stock(STORE, OFFER.key, storage=codes) == 2  # three made, one taken: not below two yet
    assert _issue(codes, shop).code == first.code  # the same step again
    _issue(codes, shop, customer="c-2")  # one left: below two, refilled
    assert len(shop.jobs) == 2 and stock(STORE, OFFER.key, storage=codes) == 4
    assert len(shop.discounts) == 1  # one discount per offer
    due = codes.due(STORE, NOW + timedelta(days=7))
    assert sorted(row.code for row in due) == sorted([first.code, codes.step_code(STORE, "c-2", f"cart-abandonment-{STORE}-c-2-cart", "reminder_3")])


def test_a_bulk_add_not_seen_done_is_adopted_by_the_next_refill():
    codes, shop = InMemoryCouponCodes(), FakeShopify(polls_until_done=coupons.BULK_POLLS)
    with pytest.raises(CouponUnavailable, match="pool_empty"):
        _issue(codes, shop)
    assert len(shop.jobs) == 1 and stock(STORE, OFFER.key, storage=codes) == 0
    assert _issue(codes, shop, customer="c-2").status == "accepted"  # the pending add adopted
    assert len(shop.jobs) == 2  # after adopting the pending add, the refill adds its own (done at once)
    assert stock(STORE, OFFER.key, storage=codes) == 5


@dataclass
class FakeWooCommerce:
    taken_first: int = 0  # how many codes the shop already has (CodeTaken)
    refuse: bool = False
    made: list[str] = field(default_factory=list)

    def create_coupon(self, *, code: str, percent_off: int, email: str, expires_at: datetime, description: str) -> int:
        if self.refuse:
            raise ShopRefused("no", code="woocommerce_rest_invalid_coupon")
        if self.taken_first:
            self.taken_first -= 1
            raise CodeTaken("exists", code="woocommerce_rest_coupon_code_already_exists")
        self.made.append(code)
        return 40 + len(self.made)


def test_a_woocommerce_code_the_shop_has_is_replaced_and_a_refused_one_recorded():
    codes, shop = InMemoryCouponCodes(), FakeWooCommerce(taken_first=2)
    coupon = _issue(codes, shop, platform="woocommerce")
    assert (coupon.code, coupon.status, coupon.shop_ref) == (shop.made[0], "accepted", "41")
    assert [row.code for row in codes.due(STORE, NOW + timedelta(days=7))] == [coupon.code]
    refused = FakeWooCommerce(refuse=True)
    with pytest.raises(ShopRefused):
        _issue(codes, refused, customer="c-2", platform="woocommerce")
    code = codes.step_code(STORE, "c-2", f"cart-abandonment-{STORE}-c-2-cart", "reminder_3")
    stored = codes.coupon(STORE, code)
    assert (stored.status, stored.failure_reason) == ("failed", "shop_refused:woocommerce_rest_invalid_coupon")
    # The step again: the refused code is not reused.
    assert _issue(codes, FakeWooCommerce(), customer="c-2", platform="woocommerce").code != code


def test_a_retried_woocommerce_step_whose_first_answer_was_lost_keeps_its_code():
    codes = InMemoryCouponCodes()
    with pytest.raises(ShopUnreachable):
        _issue(codes, type("Down", (), {"create_coupon": lambda self, **_: (_ for _ in ()).throw(ShopUnreachable("down"))})(), platform="woocommerce")
    pending = codes.stored_coupon(STORE, codes.step_code(STORE, "c-1", f"cart-abandonment-{STORE}-c-1-cart", "reminder_3"))
    assert pending.status == "pending"
    coupon = _issue(codes, FakeWooCommerce(taken_first=1), platform="woocommerce")  # "already exists": ours
    assert (coupon.code, coupon.status, coupon.shop_ref) == (pending.code, "accepted", None)


def test_the_cleanup_deletes_only_unused_codes_due_and_keeps_them_when_the_shop_fails():
    codes, shop = InMemoryCouponCodes(), FakeShopify()
    used, unused = _issue(codes, shop), _issue(codes, shop, customer="c-2")
    codes.table.update(codes.stored_coupon(STORE, used.code), lambda stored: setattr(stored, "redeemed_order_id", "o-1"))

    class Down(FakeShopify):
        def delete_redeem_codes(self, discount_id, ids):
            raise ShopUnreachable("down")

    assert cleanup_expired(STORE, NOW + timedelta(days=6), shop, storage=codes).deleted == 0  # not due yet
    failed = cleanup_expired(STORE, NOW + timedelta(days=7), Down(), storage=codes)
    assert (failed.redeemed, failed.deleted, failed.failed) == (1, 0, 1)
    done = cleanup_expired(STORE, NOW + timedelta(days=7), shop, storage=codes)
    assert (done.redeemed, done.deleted, done.failed) == (0, 1, 0)
    assert shop.deleted == [unused.shop_ref]
    assert codes.coupon(STORE, unused.code).status == "expired" and codes.coupon(STORE, used.code).status == "accepted"
    assert codes.due(STORE, NOW + timedelta(days=365)) == []
