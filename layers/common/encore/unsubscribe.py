"""One-click unsubscribe (RFC 8058): every marketing email carries a signed, unguessable
link; a POST to it (the mail client's one-click button) or the confirmation page's button
withdraws the customer's email marketing consent at once, so their waiting journeys send
no further marketing.

Token: ``<store>.<customer>.<signature>`` (base64url parts); the signature is an HMAC-SHA256
with the store's secret, domain-separated so a webhook signature can never serve as one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

from encore.adapters.secrets import StoreParameters
from encore.events import Consent, CustomerRef
from encore.customers import upsert_customer
from encore.errors import ClientError
from encore.models import Customer, customer_key

SOURCE = "email:one-click-unsubscribe"


class InvalidUnsubscribeLink(ClientError):
    status = 404


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def _unb64(part: str) -> str:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode("utf-8")


def _signature(secret: str, store_id: str, customer_id: str) -> str:
    digest = hmac.new(secret.encode(), f"unsubscribe\x1f{store_id}\x1f{customer_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def make_token(secret: str, store_id: str, customer_id: str) -> str:
    return f"{_b64(store_id)}.{_b64(customer_id)}.{_signature(secret, store_id, customer_id)}"


def read_token(token: str, parameters: StoreParameters) -> tuple[str, str]:
    """(store id, customer id) of a genuine token; InvalidUnsubscribeLink otherwise."""
    try:
        store_part, customer_part, signature = token.split(".")
        store_id, customer_id = _unb64(store_part), _unb64(customer_part)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidUnsubscribeLink("unknown unsubscribe link") from error
    secret = parameters.webhook_secret(store_id)
    if not secret or not hmac.compare_digest(signature, _signature(secret, store_id, customer_id)):
        raise InvalidUnsubscribeLink("unknown unsubscribe link")
    return store_id, customer_id


def unsubscribe(token: str, *, parameters: StoreParameters, now: datetime) -> str:
    """Withdraw email marketing consent; returns the store id (for the confirmation page)."""
    store_id, customer_id = read_token(token, parameters)
    try:
        Customer.get(customer_key(store_id, customer_id), Customer.sort_key())
    except Customer.DoesNotExist as error:  # erased since the email was sent: nothing to withdraw
        raise InvalidUnsubscribeLink("unknown unsubscribe link") from error
    ref = CustomerRef(customer_id=customer_id, email_consent=Consent(granted=False, source=SOURCE, updated_at=now))
    upsert_customer(store_id, ref, now)
    return store_id


def list_unsubscribe_headers(api_url: str, token: str) -> tuple[tuple[str, str], ...]:
    url = f"{api_url.rstrip('/')}/unsubscribe/{token}"
    return (("List-Unsubscribe", f"<{url}>"), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
