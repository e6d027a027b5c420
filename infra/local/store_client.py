"""A store as the local stack sees it: signs and posts webhooks to the local HTTP API.

Used by the tests and by ``make demo``, so both send exactly what real platforms send.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass

from encore.signatures import sign_base64, sign_hex


@dataclass
class Reply:
    status: int
    body: dict | str

    @property
    def json(self) -> dict:
        return self.body if isinstance(self.body, dict) else json.loads(self.body)


@dataclass(frozen=True)
class StoreCredentials:
    store_id: str
    webhook_secret: str  # signs webhooks (Shopify app secret, WooCommerce webhook secret, generic API)
    api_key: str  # names the store on the generic events API


@dataclass
class StoreClient:
    api_url: str
    credentials: StoreCredentials

    @property
    def store_id(self) -> str:
        return self.credentials.store_id

    @property
    def secret(self) -> str:
        return self.credentials.webhook_secret

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> Reply:
        """POST as the platform would; a non-2xx comes back as a Reply, not an exception."""
        request = urllib.request.Request(self.api_url + path, data=body, method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        try:
            return Reply(status, json.loads(raw) if raw else {})
        except json.JSONDecodeError:
            return Reply(status, raw.decode("utf-8", "replace"))

    def shopify(
        self,
        topic: str,
        payload: dict | bytes,
        *,
        webhook_id: str | None = None,
        event_id: str | None = None,
        signature: str | None = None,
        triggered_at: str = "",
        shop_domain: str | None = None,
    ) -> Reply:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        webhook_id = webhook_id or str(uuid.uuid4())
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Shop-Domain": shop_domain or f"{self.store_id}.myshopify.com",
            "X-Shopify-Webhook-Id": webhook_id,
            # One delivery retried keeps both ids; a re-send of the event gets a new webhook id.
            "X-Shopify-Event-Id": event_id or f"event-of-{webhook_id}",
            "X-Shopify-Triggered-At": triggered_at,
            "X-Shopify-API-Version": "2025-10",
            "X-Shopify-Hmac-Sha256": sign_base64(self.secret, body) if signature is None else signature,
        }
        return self.post("/webhooks/shopify", body, {k: v for k, v in headers.items() if v != ""})

    def track(self, payload: dict | bytes, *, signature: str | None = None) -> Reply:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {self.credentials.api_key}",
            "X-Encore-Signature": sign_hex(self.secret, body) if signature is None else signature,
        }
        return self.post("/v1/events", body, {k: v for k, v in headers.items() if v != ""})
