"""A small Shopify Admin GraphQL client: one endpoint, the access token, cost-aware retries.

``POST https://{shop}/admin/api/{version}/graphql.json`` with ``X-Shopify-Access-Token`` and
``{"query", "variables"}``. How Shopify answers, and what this client makes of it:

- HTTP 401 (``{"errors": "[API] Invalid API key or access token ..."}``) or 403, and a
  top-level error with ``extensions.code == "ACCESS_DENIED"`` (a missing access scope):
  ``ShopAuthRefused``.
- HTTP 200 with a top-level ``errors[].extensions.code == "THROTTLED"``: the app's leaky
  bucket of cost points lacks the query's ``requestedQueryCost``. Shopify sends no
  Retry-After; ``extensions.cost.throttleStatus`` says what is available and how fast it
  refills, so the client sleeps exactly until the bucket holds the query's cost and retries,
  a bounded number of times, then raises ``ShopThrottled``. (HTTP 429 is treated the same.)
- HTTP 200 with ``userErrors`` in a mutation's payload: the mutation was refused
  (``ShopRefused`` naming the field and Shopify's message).
- Any other top-level error (a query Shopify rejects): ``ShopRefused`` with its code.

Reconciliation reads orders, abandoned checkouts and customers through the REST Admin API
(``GET /admin/api/{version}/orders.json`` ...): Shopify calls REST legacy but still serves it to
custom apps, and a REST resource is exactly the payload of its webhook, so the recovered
resource goes through the webhook parser unchanged. REST pages follow the ``Link`` header's
``page_info`` cursor (a request with ``page_info`` may carry only ``limit`` and ``fields``);
HTTP 429 carries ``Retry-After`` (the REST leaky bucket: 40 requests, 2 per second).
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode, urlsplit

from encore.adapters.shop_http import (
    DEFAULT_TIMEOUT,
    ShopAuthRefused,
    ShopRefused,
    ShopThrottled,
    ShopUnreachable,
    require_https,
    send,
)

MAX_THROTTLE_RETRIES = 5
MAX_THROTTLE_WAIT = 30.0  # seconds for one wait: a full 2000-point bucket refills in 20 s at 100/s
REST_PAGE_SIZE = 250  # REST's maximum limit
REST_MAX_PAGES = 400  # 100,000 resources per kind and run: far beyond one outage
PAGE_SIZE = 100  # webhookSubscriptions(first: 100): requested cost 2 + 100 x 1, far below the 1000 per query

WEBHOOK_FIELDS = "id topic uri format createdAt"

WEBHOOK_SUBSCRIPTIONS = f"""
query EncoreWebhookSubscriptions($first: Int!, $after: String, $topics: [WebhookSubscriptionTopic!]) {{
  webhookSubscriptions(first: $first, after: $after, topics: $topics) {{
    edges {{ cursor node {{ {WEBHOOK_FIELDS} }} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""

WEBHOOK_SUBSCRIPTION_CREATE = f"""
mutation EncoreWebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!) {{
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {{
    webhookSubscription {{ {WEBHOOK_FIELDS} }}
    userErrors {{ field message }}
  }}
}}
"""

WEBHOOK_SUBSCRIPTION_DELETE = """
mutation EncoreWebhookSubscriptionDelete($id: ID!) {
  webhookSubscriptionDelete(id: $id) {
    deletedWebhookSubscriptionId
    userErrors { field message }
  }
}
"""


def topic_enum(topic: str) -> str:
    """'orders/create' -> 'ORDERS_CREATE' (the GraphQL WebhookSubscriptionTopic value)."""
    return topic.upper().replace("/", "_")


def topic_name(enum_value: str, known: tuple[str, ...] = ()) -> str:
    """'ORDERS_CREATE' -> 'orders/create'; topics Encore knows are matched exactly, others are
    split at their last underscore (right for nearly all: 'INVENTORY_LEVELS_UPDATE')."""
    for topic in known:
        if topic_enum(topic) == enum_value:
            return topic
    resource, _, event = enum_value.lower().rpartition("_")
    return f"{resource}/{event}" if resource else enum_value.lower()


# The Admin API version for a shop document that names none (documents written before
# `encore store add` recorded one); a newer document names its own.
DEFAULT_API_VERSION = "2025-10"


class ShopifyAdmin:
    @classmethod
    def for_shop(cls, shop: dict, credentials: dict | None, **options) -> ShopifyAdmin:
        """The client for a store's shop document and admin-api secret (the one construction
        the layer uses). A missing token is ShopAuthRefused, a missing domain ShopMisconfigured
        (its address is not an https URL); ``options`` as for the constructor."""
        return cls(
            shop.get("shop_domain") or "",
            (credentials or {}).get("access_token") or "",
            shop.get("api_version") or DEFAULT_API_VERSION,
            base_url=shop.get("admin_base_url"),
            **options,
        )

    def __init__(
        self,
        shop_domain: str,
        access_token: str,
        api_version: str,
        *,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_throttle_retries: int = MAX_THROTTLE_RETRIES,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if not access_token:
            raise ShopAuthRefused(f'no Admin API access token for {shop_domain}: store it as admin-api {{"access_token": "shpat_..."}}')
        base = (base_url or f"https://{shop_domain}").rstrip("/")
        require_https(base, f"the Admin API address of {shop_domain}")
        self.shop_domain = shop_domain
        self.url = f"{base}/admin/api/{api_version}/graphql.json"
        self.rest_base = f"{base}/admin/api/{api_version}"
        self._token = access_token
        self.timeout = timeout
        self.max_throttle_retries = max_throttle_retries
        self._sleep = sleep
        self.last_cost: dict | None = None  # extensions.cost of the last answer (for callers pacing bulk work)

    # -- GraphQL ---------------------------------------------------------------------------

    def execute(self, query: str, variables: dict | None = None) -> dict:
        """The ``data`` of one GraphQL operation, after waiting out throttling."""
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        headers = {"Content-Type": "application/json", "X-Shopify-Access-Token": self._token}
        for attempt in range(self.max_throttle_retries + 1):
            response = send("POST", self.url, headers=headers, body=body, timeout=self.timeout, shop=self.shop_domain)
            wait = self._throttle_wait(response)
            if wait is None:
                return self._data(response)
            if attempt == self.max_throttle_retries:
                break
            self._sleep(wait)
        raise ShopThrottled(
            f"Shopify kept throttling {self.shop_domain} after {self.max_throttle_retries} waits ({self._bucket_text()}); try again in a minute"
        )

    def mutate(self, mutation: str, variables: dict, payload_field: str) -> dict:
        """A mutation's payload; ``userErrors`` in it raise ShopRefused."""
        payload = self.execute(mutation, variables).get(payload_field) or {}
        errors = payload.get("userErrors") or []
        if errors:
            first = errors[0]
            field = ".".join(str(part) for part in first.get("field") or [])
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            raise ShopRefused(
                f"Shopify refused {payload_field} on {self.shop_domain}: {first.get('message')}{f' [{field}]' if field else ''}{more}",
                code=first.get("code") or "USER_ERROR",
                field=field,
            )
        return payload

    def _throttle_wait(self, response) -> float | None:
        """Seconds to wait before retrying, or None when the answer is not throttling."""
        if response.status == 429:
            retry_after = response.header("Retry-After")
            return min(float(retry_after), MAX_THROTTLE_WAIT) if retry_after and retry_after.replace(".", "", 1).isdigit() else 1.0
        data = response.data if isinstance(response.data, dict) else {}
        reported = data.get("errors")
        errors = reported if isinstance(reported, list) else []
        if response.status != 200 or not any((error.get("extensions") or {}).get("code") == "THROTTLED" for error in errors if isinstance(error, dict)):
            return None
        cost = (data.get("extensions") or {}).get("cost") or {}
        self.last_cost = cost
        status = cost.get("throttleStatus") or {}
        requested = float(cost.get("requestedQueryCost") or 0)
        available = float(status.get("currentlyAvailable") or 0)
        rate = float(status.get("restoreRate") or 0)
        if rate <= 0:
            return 1.0
        # The bucket must hold the query's whole requested cost before Shopify runs it.
        return min(max(requested - available, 0.0) / rate + 0.05, MAX_THROTTLE_WAIT)

    def _bucket_text(self) -> str:
        cost = self.last_cost or {}
        status = cost.get("throttleStatus") or {}
        if not status:
            return "HTTP 429"
        return f"needs {cost.get('requestedQueryCost')} points, {status.get('currentlyAvailable')} of {status.get('maximumAvailable')} available, restoring {status.get('restoreRate')}/s"

    def _data(self, response) -> dict:
        data = response.data if isinstance(response.data, dict) else None
        if response.status in (401, 403):
            said = _said(data) or f"HTTP {response.status}"
            raise ShopAuthRefused(
                f"Shopify refused the Admin API access token for {self.shop_domain} (HTTP {response.status}: {said}); check the token and the app's access scopes"
            )
        if response.status >= 500:
            raise ShopUnreachable(f"Shopify answered HTTP {response.status} for {self.shop_domain}; try again later")
        if response.status == 404:
            raise ShopRefused(f"no Admin GraphQL API at {self.url} (HTTP 404): check shop_domain and api_version", code="NOT_FOUND")
        if response.status != 200 or data is None:
            raise ShopRefused(
                f"Shopify answered HTTP {response.status} for {self.shop_domain}: {_said(data) or 'no JSON body'}", code=f"HTTP_{response.status}"
            )
        self.last_cost = (data.get("extensions") or {}).get("cost") or self.last_cost
        errors = data.get("errors")
        if errors:
            first: dict = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {"message": str(errors)}
            code = (first.get("extensions") or {}).get("code") or ""
            if code == "ACCESS_DENIED":
                raise ShopAuthRefused(f"Shopify denied access on {self.shop_domain}: {first.get('message')} (grant the scope to the app and reinstall it)")
            raise ShopRefused(
                f"Shopify rejected the request on {self.shop_domain}: {first.get('message')}{f' ({code})' if code else ''}", code=code or "GRAPHQL_ERROR"
            )
        return data.get("data") or {}

    # -- REST (reconciliation) --------------------------------------------------------------

    def rest_get(self, path: str, params: dict) -> tuple[object, str | None]:
        """One REST GET: (the JSON body, the next page's ``page_info`` or None)."""
        url = f"{self.rest_base}/{path}?{urlencode(params)}"
        headers = {"X-Shopify-Access-Token": self._token}
        for attempt in range(self.max_throttle_retries + 1):
            response = send("GET", url, headers=headers, timeout=self.timeout, shop=self.shop_domain)
            if response.status != 429:
                break
            if attempt == self.max_throttle_retries:
                raise ShopThrottled(f"Shopify kept answering HTTP 429 for {self.shop_domain} after {self.max_throttle_retries} waits; try again in a minute")
            self._sleep(self._throttle_wait(response) or 1.0)
        if response.status in (401, 403):
            said = _said(response.data) or f"HTTP {response.status}"
            raise ShopAuthRefused(
                f"Shopify refused GET {path} for {self.shop_domain} (HTTP {response.status}: {said}); check the token and the app's access scopes"
            )
        if response.status >= 500:
            raise ShopUnreachable(f"Shopify answered HTTP {response.status} to GET {path} for {self.shop_domain}; try again later")
        if response.status != 200 or response.data is None:
            said = _said(response.data) or "no JSON body"
            raise ShopRefused(f"Shopify answered HTTP {response.status} to GET {path} for {self.shop_domain}: {said}", code=f"HTTP_{response.status}")
        return response.data, _next_page_info(response.header("Link"))

    def updated_since(self, resource: str, since: datetime, until: datetime | None = None, **filters: str) -> list[dict]:
        """Every ``resource`` ('orders', 'checkouts', 'customers') updated in [since, until],
        page by page: the filters go on the first request only, as Shopify requires."""
        params = {"limit": REST_PAGE_SIZE, "updated_at_min": _rest_time(since), **filters}
        if until is not None:
            params["updated_at_max"] = _rest_time(until)
        found: list[dict] = []
        for _ in range(REST_MAX_PAGES):
            data, page_info = self.rest_get(f"{resource}.json", params)
            found.extend((data if isinstance(data, dict) else {}).get(resource) or [])
            if not page_info:
                return found
            params = {"limit": REST_PAGE_SIZE, "page_info": page_info}
        raise ShopRefused(
            f"more than {REST_MAX_PAGES * REST_PAGE_SIZE} {resource} updated since {_rest_time(since)} on {self.shop_domain}: reconcile a shorter window",
            code="TOO_MANY",
        )

    def orders_updated(self, since: datetime, until: datetime | None = None) -> list[dict]:
        # status=any: the default (open) leaves out closed and cancelled orders.
        return self.updated_since("orders", since, until, status="any")

    def abandoned_checkouts_updated(self, since: datetime, until: datetime | None = None) -> list[dict]:
        # checkouts.json lists abandoned checkouts only (a completed one became an order).
        return self.updated_since("checkouts", since, until)

    def customers_updated(self, since: datetime, until: datetime | None = None) -> list[dict]:
        return self.updated_since("customers", since, until)

    # -- webhook subscriptions ----------------------------------------------------------------

    def webhook_subscriptions(self, topics: list[str] | None = None) -> list[dict]:
        """Every subscription this app made on this shop through the API (``topics``: Shopify
        topic names, e.g. 'orders/create'), following the cursor through every page."""
        subscriptions: list[dict] = []
        after: str | None = None
        variables_topics = [topic_enum(topic) for topic in topics] if topics else None
        for _ in range(math.ceil(10_000 / PAGE_SIZE)):  # bounded: far beyond any real app
            data = self.execute(WEBHOOK_SUBSCRIPTIONS, {"first": PAGE_SIZE, "after": after, "topics": variables_topics})
            connection = data.get("webhookSubscriptions") or {}
            subscriptions.extend(edge["node"] for edge in connection.get("edges") or [])
            page = connection.get("pageInfo") or {}
            if not page.get("hasNextPage"):
                break
            after = page.get("endCursor")
        return subscriptions

    def create_webhook_subscription(self, topic: str, uri: str, format: str = "JSON") -> dict:
        payload = self.mutate(
            WEBHOOK_SUBSCRIPTION_CREATE,
            {"topic": topic_enum(topic), "webhookSubscription": {"uri": uri, "format": format}},
            "webhookSubscriptionCreate",
        )
        return payload["webhookSubscription"]

    def delete_webhook_subscription(self, subscription_id: str) -> str:
        payload = self.mutate(WEBHOOK_SUBSCRIPTION_DELETE, {"id": subscription_id}, "webhookSubscriptionDelete")
        return payload.get("deletedWebhookSubscriptionId") or subscription_id

    # -- customer marketing consent (encore.consent_sync) -------------------------------------

    def update_marketing_consent(self, channel: str, customer_id: str, state: str, updated_at: datetime) -> dict:
        """Set a customer's email or SMS marketing state (``UNSUBSCRIBED`` for an opt-out made
        in Encore). Setting the state the shop already holds is harmless; ``consentUpdatedAt``
        is the moment of the customer's act, so a later consent at the shop is kept."""
        mutation, payload_field, input_field = CONSENT_MUTATIONS[channel]
        consent = {"marketingState": state, "consentUpdatedAt": updated_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
        return self.mutate(mutation, {"input": {"customerId": customer_gid(customer_id), input_field: consent}}, payload_field)


def customer_gid(customer_id: str) -> str:
    """Encore's customer id for a Shopify store is Shopify's numeric id (webhooks' ``id``)."""
    return f"gid://shopify/Customer/{customer_id}"


EMAIL_CONSENT_UPDATE = """
mutation EncoreEmailMarketingConsentUpdate($input: CustomerEmailMarketingConsentUpdateInput!) {
  customerEmailMarketingConsentUpdate(input: $input) {
    customer { id }
    userErrors { field message code }
  }
}
"""

SMS_CONSENT_UPDATE = """
mutation EncoreSmsMarketingConsentUpdate($input: CustomerSmsMarketingConsentUpdateInput!) {
  customerSmsMarketingConsentUpdate(input: $input) {
    customer { id }
    userErrors { field message code }
  }
}
"""

# channel -> (mutation, its payload field, the consent field of its input)
CONSENT_MUTATIONS = {
    "email": (EMAIL_CONSENT_UPDATE, "customerEmailMarketingConsentUpdate", "emailMarketingConsent"),
    "sms": (SMS_CONSENT_UPDATE, "customerSmsMarketingConsentUpdate", "smsMarketingConsent"),
}


_NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def _next_page_info(link: str | None) -> str | None:
    """The ``page_info`` of the ``rel="next"`` URL in a Link header (its host is the shop's
    own domain: only the cursor is taken, the request goes to this client's base URL)."""
    found = _NEXT_LINK.search(link or "")
    if not found:
        return None
    values = parse_qs(urlsplit(found.group(1)).query).get("page_info")
    return values[0] if values else None


def _rest_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _said(data) -> str:
    """What a Shopify error body says, in one short line."""
    if not isinstance(data, dict):
        return ""
    errors = data.get("errors")
    if isinstance(errors, str):
        return errors
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("message", ""))
    if isinstance(errors, dict):
        return "; ".join(f"{key}: {value}" for key, value in errors.items())
    return ""
