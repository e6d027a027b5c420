"""Coupons the checkout accepts: reminder 3's code is made through the shop's admin API (the
local fakes) before the email goes out, and the fake shop holds it for that customer."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest

from tests.conftest import START, STORE_ID, only_scenarios

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
EMAIL = "olena@example.com"
CUSTOMER = "603851970716743426"


def _text(mail) -> str:
    return next(part for part in mail.walk() if part.get_content_type() == "text/plain").get_payload(decode=True).decode()


def _code(mail) -> str:
    return next(line.strip() for line in _text(mail).splitlines() if line.strip().count("-") == 2 and line.strip().isupper() and len(line.strip()) == 14)


def _reminder_3(harness) -> dict:
    return next(item for item in harness.table_items() if item["sk"]["S"].startswith("MESSAGE#cart-abandonment-") and item["sk"]["S"].endswith("#reminder_3"))


def _settings(harness, **cart):
    harness.configure_store(
        {**only_scenarios("cart_abandonment"), "version": 1, "cart_abandonment": cart} if cart else {**only_scenarios("cart_abandonment"), "version": 1}
    )


def _point_shop(document: dict, credentials: dict) -> None:
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name=f"/encore/stores/{STORE_ID}/shop", Value=json.dumps(document), Type="String", Overwrite=True)
    ssm.put_parameter(Name=f"/encore/secrets/{STORE_ID}/admin-api", Value=json.dumps(credentials), Type="SecureString", Overwrite=True)
    from encore.adapters.secrets import clear_cache

    clear_cache()


def test_shopify_reminder_3_carries_a_single_use_code_of_the_offer_discount_the_shop_holds(harness):
    shop = harness.stack.shops[STORE_ID]
    _settings(harness)
    harness.checkout()
    harness.run_until(73 * HOUR)

    third = harness.emails()[2]
    code = _code(third)
    assert third["Subject"] == "10% off your cart, just for you"
    # One discount for the offer, codes added in bulk and read back once the job was done.
    assert [shop.operations.count(name) for name in ("discountCodeBasicCreate", "discountRedeemCodeBulkAdd", "discountRedeemCodeBulkCreation")] == [1, 1, 1]
    discount = shop.discount_of_code(code)
    assert discount["percentage"] == 0.1 and discount["usageLimit"] == 1 and discount["appliesOncePerCustomer"] and discount["all_items"]
    assert len(discount["codes"]) == 1 + 20  # the discount's own first code + the stock
    assert shop.code_valid_for(code, EMAIL, at=START + 73 * HOUR)
    coupon = harness.item(f"STORE#{STORE_ID}#COUPON#{code}", "COUPON")
    assert (coupon["status"], coupon["platform"], coupon["customer_id"]) == ("accepted", "shopify", CUSTOMER)
    assert coupon["shop_ref"] == discount["codes"][code]["id"]
    assert _reminder_3(harness)["coupon_code"]["S"] == code

    # Used once at the checkout, the code is spent.
    shop.redeem(code, EMAIL)
    assert not shop.code_valid_for(code, "someone.else@example.com", at=START + 73 * HOUR)


def test_a_shopify_refusal_sends_reminder_3_without_a_code_and_records_why(harness):
    shop = harness.stack.shops[STORE_ID]
    shop.refuse_discounts = "Discount could not be created."
    _settings(harness)
    harness.checkout()
    harness.run_until(73 * HOUR)

    third = harness.emails()[2]
    assert third["Subject"].startswith("Still thinking it over?")  # the plain reminder, no empty coupon box
    message = _reminder_3(harness)
    assert message["status"]["S"] == "sent"
    assert message["coupon_failure_reason"]["S"] == "shop_refused:INVALID"
    assert "coupon_code" not in message


@pytest.mark.handler_errors_expected  # ChannelUnavailable, retried by the state
def test_shopify_throttling_with_retry_set_waits_and_sends_the_code_once_the_shop_answers(harness, monkeypatch):
    import encore.coupons

    monkeypatch.setattr(encore.coupons, "THROTTLE_WAIT_CAP", 0.01)
    shop = harness.stack.shops[STORE_ID]
    _settings(harness, on_coupon_failure="retry")
    harness.checkout()
    harness.run_until(72 * HOUR - timedelta(minutes=1))
    shop.throttle_always = True
    harness.run_until(72 * HOUR + timedelta(seconds=30))
    message = _reminder_3(harness)
    assert (message["status"]["S"], message["coupon_failure_reason"]["S"]) == ("awaiting_coupon", "shop_throttled")
    assert shop.throttled >= 3  # the first try and the client's two waits
    assert len(harness.emails()) == 2

    shop.throttle_always = False
    harness.run_until(73 * HOUR)  # the state's Retry (ChannelUnavailable) 60 s later
    third = harness.emails()[2]
    code = _code(third)
    assert shop.code_valid_for(code, EMAIL, at=START + 73 * HOUR)
    message = _reminder_3(harness)
    assert (message["status"]["S"], message["coupon_code"]["S"]) == ("sent", code)


def test_woocommerce_reminder_3_carries_a_coupon_restricted_to_the_customer_that_the_shop_holds(harness):
    from infra.local.shops import FakeWooCommerce

    with FakeWooCommerce() as woo:
        _point_shop(
            {"platform": "woocommerce", "site_url": "https://shop.example", "admin_base_url": woo.url},
            {"consumer_key": "ck_local_fake", "consumer_secret": "cs_local_fake"},
        )
        _settings(harness)
        harness.checkout()
        harness.run_until(73 * HOUR)
        code = _code(harness.emails()[2])
        [coupon] = woo.coupons.values()
        assert coupon["code"] == code.lower()
        assert (coupon["discount_type"], coupon["amount"], coupon["usage_limit"], coupon["usage_limit_per_user"]) == ("percent", "10", 1, 1)
        assert coupon["email_restrictions"] == [EMAIL]
        assert coupon["date_expires"] == (START + 72 * HOUR + 7 * DAY).strftime("%Y-%m-%dT%H:%M:%S")
        assert woo.code_valid_for(code, EMAIL, at=START + 73 * HOUR)
        assert not woo.code_valid_for(code, "someone.else@example.com", at=START + 73 * HOUR)


def test_a_woocommerce_400_sends_without_a_code_and_records_the_shops_error_code(harness):
    from infra.local.shops import FakeWooCommerce

    with FakeWooCommerce() as woo:
        woo.coupon_failure = (400, "woocommerce_rest_invalid_coupon", "Invalid coupon.")
        _point_shop(
            {"platform": "woocommerce", "site_url": "https://shop.example", "admin_base_url": woo.url},
            {"consumer_key": "ck_local_fake", "consumer_secret": "cs_local_fake"},
        )
        _settings(harness)
        harness.checkout()
        harness.run_until(73 * HOUR)
        assert harness.emails()[2]["Subject"].startswith("Still thinking it over?")
        assert _reminder_3(harness)["coupon_failure_reason"]["S"] == "shop_refused:woocommerce_rest_invalid_coupon"


def test_expired_unused_codes_are_deleted_at_the_shop_and_a_redeemed_one_is_left(harness):
    from encore.adapters.shop_coupons import shop_coupons
    from encore.coupons import cleanup_expired

    shop = harness.stack.shops[STORE_ID]
    _settings(harness)
    harness.checkout()
    harness.run_until(73 * HOUR)
    code = _code(harness.emails()[2])
    client = shop_coupons({"platform": "shopify", "shop_domain": shop.shop_domain, "admin_base_url": shop.url}, {"access_token": f"shpat_{STORE_ID}"})

    assert cleanup_expired(STORE_ID, START + 73 * HOUR, client).deleted == 0  # not expired yet
    assert shop.code_valid_for(code, EMAIL, at=START + 73 * HOUR)
    outcome = cleanup_expired(STORE_ID, START + 72 * HOUR + 7 * DAY + HOUR, client)
    assert (outcome.deleted, outcome.failed) == (1, 0)
    assert shop.deleted_codes == [code] and not shop.code_valid_for(code, EMAIL, at=START + 73 * HOUR)
    assert harness.item(f"STORE#{STORE_ID}#COUPON#{code}", "COUPON")["status"] == "expired"


@pytest.mark.parametrize("reachable", [True, False])
def test_an_erased_customers_codes_are_deleted_at_the_shop_or_recorded_for_the_cleanup(harness, reachable):
    from encore.adapters.shop_coupons import shop_coupons
    from encore.adapters.workflows import StepFunctionsWorkflows
    from encore.coupons import cleanup_expired
    from encore.models import IssuedCode
    from encore.privacy import erase_customer

    shop = harness.stack.shops[STORE_ID]
    _settings(harness)
    harness.checkout()
    harness.run_until(73 * HOUR)
    code = _code(harness.emails()[2])
    document = {"platform": "shopify", "shop_domain": shop.shop_domain, "admin_base_url": shop.url if reachable else "http://127.0.0.1:9"}
    erase_customer(
        STORE_ID,
        CUSTOMER,
        workflows=StepFunctionsWorkflows(),
        now=START + 74 * HOUR,
        coupon_shop=lambda: shop_coupons(document, {"access_token": f"shpat_{STORE_ID}"}),
    )
    assert harness.item(f"STORE#{STORE_ID}#COUPON#{code}", "COUPON") is None
    if reachable:
        assert shop.deleted_codes == [code]
        return
    assert shop.code_valid_for(code, EMAIL, at=START + 74 * HOUR)
    [row] = IssuedCode.query(IssuedCode.partition(STORE_ID))
    assert (row.code, row.reason) == (code, "customer_erased") and "customer" not in json.dumps(row.attribute_values).replace("customer_erased", "")
    client = shop_coupons({**document, "admin_base_url": shop.url}, {"access_token": f"shpat_{STORE_ID}"})
    assert cleanup_expired(STORE_ID, START + 75 * HOUR, client).deleted == 1
    assert shop.deleted_codes == [code]
