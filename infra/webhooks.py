"""Register and check a store's webhook subscriptions in its shop (``encore webhooks register|check``).

The topics come from the ingest side (``encore.platforms.<platform>.SUBSCRIBED_TOPICS``, built
from the topics ingest acts on), so Encore subscribes to exactly what it reads. The callback is
``{api_url}/webhooks/shopify`` for Shopify and ``{api_url}/webhooks/woocommerce/{store}`` for
WooCommerce.

- Shopify (Admin GraphQL): ``register`` lists the app's subscriptions and creates the missing
  (topic, address) pairs. The mandatory privacy topics are configured in the app's
  ``shopify.app.toml``, never through the API (docs/shops.md). Shopify exposes no delivery
  failure count: it deletes an API-created subscription after 8 consecutive failed deliveries,
  so ``check`` sees such a subscription as missing.
- WooCommerce (REST v3): ``register`` creates each webhook with the store's webhook secret,
  re-activates a disabled or paused one, re-applies the secret to those it keeps (WooCommerce
  never returns a secret, so Encore cannot tell whether it still matches) and removes
  duplicates (each would deliver every event again under its own delivery id). ``check``
  reports missing, ``disabled`` (WooCommerce disables a webhook after 5 consecutive failed
  deliveries) and ``paused`` ones.

Both report subscriptions of Encore's topics that point at another Encore address (an older
deployment, say) as ``foreign``: shown, never changed. Every shop failure is a
``ShopAdminError`` whose message is one line for the operator.
"""

from __future__ import annotations

from dataclasses import dataclass

from encore.adapters.shop_http import (
    ShopAdminError,
    ShopAuthRefused,
    ShopMisconfigured,
    ShopRefused,
    ShopThrottled,
    ShopUnreachable,
)
from encore.adapters.shopify_admin import ShopifyAdmin, topic_name
from encore.adapters.woocommerce_admin import WooCommerceAdmin
from encore.platforms import shopify as shopify_platform
from encore.platforms import woocommerce as woocommerce_platform

__all__ = [
    "Subscription",
    "ShopAdminError",
    "ShopAuthRefused",
    "ShopMisconfigured",
    "ShopRefused",
    "ShopThrottled",
    "ShopUnreachable",
    "register_webhooks",
    "check_webhooks",
    "callback_url",
    "NEEDS_ATTENTION",
]

STATES = ("created", "present", "missing", "disabled", "paused", "failing", "foreign")
NEEDS_ATTENTION = frozenset({"missing", "disabled", "paused", "failing"})  # `check` exits 1 on any

SHOPIFY_NO_FAILURE_COUNT = "Shopify reports no delivery failures through its API; it deletes an API-created subscription after 8 consecutive failed deliveries"


@dataclass(frozen=True)
class Subscription:
    topic: str
    address: str
    state: str  # one of STATES
    detail: str = ""


def callback_url(platform: str, store_id: str, callback_base_url: str) -> str:
    base = callback_base_url.rstrip("/")
    if platform == "shopify":
        return f"{base}/webhooks/shopify"
    if platform == "woocommerce":
        return f"{base}/webhooks/woocommerce/{store_id}"
    raise ShopMisconfigured(f"store {store_id!r} is on platform {platform!r}: only Shopify and WooCommerce stores have shop webhooks to register")


def register_webhooks(store_id: str, shop: dict, credentials: dict, callback_base_url: str) -> list[Subscription]:
    """Create what is missing (safe to run again: never a second subscription per topic)."""
    platform = _platform(store_id, shop)
    address = callback_url(platform, store_id, callback_base_url)
    if platform == "shopify":
        return _shopify_register(_shopify_client(store_id, shop, credentials), address)
    secret = (credentials or {}).get("webhook_secret")
    if not secret:
        raise ShopMisconfigured(f"no webhook secret for store {store_id!r}: WooCommerce signs each webhook with the secret given when it is created")
    return _woocommerce_register(_woocommerce_client(store_id, shop, credentials), address, secret)


def check_webhooks(store_id: str, shop: dict, credentials: dict, callback_base_url: str) -> list[Subscription]:
    """What the shop has, per topic Encore needs, without changing anything."""
    platform = _platform(store_id, shop)
    address = callback_url(platform, store_id, callback_base_url)
    if platform == "shopify":
        return _shopify_check(_shopify_client(store_id, shop, credentials), address)
    return _woocommerce_check(_woocommerce_client(store_id, shop, credentials), address)


# -- shop documents ----------------------------------------------------------------------------


def _platform(store_id: str, shop: dict) -> str:
    platform = (shop or {}).get("platform")
    if not platform:
        raise ShopMisconfigured(f"store {store_id!r} has no shop settings naming its platform: add them with `encore store add`")
    if platform not in ("shopify", "woocommerce"):
        callback_url(str(platform), store_id, "")  # raises the one-line explanation
    return platform


def _required(store_id: str, document: dict, key: str, what: str) -> str:
    value = (document or {}).get(key)
    if not value or not isinstance(value, str):
        raise ShopMisconfigured(f"store {store_id!r} has no {key!r} in its {what}")
    return value


def _shopify_client(store_id: str, shop: dict, credentials: dict) -> ShopifyAdmin:
    return ShopifyAdmin(
        _required(store_id, shop, "shop_domain", "shop settings"),
        _required(store_id, credentials, "access_token", "admin-api secret"),
        _required(store_id, shop, "api_version", "shop settings"),
        base_url=shop.get("admin_base_url"),
    )


def _woocommerce_client(store_id: str, shop: dict, credentials: dict) -> WooCommerceAdmin:
    return WooCommerceAdmin(
        _required(store_id, shop, "site_url", "shop settings"),
        _required(store_id, credentials, "consumer_key", "admin-api secret"),
        _required(store_id, credentials, "consumer_secret", "admin-api secret"),
        base_url=shop.get("admin_base_url"),
    )


def _same_address(left: str, right: str) -> bool:
    return left.rstrip("/") == right.rstrip("/")


# -- Shopify -----------------------------------------------------------------------------------

SHOPIFY_TOPICS = shopify_platform.SUBSCRIBED_TOPICS


def _shopify_subscriptions(client: ShopifyAdmin) -> list[dict]:
    found = client.webhook_subscriptions(list(SHOPIFY_TOPICS))
    return [{**subscription, "topic_name": topic_name(subscription["topic"], SHOPIFY_TOPICS)} for subscription in found]


def _shopify_foreign(existing: list[dict], address: str) -> list[Subscription]:
    # The API lists only this app's subscriptions: any of Encore's topics sent elsewhere is
    # this app delivering to another address (an older deployment's API, a typo).
    return [
        Subscription(s["topic_name"], s["uri"], "foreign", "this app also sends this topic to another address: delete it in the app if that deployment is gone")
        for s in existing
        if not _same_address(s["uri"], address)
    ]


def _shopify_register(client: ShopifyAdmin, address: str) -> list[Subscription]:
    existing = _shopify_subscriptions(client)
    results = []
    for topic in SHOPIFY_TOPICS:
        mine = [s for s in existing if s["topic_name"] == topic and _same_address(s["uri"], address)]
        if any(s.get("format", "JSON") == "JSON" for s in mine):
            results.append(Subscription(topic, address, "present"))
            continue
        replaced = ""
        for wrong in mine:  # XML deliveries: Encore reads JSON, and Shopify allows one per address
            client.delete_webhook_subscription(wrong["id"])
            replaced = " (replaced an XML subscription)"
        created = client.create_webhook_subscription(topic, address, "JSON")
        results.append(Subscription(topic, address, "created", f"{created['id']}{replaced}"))
    return results + _shopify_foreign(existing, address)


def _shopify_check(client: ShopifyAdmin, address: str) -> list[Subscription]:
    existing = _shopify_subscriptions(client)
    results = []
    for topic in SHOPIFY_TOPICS:
        mine = [s for s in existing if s["topic_name"] == topic and _same_address(s["uri"], address)]
        if not mine:
            results.append(Subscription(topic, address, "missing", f"not subscribed ({SHOPIFY_NO_FAILURE_COUNT}): run `encore webhooks register`"))
        elif all(s.get("format") != "JSON" for s in mine):
            results.append(Subscription(topic, address, "failing", "delivers XML, which Encore rejects: run `encore webhooks register` to replace it"))
        else:
            results.append(Subscription(topic, address, "present", SHOPIFY_NO_FAILURE_COUNT))
    return results + _shopify_foreign(existing, address)


# -- WooCommerce -------------------------------------------------------------------------------

WOOCOMMERCE_TOPICS = woocommerce_platform.SUBSCRIBED_TOPICS
ENCORE_PATH = "/webhooks/woocommerce/"
WOOCOMMERCE_DISABLED = "WooCommerce disabled it (it does so after 5 consecutive failed deliveries)"


def _woocommerce_mine(existing: list[dict], topic: str, address: str) -> list[dict]:
    mine = [w for w in existing if w.get("topic") == topic and _same_address(w.get("delivery_url") or "", address)]
    return sorted(mine, key=lambda w: (w.get("status") != "active", w.get("id") or 0))  # keep an active one, the oldest


def _woocommerce_foreign(existing: list[dict], address: str) -> list[Subscription]:
    # Other plugins' webhooks are none of Encore's business; another *Encore* address is.
    return [
        Subscription(
            w["topic"],
            w["delivery_url"],
            "foreign",
            f"webhook {w['id']} ({w.get('status')}) sends this topic to another Encore address: delete it in WooCommerce if that deployment is gone",
        )
        for w in existing
        if w.get("topic") in WOOCOMMERCE_TOPICS and ENCORE_PATH in (w.get("delivery_url") or "") and not _same_address(w["delivery_url"], address)
    ]


def _woocommerce_register(client: WooCommerceAdmin, address: str, secret: str) -> list[Subscription]:
    existing = client.webhooks()
    results = []
    for topic in WOOCOMMERCE_TOPICS:
        mine = _woocommerce_mine(existing, topic, address)
        if not mine:
            created = client.create_webhook(name=f"Encore {topic}", topic=topic, delivery_url=address, secret=secret)
            results.append(Subscription(topic, address, "created", f"webhook {created['id']}"))
            continue
        keep, extra = mine[0], mine[1:]
        for duplicate in extra:
            client.delete_webhook(duplicate["id"])
        notes = [f"webhook {keep['id']}", "secret re-applied"]
        if keep.get("status") != "active":
            client.update_webhook(keep["id"], status="active", secret=secret)
            notes.append(f"re-activated (was {keep.get('status')})")
        else:
            client.update_webhook(keep["id"], secret=secret)
        if extra:
            notes.append(f"removed {len(extra)} duplicate(s)")
        results.append(Subscription(topic, address, "present", "; ".join(notes)))
    return results + _woocommerce_foreign(existing, address)


def _woocommerce_check(client: WooCommerceAdmin, address: str) -> list[Subscription]:
    existing = client.webhooks()
    results = []
    for topic in WOOCOMMERCE_TOPICS:
        mine = _woocommerce_mine(existing, topic, address)
        if not mine:
            results.append(Subscription(topic, address, "missing", "no webhook: run `encore webhooks register`"))
            continue
        webhook = mine[0]
        more = f"; {len(mine) - 1} duplicate(s): register removes them" if len(mine) > 1 else ""
        status = webhook.get("status")
        if status == "active":
            results.append(Subscription(topic, address, "present", f"webhook {webhook['id']}{more}"))
        elif status == "disabled":
            results.append(
                Subscription(topic, address, "disabled", f"webhook {webhook['id']}: {WOOCOMMERCE_DISABLED}; `encore webhooks register` re-activates it{more}")
            )
        else:
            results.append(
                Subscription(topic, address, "paused", f"webhook {webhook['id']}: paused by a store admin; `encore webhooks register` re-activates it{more}")
            )
    return results + _woocommerce_foreign(existing, address)
