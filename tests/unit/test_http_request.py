"""ingest.WebhookRequest.from_http_api: what both HTTP handlers (webhooks and the browser's
events) read from an HTTP API payload 2.0 event."""

from __future__ import annotations

import base64

from encore.ingest import WebhookRequest


def test_the_body_stays_the_bytes_the_sender_signed_and_headers_are_lower_case():
    body = '{"note": "Ціна €12"}'.encode()
    event = {
        "headers": {"Content-Type": "application/json", "X-Shopify-Hmac-Sha256": "abc="},
        "body": base64.b64encode(body).decode(),
        "isBase64Encoded": True,
        "pathParameters": {"store_id": "corner-shop"},
        "requestContext": {"http": {"method": "OPTIONS"}},
    }
    request = WebhookRequest.from_http_api(event)
    assert request.body == body
    assert request.header("x-shopify-hmac-sha256") == "abc=" and request.media_type == "application/json"
    assert (request.path_parameters, request.method) == ({"store_id": "corner-shop"}, "OPTIONS")


def test_a_text_body_is_its_utf8_bytes_and_missing_parts_have_defaults():
    request = WebhookRequest.from_http_api({"body": "Ціна"})
    assert (request.body, request.headers, request.path_parameters, request.method) == ("Ціна".encode(), {}, {}, "POST")
    assert WebhookRequest.from_http_api({"body": None}).body == b""
