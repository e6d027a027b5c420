"""`encore webhooks register|check` (infra.webhooks) against the local fakes of the Shopify Admin
GraphQL API and the WooCommerce REST API, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import time

import pytest

from encore.platforms import shopify as shopify_platform
from encore.platforms import woocommerce as woocommerce_platform
from infra.local.shops import FakeShopify, FakeWooCommerce
from infra.webhooks import (
    NEEDS_ATTENTION,
    ShopAuthRefused,
    ShopMisconfigured,
    ShopRefused,
    check_webhooks,
    register_webhooks,
)

STORE = "demo-store"
API_URL = "https://abc123.execute-api.eu-west-1.amazonaws.com"
SHOPIFY_ADDRESS = f"{API_URL}/webhooks/shopify"
WOO_ADDRESS = f"{API_URL}/webhooks/woocommerce/{STORE}"
WEBHOOK_SECRET = "whsec-chosen-by-encore"


@pytest.fixture
def shopify():
    with FakeShopify(access_token="shpat_good") as fake:
        yield fake


@pytest.fixture
def woo():
    with FakeWooCommerce(consumer_key="ck_good", consumer_secret="cs_good") as fake:
        yield fake


def shopify_shop(fake) -> dict:
    return {"platform": "shopify", "shop_domain": "demo-store.myshopify.com", "api_version": "2025-10", "admin_base_url": fake.url}


def woo_shop(fake) -> dict:
    return {"platform": "woocommerce", "site_url": "https://shop.example", "admin_base_url": fake.url}


SHOPIFY_CREDENTIALS = {"access_token": "shpat_good"}
WOO_CREDENTIALS = {"consumer_key": "ck_good", "consumer_secret": "cs_good", "webhook_secret": WEBHOOK_SECRET}


def states(subscriptions) -> dict[str, str]:
    return {s.topic: s.state for s in subscriptions if s.state != "foreign"}


# -- Shopify -----------------------------------------------------------------------------------


def test_shopify_register_twice_leaves_one_subscription_per_topic(shopify):
    first = register_webhooks(STORE, shopify_shop(shopify), SHOPIFY_CREDENTIALS, API_URL)
    assert states(first) == {topic: "created" for topic in shopify_platform.SUBSCRIBED_TOPICS}
    assert all(s.address == SHOPIFY_ADDRESS for s in first)

    mutations_before = shopify.operations.count("webhookSubscriptionCreate")
    second = register_webhooks(STORE, shopify_shop(shopify), SHOPIFY_CREDENTIALS, API_URL + "/")
    assert states(second) == {topic: "present" for topic in shopify_platform.SUBSCRIBED_TOPICS}
    assert shopify.operations.count("webhookSubscriptionCreate") == mutations_before  # nothing created again

    expected = sorted((topic.upper().replace("/", "_"), SHOPIFY_ADDRESS) for topic in shopify_platform.SUBSCRIBED_TOPICS)
    assert shopify.topics() == expected
    # The privacy topics live in the app's configuration, never in the Admin API.
    assert not {"CUSTOMERS_REDACT", "CUSTOMERS_DATA_REQUEST", "SHOP_REDACT"} & {topic for topic, _ in shopify.topics()}
    assert set(shopify_platform.PRIVACY_TOPICS) == {"customers/data_request", "customers/redact", "shop/redact"}


def test_shopify_check_reports_a_subscription_deleted_after_8_failures_and_register_restores_it(shopify):
    register_webhooks(STORE, shopify_shop(shopify), SHOPIFY_CREDENTIALS, API_URL)
    assert shopify.fail_deliveries("orders/create", 7) == []  # 7 in a row: still there
    assert states(check_webhooks(STORE, shopify_shop(shopify), SHOPIFY_CREDENTIALS, API_URL))["orders/create"] == "present"

    assert len(shopify.fail_deliveries("orders/create", 1)) == 1  # the 8th: Shopify deletes it
    checked = check_webhooks(STORE, shopify_shop(shopify), SHOPIFY_CREDENTIALS, API_URL)
    missing = [s for s in checked if s.state in NEEDS_ATTENTION]
    assert [(s.topic, s.state) for s in missing] == [("orders/create", "missing")]
    assert "8 consecutive failed deliveries" in missing[0].detail

    repaired = register_webhooks(STORE, shopify_shop(shopify), SHOPIFY_CREDENTIALS, API_URL)
    assert [s.topic for s in repaired if s.state == "created"] == ["orders/create"]
    assert not [s for s in check_webhooks(STORE, shopify_shop(shopify), SHOPIFY_CREDENTIALS, API_URL) if s.state in NEEDS_ATTENTION]


def test_shopify_subscription_of_this_app_to_another_address_is_reported_foreign_and_kept(shopify):
    shopify.add_subscription("orders/paid", "https://old-stack.example/webhooks/shopify")
    registered = register_webhooks(STORE, shopify_shop(shopify), SHOPIFY_CREDENTIALS, API_URL)
    foreign = [s for s in registered if s.state == "foreign"]
    assert [(s.topic, s.address) for s in foreign] == [("orders/paid", "https://old-stack.example/webhooks/shopify")]
    assert ("ORDERS_PAID", "https://old-stack.example/webhooks/shopify") in shopify.topics()
    assert states(registered)["orders/paid"] == "created"  # Encore's own address is added beside it


def test_shopify_throttled_request_waits_for_the_bucket_and_succeeds(shopify):
    shopify.drain_bucket(to=40)  # the listing requests 2 + 100 points: ~0.6 s of refill at 100/s
    started = time.monotonic()
    result = register_webhooks(STORE, shopify_shop(shopify), SHOPIFY_CREDENTIALS, API_URL)
    elapsed = time.monotonic() - started
    assert shopify.throttled >= 1
    assert elapsed >= 0.55
    assert len(result) == len(shopify_platform.SUBSCRIBED_TOPICS)
    assert len(shopify.topics()) == len(shopify_platform.SUBSCRIBED_TOPICS)


def test_shopify_bad_token_is_one_line_auth_refusal(shopify):
    with pytest.raises(ShopAuthRefused) as refused:
        register_webhooks(STORE, shopify_shop(shopify), {"access_token": "shpat_revoked"}, API_URL)
    message = str(refused.value)
    assert "\n" not in message
    assert "demo-store.myshopify.com" in message and "HTTP 401" in message and "Invalid API key or access token" in message


def test_shopify_refusal_from_user_errors_names_the_reason(shopify):
    shopify.scopes = {"read_products"}  # the app was installed without read_orders
    with pytest.raises(ShopRefused) as refused:
        register_webhooks(STORE, shopify_shop(shopify), SHOPIFY_CREDENTIALS, API_URL)
    assert "You cannot create a webhook subscription with the specified topic" in str(refused.value)
    assert refused.value.field == "webhookSubscription"


# -- WooCommerce -------------------------------------------------------------------------------


def test_woocommerce_register_twice_leaves_one_active_webhook_per_topic_with_the_store_secret(woo):
    first = register_webhooks(STORE, woo_shop(woo), WOO_CREDENTIALS, API_URL)
    assert states(first) == {topic: "created" for topic in woocommerce_platform.SUBSCRIBED_TOPICS}
    second = register_webhooks(STORE, woo_shop(woo), WOO_CREDENTIALS, API_URL)
    assert states(second) == {topic: "present" for topic in woocommerce_platform.SUBSCRIBED_TOPICS}

    assert woo.topics() == sorted((topic, WOO_ADDRESS, "active") for topic in woocommerce_platform.SUBSCRIBED_TOPICS)
    assert {woo.secret_of(webhook_id) for webhook_id in woo.webhooks} == {WEBHOOK_SECRET}


def test_woocommerce_check_reports_a_webhook_disabled_after_5_failures_and_register_reactivates_it(woo):
    register_webhooks(STORE, woo_shop(woo), WOO_CREDENTIALS, API_URL)
    assert woo.fail_deliveries("order.updated", 4) == []
    assert len(woo.fail_deliveries("order.updated", 1)) == 1  # the 5th in a row disables it

    checked = check_webhooks(STORE, woo_shop(woo), WOO_CREDENTIALS, API_URL)
    attention = [(s.topic, s.state) for s in checked if s.state in NEEDS_ATTENTION]
    assert attention == [("order.updated", "disabled")]
    assert "5 consecutive failed deliveries" in next(s.detail for s in checked if s.topic == "order.updated")

    repaired = register_webhooks(STORE, woo_shop(woo), WOO_CREDENTIALS, API_URL)
    assert "re-activated (was disabled)" in next(s.detail for s in repaired if s.topic == "order.updated")
    assert not [s for s in check_webhooks(STORE, woo_shop(woo), WOO_CREDENTIALS, API_URL) if s.state in NEEDS_ATTENTION]
    assert len(woo.webhooks) == len(woocommerce_platform.SUBSCRIBED_TOPICS)


def test_woocommerce_paused_duplicate_and_foreign_webhooks(woo):
    paused = woo.add_webhook("order.created", WOO_ADDRESS, status="paused")
    woo.add_webhook("customer.created", WOO_ADDRESS)
    woo.add_webhook("customer.created", WOO_ADDRESS)  # created twice by hand: every event would come twice
    woo.add_webhook("order.created", "https://old-stack.example/webhooks/woocommerce/demo-store")
    woo.add_webhook("order.created", "https://hooks.zapier.example/abc")  # another plugin's: not Encore's business

    checked = check_webhooks(STORE, woo_shop(woo), WOO_CREDENTIALS, API_URL)
    assert states(checked)["order.created"] == "paused"
    assert "duplicate" in next(s.detail for s in checked if s.topic == "customer.created")
    assert [s.address for s in checked if s.state == "foreign"] == ["https://old-stack.example/webhooks/woocommerce/demo-store"]

    register_webhooks(STORE, woo_shop(woo), WOO_CREDENTIALS, API_URL)
    ours = [t for t in woo.topics() if t[1] == WOO_ADDRESS]
    assert ours == sorted((topic, WOO_ADDRESS, "active") for topic in woocommerce_platform.SUBSCRIBED_TOPICS)
    assert woo.webhooks[paused["id"]]["status"] == "active"
    assert woo.secret_of(paused["id"]) == WEBHOOK_SECRET  # the kept webhook now signs with the store's secret


def test_woocommerce_register_reads_every_page_of_webhooks(woo):
    for n in range(130):  # another integration's webhooks fill more than one page of 100
        woo.add_webhook("coupon.created", f"https://crm.example/hook/{n}")
    register_webhooks(STORE, woo_shop(woo), WOO_CREDENTIALS, API_URL)
    register_webhooks(STORE, woo_shop(woo), WOO_CREDENTIALS, API_URL)
    pages = [r.query.get("page") for r in woo.requests if r.method == "GET"]
    assert pages == ["1", "2", "1", "2"]
    assert len([t for t in woo.topics() if t[1] == WOO_ADDRESS]) == len(woocommerce_platform.SUBSCRIBED_TOPICS)


def test_woocommerce_wrong_or_read_only_keys_are_auth_refusals(woo):
    with pytest.raises(ShopAuthRefused) as wrong:
        check_webhooks(STORE, woo_shop(woo), {**WOO_CREDENTIALS, "consumer_secret": "cs_wrong"}, API_URL)
    assert "woocommerce_rest_authentication_error" in str(wrong.value) and "\n" not in str(wrong.value)
    with pytest.raises(ShopAuthRefused) as unknown:
        check_webhooks(STORE, woo_shop(woo), {**WOO_CREDENTIALS, "consumer_key": "ck_unknown"}, API_URL)
    assert "woocommerce_rest_cannot_view" in str(unknown.value)

    woo.keys["ck_read"] = {"secret": "cs_read", "permissions": "read"}
    read_only = {**WOO_CREDENTIALS, "consumer_key": "ck_read", "consumer_secret": "cs_read"}
    assert states(check_webhooks(STORE, woo_shop(woo), read_only, API_URL))["order.created"] == "missing"
    with pytest.raises(ShopAuthRefused, match="does not have write permissions"):
        register_webhooks(STORE, woo_shop(woo), read_only, API_URL)


# -- operator mistakes -------------------------------------------------------------------------


def test_operator_mistakes_are_one_line_errors(woo):
    with pytest.raises(ShopMisconfigured, match="no webhook secret"):
        register_webhooks(STORE, woo_shop(woo), {k: v for k, v in WOO_CREDENTIALS.items() if k != "webhook_secret"}, API_URL)
    with pytest.raises(ShopMisconfigured, match="only Shopify and WooCommerce"):
        register_webhooks(STORE, {"platform": "generic"}, {}, API_URL)
    with pytest.raises(ShopMisconfigured, match="https://"):
        check_webhooks(STORE, {"platform": "woocommerce", "site_url": "http://shop.example"}, WOO_CREDENTIALS, API_URL)
    with pytest.raises(ShopMisconfigured, match="'api_version'"):
        check_webhooks(STORE, {"platform": "shopify", "shop_domain": "demo-store.myshopify.com"}, SHOPIFY_CREDENTIALS, API_URL)
