"""WooCommerce webhooks to canonical events.

WooCommerce signs the raw body like Shopify (``X-WC-Webhook-Signature`` = base64
HMAC-SHA256 with the webhook's secret) and names the delivery in
``X-WC-Webhook-Delivery-ID`` (the dedupe key). The store is named in the URL the store
owner configures: ``/webhooks/woocommerce/<store id>``. When a webhook is created,
WooCommerce first sends an unsigned ping (``webhook_id=<n>``, form-encoded) and disables the
webhook unless it gets a 2xx.
"""

from __future__ import annotations

import re

from encore import signatures
from encore.ingest import IngestResult, Parsed, WebhookRequest

_PING = re.compile(rb"^webhook_id=\d+$")


class WooCommerce:
    name = "woocommerce"

    def handshake(self, request: WebhookRequest) -> IngestResult | None:
        if _PING.match(request.body.strip()):
            return IngestResult(status=200)
        return None

    def store_id(self, request: WebhookRequest, parameters) -> str | None:
        return request.path_parameters.get("store_id")

    def verify(self, request: WebhookRequest, secret: str) -> None:
        signatures.verify(signatures.sign_base64(secret, request.body), request.header("X-WC-Webhook-Signature"))

    def parse(self, request: WebhookRequest, payload: dict, store_id: str) -> Parsed:
        delivery_id = request.header("X-WC-Webhook-Delivery-ID") or ""
        return Parsed(ignored=[delivery_id])  # topics arrive in the next change


WOOCOMMERCE = WooCommerce()
