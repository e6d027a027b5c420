"""The shop admin API clients (encore.adapters.shopify_admin / woocommerce_admin): how each
answer of the shop becomes data or a named one-line error. Against the local fakes and a
scripted server on 127.0.0.1 (no AWS)."""

from __future__ import annotations

import socket
import time

import pytest

from encore.adapters.shop_http import ShopAuthRefused, ShopMisconfigured, ShopRefused, ShopThrottled, ShopUnreachable
from encore.adapters.shopify_admin import ShopifyAdmin, topic_enum, topic_name
from encore.adapters.woocommerce_admin import WooCommerceAdmin
from infra.local.shops import FakeShopify, FakeWooCommerce
from infra.local.shops.server import FakeHttpServer, Reply

DOMAIN = "demo-store.myshopify.com"


class Scripted(FakeHttpServer):
    """Answers with the given replies in order (the last one repeats)."""

    def __init__(self, *replies: Reply, delay: float = 0.0):
        super().__init__()
        self.replies = list(replies)
        self.delay = delay

    def handle(self, request):
        if self.delay:
            time.sleep(self.delay)
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


def shopify_client(url: str, **options) -> ShopifyAdmin:
    return ShopifyAdmin(DOMAIN, "shpat_good", "2025-10", base_url=url, **options)


def woo_client(url: str) -> WooCommerceAdmin:
    return WooCommerceAdmin("https://shop.example", "ck_good", "cs_good", base_url=url)


def test_topic_names_round_trip():
    assert topic_enum("orders/create") == "ORDERS_CREATE"
    assert topic_name("ORDERS_CREATE", ("orders/create",)) == "orders/create"
    assert topic_name("INVENTORY_LEVELS_UPDATE") == "inventory_levels/update"


def test_shopify_gives_up_after_bounded_waits_sized_by_the_leaky_bucket():
    with FakeShopify(access_token="shpat_good", restore_rate=10) as shop:
        shop.drain_bucket(to=0)
        waits: list[float] = []
        client = shopify_client(shop.url, max_throttle_retries=2, sleep=waits.append)
        with pytest.raises(ShopThrottled) as throttled:
            client.webhook_subscriptions()
    # requestedQueryCost 2 + 100 x 1 = 102 points, ~0 available, 10 restored per second: each
    # wait is exactly what the last answer's throttleStatus says the bucket needs.
    cost = client.last_cost
    assert cost["requestedQueryCost"] == 102 and cost["actualQueryCost"] is None
    assert cost["throttleStatus"]["restoreRate"] == 10
    assert len(waits) == 2 and all(9.5 < wait <= 102 / 10 + 0.05 for wait in waits)
    assert shop.throttled == 3 and shop.operations == []  # nothing ran while throttled
    assert "\n" not in str(throttled.value) and "needs 102 points" in str(throttled.value)


def test_shopify_every_answer_carries_its_cost_and_the_bucket_drains():
    with FakeShopify(access_token="shpat_good") as shop:
        for n in range(150):
            shop.add_subscription("products/update", f"https://hooks.example/{n}")
        client = shopify_client(shop.url)
        found = client.webhook_subscriptions()
        assert len(found) == 150 and len({s["id"] for s in found}) == 150  # two pages, followed by cursor
        assert shop.operations == ["webhookSubscriptions", "webhookSubscriptions"]
        cost = client.last_cost
        assert cost["requestedQueryCost"] == 102 and cost["actualQueryCost"] == 2 + 50
        assert cost["throttleStatus"]["maximumAvailable"] == 2000 and cost["throttleStatus"]["restoreRate"] == 100
        assert cost["throttleStatus"]["currentlyAvailable"] < 2000 - 100


def test_shopify_deprecated_endpoint_shape_and_single_query_cost_limit():
    with FakeShopify(access_token="shpat_good") as shop:
        client = shopify_client(shop.url)
        created = client.execute(
            "mutation($t: WebhookSubscriptionTopic!, $s: WebhookSubscriptionInput!) { webhookSubscriptionCreate(topic: $t, webhookSubscription: $s) { webhookSubscription { id topic endpoint { __typename ... on WebhookHttpEndpoint { callbackUrl } } } userErrors { field message } } }",
            {"t": "ORDERS_PAID", "s": {"callbackUrl": "https://hooks.example/paid", "format": "JSON"}},
        )["webhookSubscriptionCreate"]["webhookSubscription"]
        assert created["id"].startswith("gid://shopify/WebhookSubscription/")
        assert created["endpoint"] == {"__typename": "WebhookHttpEndpoint", "callbackUrl": "https://hooks.example/paid"}
        with pytest.raises(ShopRefused) as too_costly:
            client.execute("{ webhookSubscriptions(first: 250) { edges { node { id endpoint { __typename } } } nodes { id endpoint { __typename } } } }")
        assert too_costly.value.code == "MAX_COST_EXCEEDED"


def test_shopify_user_errors_and_access_denied():
    with FakeShopify(access_token="shpat_good") as shop:
        client = shopify_client(shop.url)
        client.create_webhook_subscription("orders/create", "https://hooks.example/a")
        with pytest.raises(ShopRefused) as duplicate:
            client.create_webhook_subscription("orders/create", "https://hooks.example/a")
        assert duplicate.value.field == "webhookSubscription.uri"
        assert "Address for this topic has already been taken" in str(duplicate.value)
        with pytest.raises(ShopRefused, match="Address protocol http:// is not supported"):
            client.create_webhook_subscription("orders/paid", "http://hooks.example/a")
    denied = {"errors": [{"message": "Access denied for webhookSubscriptions field.", "extensions": {"code": "ACCESS_DENIED"}}], "data": None}
    with Scripted(Reply(200, denied)) as server:
        with pytest.raises(ShopAuthRefused, match="Access denied"):
            shopify_client(server.url).webhook_subscriptions()


def test_shopify_http_429_is_retried_and_server_errors_and_silence_are_unreachable():
    ok = {"data": {"webhookSubscriptions": {"edges": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}}}
    with Scripted(Reply(429, {"errors": "Exceeded 2 calls per second for api client."}, {"Retry-After": "0.1"}), Reply(200, ok)) as server:
        waits: list[float] = []
        assert shopify_client(server.url, sleep=waits.append).webhook_subscriptions() == []
        assert waits == [0.1]
    with Scripted(Reply(503, {"errors": "Service Unavailable"})) as server:
        with pytest.raises(ShopUnreachable, match="HTTP 503"):
            shopify_client(server.url).webhook_subscriptions()
    with Scripted(Reply(200, ok), delay=1.0) as server:
        with pytest.raises(ShopUnreachable, match="did not answer"):
            shopify_client(server.url, timeout=0.2).webhook_subscriptions()
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(ShopUnreachable, match="did not answer"):
        shopify_client(f"http://127.0.0.1:{port}").webhook_subscriptions()


def test_credentials_only_over_https():
    with pytest.raises(ShopMisconfigured, match="https://"):
        ShopifyAdmin(DOMAIN, "shpat_good", "2025-10", base_url="http://shop.example")
    with pytest.raises(ShopMisconfigured, match="https://"):
        WooCommerceAdmin("http://shop.example", "ck", "cs")
    with pytest.raises(ShopAuthRefused, match="no Admin API access token"):
        ShopifyAdmin(DOMAIN, "", "2025-10")


def test_a_stores_shop_document_and_secret_make_its_client():
    shopify = ShopifyAdmin.for_shop({"shop_domain": DOMAIN}, {"access_token": "shpat_good"}, max_throttle_retries=2)
    assert (shopify.url, shopify.max_throttle_retries) == (f"https://{DOMAIN}/admin/api/2025-10/graphql.json", 2)
    pinned = ShopifyAdmin.for_shop({"shop_domain": DOMAIN, "api_version": "2026-01", "admin_base_url": "http://127.0.0.1:9"}, {"access_token": "shpat_good"})
    assert pinned.url == "http://127.0.0.1:9/admin/api/2026-01/graphql.json"
    woo = WooCommerceAdmin.for_shop({"site_url": "https://shop.example"}, {"consumer_key": "ck_good", "consumer_secret": "cs_good"})
    assert woo.base == "https://shop.example/wp-json/wc/v3"
    with pytest.raises(ShopAuthRefused):
        ShopifyAdmin.for_shop({"shop_domain": DOMAIN}, None)
    with pytest.raises(ShopAuthRefused):
        WooCommerceAdmin.for_shop({"site_url": "https://shop.example"}, {"consumer_key": "ck_good"})
    with pytest.raises(ShopMisconfigured):
        ShopifyAdmin.for_shop({}, {"access_token": "shpat_good"})
    with pytest.raises(ShopMisconfigured):
        WooCommerceAdmin.for_shop({}, {"consumer_key": "ck_good", "consumer_secret": "cs_good"})


def test_woocommerce_refusals_carry_the_rest_error_code():
    with FakeWooCommerce(consumer_key="ck_good", consumer_secret="cs_good") as woo:
        client = woo_client(woo.url)
        with pytest.raises(ShopRefused) as bad_topic:
            client.create_webhook(name="x", topic="order.shipped", delivery_url="https://hooks.example/x", secret="s")
        assert bad_topic.value.code == "woocommerce_rest_shop_webhook_invalid_topic"
        assert "Webhook topic is required and must be valid." in str(bad_topic.value)
        created = client.create_webhook(name="x", topic="order.created", delivery_url="https://hooks.example/x", secret="s")
        assert created["status"] == "active" and created["resource"] == "order" and created["event"] == "created"
        assert "secret" not in created  # write-only in WooCommerce's REST API
        with pytest.raises(ShopRefused) as bad_status:
            client.update_webhook(created["id"], status="sleeping")
        assert bad_status.value.code == "rest_invalid_param" and "status is not one of active, paused, and disabled." in str(bad_status.value)
        with pytest.raises(ShopRefused) as unknown:
            client.update_webhook(999999, status="active")
        assert unknown.value.code == "woocommerce_rest_shop_webhook_invalid_id"
        assert client.delete_webhook(created["id"])["id"] == created["id"]
        assert client.webhooks() == []


def test_woocommerce_non_rest_answers_and_server_errors():
    with Scripted(Reply(404, None)) as server:
        with pytest.raises(ShopRefused, match="without a REST error"):
            woo_client(server.url).webhooks()
    with Scripted(Reply(500, {"code": "internal_server_error", "message": "There has been a critical error on this website."})) as server:
        with pytest.raises(ShopUnreachable, match="HTTP 500"):
            woo_client(server.url).webhooks()
