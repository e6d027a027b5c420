"""Reconciliation: what the shop holds but never reached Encore, fed through the ingest path.

Webhooks are lost for good after an outage longer than Shopify's retries (8 over 4 hours),
when Shopify deletes a subscription after 8 failures in a row, or when WooCommerce (which
never retries) disables one after 5. The shop's admin API still has the resources: the
orders, abandoned checkouts and customers updated in a window are read and each becomes the
webhook request the shop would have sent (same topic, same payload: a REST resource is its
webhook's payload), signed with the store's webhook secret and handed to
``encore.ingest.accept`` with the store's platform, so validation, normalisation, dedupe and
publishing are exactly those of a webhook. Nothing here writes state of its own.

Why running it twice, or after the webhook did arrive, changes nothing twice:
- each recovered resource carries a deterministic event id,
  ``reconcile:<kind>:<id>:<updated_at>`` (Shopify's ``X-Shopify-Event-Id`` slot, WooCommerce's
  delivery id), so a second run is a duplicate at ingest;
- an order the webhook delivered has another event id, but orders count once per order id
  (``encore.orders``: the order item's ``placed_at`` is set once), and moments set once;
- a checkout's journey is named by its cart (``encore.journeys``): a second start is refused,
  and a cart already ordered or newer stays as it is (``encore.carts``).

Order of feeding: customers, then checkouts, then orders, then the orders' status events
(``orders/paid``, ``orders/cancelled``), each kind oldest first, so an order closes the cart
its checkout opened and a status finds its order.

On a schedule (``functions/scheduled_jobs``, hourly): ``reconcile_on_schedule`` reads each
window from where the last scheduled run of the store ended (``ReconcileMark``), so a webhook
the shop dropped is recovered within the hour; the mark moves only after a run that read the
whole window, so a failed run is covered by the next one. What it reads, and the mark, go
through ``encore.storage.reconciliation``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from encore import signatures
from encore.adapters.bus import EventPublisher
from encore.adapters.secrets import StoreParameters
from encore.adapters.shop_http import ShopMisconfigured
from encore.clock import parse_iso
from encore.errors import ClientError
from encore.ingest import Platform, WebhookRequest, accept
from encore.observability import logger
from encore.storage.reconciliation import DynamoReconcileState, ReconcileState

KINDS = ("customers", "checkouts", "orders")


@dataclass
class KindCount:
    found: int = 0  # in the shop, updated in the window
    recovered: int = 0  # fed to ingest and new to Encore
    already_known: int = 0  # Encore had it (an earlier run, or its webhook did arrive)
    rejected: int = 0  # ingest refused it (invalid for the parser): named in the log, not fed
    ignored: int = 0  # ingest acknowledged it without an event (a draft order, a guest's cart)


@dataclass
class ReconcileReport:
    store_id: str
    since: datetime
    until: datetime
    counts: dict[str, KindCount] = field(default_factory=lambda: {kind: KindCount() for kind in KINDS})
    problems: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"{kind:<10} found {count.found:>5}  recovered {count.recovered:>5}  already known {count.already_known:>5}"
            + (f"  rejected {count.rejected}" if count.rejected else "")
            + (f"  ignored {count.ignored}" if count.ignored else "")
            for kind, count in self.counts.items()
        ]


@dataclass(frozen=True)
class _Delivery:
    """One webhook the shop would have sent for a resource."""

    kind: str
    topic: str
    resource: dict
    event_id: str
    known: bool = False  # Encore had this resource before this run


def _stamp(text: str | None) -> str:
    return text or "unknown"


def _shopify_deliveries(store_id: str, client, since: datetime, until: datetime, state: ReconcileState) -> list[_Delivery]:
    customers = sorted(client.customers_updated(since, until), key=lambda item: item["updated_at"])
    checkouts = sorted(client.abandoned_checkouts_updated(since, until), key=lambda item: item["updated_at"])
    orders = sorted(client.orders_updated(since, until), key=lambda item: item.get("created_at") or item["updated_at"])
    deliveries: list[_Delivery] = []
    for customer in customers:
        deliveries.append(_Delivery("customers", "customers/update", customer, f"reconcile:customer:{customer['id']}:{_stamp(customer.get('updated_at'))}"))
    for checkout in checkouts:
        deliveries.append(
            _Delivery(
                "checkouts",
                "checkouts/update",
                checkout,
                f"reconcile:checkout:{checkout['token']}:{_stamp(checkout.get('updated_at'))}",
                _checkout_known(store_id, checkout, state),
            )
        )
    statuses: list[_Delivery] = []
    for order in orders:
        event_id = f"reconcile:order:{order['id']}:{_stamp(order.get('updated_at'))}"
        known = state.order_known(store_id, str(order["id"]))
        deliveries.append(_Delivery("orders", "orders/create", order, event_id, known))
        # The order's state says what else happened to it: its paid and cancelled moments.
        if order.get("financial_status") in ("paid", "partially_refunded", "refunded"):
            statuses.append(_Delivery("orders", "orders/paid", order, event_id, True))
        if order.get("cancelled_at"):
            statuses.append(_Delivery("orders", "orders/cancelled", order, event_id, True))
    return deliveries + statuses


def _checkout_known(store_id: str, checkout: dict, state: ReconcileState) -> bool:
    customer = checkout.get("customer") or {}
    if not customer.get("id"):
        return False
    cart = state.cart(store_id, str(customer["id"]), checkout.get("cart_token") or checkout["token"])
    if cart is None:
        return False
    try:
        return cart.status == "ordered" or cart.updated_at >= parse_iso(checkout["updated_at"])
    except (KeyError, ValueError):
        return False


# WooCommerce order statuses whose change only order.updated carries (processing is the
# paid moment order.created already gives).
_WOO_STATUS_UPDATES = {"completed", "cancelled", "refunded"}


def _woocommerce_deliveries(store_id: str, client, since: datetime, until: datetime, state: ReconcileState) -> list[_Delivery]:
    customers = sorted(client.customers_modified(since, until), key=lambda item: item.get("date_modified_gmt") or item.get("date_created_gmt") or "")
    orders = sorted(client.orders_modified(since, until), key=lambda item: item.get("date_created_gmt") or "")
    deliveries = [
        _Delivery(
            "customers",
            "customer.updated",
            customer,
            f"reconcile:customer:{customer['id']}:{_stamp(customer.get('date_modified_gmt') or customer.get('date_created_gmt'))}",
        )
        for customer in customers
    ]
    statuses = []
    for order in orders:
        event_id = f"reconcile:order:{order['id']}:{_stamp(order.get('date_modified_gmt'))}"
        known = state.order_known(store_id, str(order["id"]))
        # order.created gives the order (and its payment when paid at checkout); order.updated
        # only ever a status change, so a missed order is recovered as its creation.
        deliveries.append(_Delivery("orders", "order.created", order, f"{event_id}:created", known))
        if order.get("status") in _WOO_STATUS_UPDATES:
            statuses.append(_Delivery("orders", "order.updated", order, f"{event_id}:updated", True))
    return deliveries + statuses


def _shopify_request(delivery: _Delivery, shop_domain: str, secret: str) -> WebhookRequest:
    body = json.dumps(delivery.resource).encode()
    headers = {
        "content-type": "application/json",
        "x-shopify-topic": delivery.topic,
        "x-shopify-shop-domain": shop_domain,
        "x-shopify-event-id": delivery.event_id,
        "x-shopify-webhook-id": f"{delivery.event_id}:{delivery.topic}",
        "x-shopify-hmac-sha256": signatures.sign_base64(secret, body),
    }
    return WebhookRequest(headers=headers, body=body)


def _woocommerce_request(delivery: _Delivery, store_id: str, secret: str) -> WebhookRequest:
    from encore.platforms.woocommerce import DELIVERY_ID_HEADER, SIGNATURE_HEADER, TOPIC_HEADER

    body = json.dumps(delivery.resource).encode()
    headers = {
        "content-type": "application/json",
        TOPIC_HEADER.lower(): delivery.topic,
        DELIVERY_ID_HEADER.lower(): delivery.event_id,
        SIGNATURE_HEADER.lower(): signatures.sign_base64(secret, body),
    }
    return WebhookRequest(headers=headers, body=body, path_parameters={"store_id": store_id})


def reconcile_store(
    store_id: str,
    shop: dict,
    *,
    admin_client,
    since: datetime,
    until: datetime,
    parameters: StoreParameters,
    publisher: EventPublisher,
    storage: ReconcileState | None = None,
) -> ReconcileReport:
    """Feed every resource the shop updated in [since, until] through ingest; count them.

    ``admin_client`` is the store's ShopifyAdmin or WooCommerceAdmin. Safe to repeat."""
    from encore.platforms.shopify import SHOPIFY
    from encore.platforms.woocommerce import WOOCOMMERCE

    state = storage or DynamoReconcileState()
    platform_name = (shop or {}).get("platform")
    secret = parameters.webhook_secret(store_id)
    if not secret:
        raise ShopMisconfigured(f"store {store_id!r} has no webhook secret: ingest could not verify what reconcile feeds it")
    platform: Platform
    build: Callable[[_Delivery], WebhookRequest]
    if platform_name == "shopify":
        deliveries = _shopify_deliveries(store_id, admin_client, since, until, state)
        platform, build = SHOPIFY, lambda delivery: _shopify_request(delivery, shop["shop_domain"], secret)
    elif platform_name == "woocommerce":
        deliveries = _woocommerce_deliveries(store_id, admin_client, since, until, state)
        platform, build = WOOCOMMERCE, lambda delivery: _woocommerce_request(delivery, store_id, secret)
    else:
        raise ShopMisconfigured(f"store {store_id!r} is on platform {platform_name!r}: only Shopify and WooCommerce stores can be reconciled")
    report = ReconcileReport(store_id=store_id, since=since, until=until)
    primary = {"customers/update", "checkouts/update", "orders/create", "customer.updated", "order.created"}
    for delivery in deliveries:
        count = report.counts[delivery.kind]
        is_primary = delivery.topic in primary
        if is_primary:
            count.found += 1
        try:
            result = accept(platform, build(delivery), parameters=parameters, publisher=publisher)
        except ClientError as error:
            # A resource the parser refuses (a webhook would have been refused the same way).
            report.problems.append(f"{delivery.topic} {delivery.event_id}: {error.reason}")
            logger.warning("reconciled resource rejected by ingest", extra={"topic": delivery.topic, "reason": error.reason})
            if is_primary:
                count.rejected += 1
            continue
        if not is_primary:
            continue  # a status event of an order: counted with its order
        if not result.accepted and not result.duplicates:
            count.ignored += 1
        elif result.accepted and not delivery.known:
            count.recovered += 1
        else:
            count.already_known += 1
    logger.info("store reconciled", extra={"store_id": store_id, "counts": {kind: vars(count) for kind, count in report.counts.items()}})
    return report


# ------------------------------------------------------------------ on a schedule

# A shop writes ``updated_at`` when the change happens, and its API may show the change a
# little later (Shopify's search index lags seconds to minutes): each window reaches back
# over the end of the last one. Re-reading costs nothing twice (dedupe, see above).
SCHEDULE_OVERLAP = timedelta(minutes=15)
# A store's first scheduled run (no mark yet) looks back one day: longer than Shopify's 4
# hours of retries, and what `encore reconcile --since` is for beyond that.
FIRST_WINDOW = timedelta(days=1)


def shop_admin(store_id: str, shop: dict, credentials: dict | None):
    """The store's admin API client (ShopifyAdmin or WooCommerceAdmin) from its shop document
    and its admin-api credentials: what reconciliation reads the shop through."""
    from encore.adapters.shopify_admin import ShopifyAdmin
    from encore.adapters.woocommerce_admin import WooCommerceAdmin

    credentials = credentials or {}
    platform = shop.get("platform")

    def required(document: dict, key: str, where: str) -> str:
        value = document.get(key)
        if not value or not isinstance(value, str):
            raise ShopMisconfigured(f"store {store_id!r} has no {key} in its {where}")
        return value

    if platform == "shopify":
        return ShopifyAdmin(
            required(shop, "shop_domain", "shop settings"),
            required(credentials, "access_token", "admin-api secret"),
            required(shop, "api_version", "shop settings"),
            base_url=shop.get("admin_base_url"),
        )
    if platform == "woocommerce":
        return WooCommerceAdmin(
            required(shop, "site_url", "shop settings"),
            required(credentials, "consumer_key", "admin-api secret"),
            required(credentials, "consumer_secret", "admin-api secret"),
            base_url=shop.get("admin_base_url"),
        )
    raise ShopMisconfigured(f"store {store_id!r} is on platform {platform!r}: only Shopify and WooCommerce stores can be reconciled")


def reconcile_on_schedule(
    store_id: str,
    shop: dict,
    *,
    credentials: dict | None,
    now: datetime,
    parameters: StoreParameters,
    publisher: EventPublisher,
    storage: ReconcileState | None = None,
) -> ReconcileReport:
    """One scheduled run for one store: from the end of its last run (less the overlap) to now."""
    state = storage or DynamoReconcileState()
    last_until = state.last_scheduled_until(store_id)
    since = (last_until - SCHEDULE_OVERLAP) if last_until is not None else now - FIRST_WINDOW
    report = reconcile_store(
        store_id,
        shop,
        admin_client=shop_admin(store_id, shop, credentials),
        since=since,
        until=now,
        parameters=parameters,
        publisher=publisher,
        storage=state,
    )
    # Moved only after a run that read the whole window: a failed run is covered by the next.
    state.mark_scheduled_run(store_id, now)
    return report
