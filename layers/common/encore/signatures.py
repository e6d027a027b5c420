"""Webhook signatures, checked on the raw body before anything is parsed."""

from __future__ import annotations

import base64
import hashlib
import hmac

from encore.errors import SignatureMismatch


def _digest(secret: str, body: bytes) -> bytes:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()


def sign_base64(secret: str, body: bytes) -> str:
    """Shopify's and WooCommerce's form: base64 of the HMAC-SHA256."""
    return base64.b64encode(_digest(secret, body)).decode("ascii")


def sign_hex(secret: str, body: bytes) -> str:
    """The generic API's form: ``sha256=<hex>``."""
    return "sha256=" + _digest(secret, body).hex()


def verify(expected: str, given: str | None) -> None:
    if not given:
        raise SignatureMismatch("missing signature header")
    if not hmac.compare_digest(expected.encode("ascii"), given.strip().encode("ascii", "replace")):
        raise SignatureMismatch("signature does not match the body")
