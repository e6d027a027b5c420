"""A small WooCommerce REST API v3 client: ``{site}/wp-json/wc/v3/...`` with the store's REST keys.

WooCommerce authenticates REST keys with HTTP Basic (consumer key as user, consumer secret as
password) only over HTTPS; over plain HTTP it expects OAuth 1.0a signatures instead. Encore
uses Basic over HTTPS only (plain HTTP is allowed for the local fakes on 127.0.0.1).

Errors are WordPress REST errors, ``{"code", "message", "data": {"status"}}``:
401 (``woocommerce_rest_cannot_view``: no or unknown key; ``woocommerce_rest_authentication_error``:
wrong secret, or a Read-only key writing) -> ``ShopAuthRefused``; any other 4xx -> ``ShopRefused``
carrying ``code`` (e.g. ``woocommerce_rest_shop_webhook_invalid_topic``, ``rest_invalid_param``,
``woocommerce_rest_coupon_code_already_exists``); 5xx -> ``ShopUnreachable``.
Collections are paginated with ``per_page`` (at most 100) and ``page``; ``X-WP-TotalPages``
says how many pages there are.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from urllib.parse import urlencode

from encore.adapters.shop_http import (
    DEFAULT_TIMEOUT,
    ShopAuthRefused,
    ShopRefused,
    ShopUnreachable,
    require_https,
    send,
)

API_PREFIX = "/wp-json/wc/v3"
PAGE_SIZE = 100  # WooCommerce's maximum per_page
MAX_PAGES = 100


class WooCommerceAdmin:
    @classmethod
    def for_shop(cls, shop: dict, credentials: dict | None) -> WooCommerceAdmin:
        """The client for a store's shop document and admin-api secret. Missing keys are
        ShopAuthRefused, a missing site URL ShopMisconfigured (it is not an https URL)."""
        credentials = credentials or {}
        return cls(
            shop.get("site_url") or "",
            credentials.get("consumer_key") or "",
            credentials.get("consumer_secret") or "",
            base_url=shop.get("admin_base_url"),
        )

    def __init__(self, site_url: str, consumer_key: str, consumer_secret: str, *, base_url: str | None = None, timeout: float = DEFAULT_TIMEOUT):
        if not consumer_key or not consumer_secret:
            raise ShopAuthRefused(f'no REST API keys for {site_url}: store admin-api as {{"consumer_key": "ck_...", "consumer_secret": "cs_..."}}')
        base = (base_url or site_url).rstrip("/")
        require_https(base, f"the WooCommerce site URL of {site_url}")
        self.site_url = site_url
        self.base = base + API_PREFIX
        self.timeout = timeout
        self._authorization = "Basic " + base64.b64encode(f"{consumer_key}:{consumer_secret}".encode()).decode()

    # -- REST ------------------------------------------------------------------------------

    def request(self, method: str, path: str, *, params: dict | None = None, body: dict | None = None):
        """One call; returns the Response (``.data`` is the JSON) or raises a ShopAdminError."""
        url = f"{self.base}/{path.lstrip('/')}" + (f"?{urlencode(params)}" if params else "")
        headers = {"Authorization": self._authorization}
        payload = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            payload = json.dumps(body).encode()
        response = send(method, url, headers=headers, body=payload, timeout=self.timeout, shop=self.site_url)
        if response.status < 400:
            return response
        data = response.data if isinstance(response.data, dict) else {}
        code, message = str(data.get("code") or ""), str(data.get("message") or "")
        where = f"{method} {API_PREFIX}/{path.lstrip('/')}"
        if response.status >= 500:
            raise ShopUnreachable(f"WooCommerce at {self.site_url} answered HTTP {response.status} to {where}; try again later")
        if response.status in (401, 403):
            raise ShopAuthRefused(
                f"WooCommerce at {self.site_url} refused the REST API keys (HTTP {response.status} {code or 'no code'}: {message or 'no message'}); "
                "check the consumer key and secret and that the key has Read/Write permissions"
            )
        if not code:
            raise ShopRefused(
                f"WooCommerce at {self.site_url} answered HTTP {response.status} to {where} without a REST error: is the REST API reachable at {self.base}?",
                code=f"http_{response.status}",
            )
        params_said = (data.get("data") or {}).get("params") if isinstance(data.get("data"), dict) else None
        detail = f" ({'; '.join(f'{key}: {value}' for key, value in params_said.items())})" if isinstance(params_said, dict) and params_said else ""
        raise ShopRefused(f"WooCommerce at {self.site_url} refused {where}: {message}{detail} [{code}]", code=code)

    def get_all(self, path: str, params: dict | None = None) -> list:
        """Every item of a collection, page by page (``X-WP-TotalPages``)."""
        items: list = []
        page = 1
        while page <= MAX_PAGES:
            response = self.request("GET", path, params={**(params or {}), "per_page": PAGE_SIZE, "page": page})
            items.extend(response.data or [])
            total_pages = int(response.header("X-WP-TotalPages") or 1)
            if page >= total_pages:
                break
            page += 1
        return items

    # -- reconciliation ----------------------------------------------------------------------

    def orders_modified(self, since: datetime, until: datetime | None = None) -> list[dict]:
        """Orders modified in [since, until] (``modified_after`` / ``modified_before``,
        WooCommerce 5.8+; ``dates_are_gmt`` makes them UTC), every status."""
        params = {"modified_after": _gmt(since), "dates_are_gmt": "true", "status": "any", "orderby": "modified", "order": "asc"}
        if until is not None:
            params["modified_before"] = _gmt(until)
        return self.get_all("orders", params)

    def customers_modified(self, since: datetime, until: datetime | None = None) -> list[dict]:
        """Customers modified in [since, until]. The customers endpoint has no date filter
        (only search, email, role, include...): every customer is listed and filtered on
        ``date_modified_gmt`` (or ``date_created_gmt`` for one never saved again) here."""
        found = []
        for customer in self.get_all("customers", {"role": "all", "orderby": "id", "order": "asc"}):
            stamp = customer.get("date_modified_gmt") or customer.get("date_created_gmt")
            if not stamp:
                continue
            moment = datetime.fromisoformat(stamp).replace(tzinfo=UTC)
            if moment >= since and (until is None or moment <= until):
                found.append(customer)
        return found

    # -- webhooks --------------------------------------------------------------------------

    def webhooks(self) -> list[dict]:
        return self.get_all("webhooks", {"status": "all"})

    def create_webhook(self, *, name: str, topic: str, delivery_url: str, secret: str) -> dict:
        # WooCommerce creates it active (whatever status is sent) and pings delivery_url once.
        return self.request("POST", "webhooks", body={"name": name, "topic": topic, "delivery_url": delivery_url, "secret": secret}).data

    def update_webhook(self, webhook_id: int, **fields) -> dict:
        return self.request("PUT", f"webhooks/{int(webhook_id)}", body=fields).data

    def delete_webhook(self, webhook_id: int) -> dict:
        # Webhooks cannot be trashed: without force=true WooCommerce answers 501.
        return self.request("DELETE", f"webhooks/{int(webhook_id)}", params={"force": "true"}).data


def _gmt(moment: datetime) -> str:
    """WooCommerce's REST date arguments: ISO 8601 without an offset (GMT with dates_are_gmt)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
