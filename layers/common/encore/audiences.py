"""Retargeting audiences: ad platforms show ads to the customers on a list, and browse
abandonment puts a customer on the store's list when a visit ends without a purchase, and
takes them off when they buy.

The store names one webhook (``browse_abandonment.retargeting_webhook_url``): its connector
to the ad platforms' audience APIs. Every change is one signed POST of

    {"action": "add" | "remove", "audience": "browse-abandoners",
     "customer": {"email_sha256": "<hex>"}, "store_id": "...", "occurred_at": "...Z"}

with ``X-Encore-Signature: sha256=<hex HMAC-SHA256 of the body>`` keyed with the store's
webhook secret (the generic events API's scheme, the other way round). The email leaves
only as the SHA-256 of its normalised form (trimmed, lower-case), the match key ad
platforms expect. A customer is added only with marketing consent; a removal is always sent.
A failed POST raises, so the journey's Retry sends it again.
"""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from encore.clock import iso
from encore.outbound import UnsafeDestination, check_before_request
from encore.signatures import sign_hex
from encore.storage.customers import CustomerRecords, DynamoCustomerRecords
from encore.stores import StoreSettings

BROWSE_ABANDONERS = "browse-abandoners"
SIGNATURE_HEADER = "X-Encore-Signature"
TIMEOUT_SECONDS = 5  # well inside the Lambda's own timeout, so a slow hook fails and is retried

Action = Literal["add", "remove"]


class AudienceWebhookFailed(RuntimeError):
    """The audience webhook did not take the change (Step Functions retries on this name)."""


def email_sha256(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AudienceChange:
    action: Action
    audience: str
    email_sha256: str
    store_id: str
    occurred_at: datetime

    def body(self) -> bytes:
        document = {
            "action": self.action,
            "audience": self.audience,
            "customer": {"email_sha256": self.email_sha256},
            "store_id": self.store_id,
            "occurred_at": iso(self.occurred_at),
        }
        return json.dumps(document, separators=(",", ":")).encode("utf-8")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect would turn the POST into a GET without the body: treat it as a failure.
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post_change(url: str, secret: str, change: AudienceChange, *, timeout: float = TIMEOUT_SECONDS) -> int:
    try:
        check_before_request(url)
    except UnsafeDestination as error:
        raise AudienceWebhookFailed(f"the audience webhook is not allowed: {error}") from None
    body = change.body()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign_hex(secret, body), "User-Agent": "Encore"},
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        raise AudienceWebhookFailed(f"the audience webhook answered {error.code}") from None
    except (urllib.error.URLError, OSError) as error:  # refused, unresolvable, timed out
        raise AudienceWebhookFailed(f"the audience webhook is unreachable: {type(error).__name__}") from None


@dataclass(frozen=True)
class MembershipOutcome:
    member: bool  # whether the customer is on the list now (as far as this journey knows)
    outcome: str  # added | removed | off | no_email_address | no_marketing_consent | no_webhook_secret
    # The hashed address the audience knows them by: the journey keeps it, so the customer can
    # still be removed after their data was erased (GDPR) and the address is gone.
    email_sha256: str | None = None


def change_membership(
    store: StoreSettings,
    customer_id: str,
    action: Action,
    *,
    secret: str | None,
    now: datetime,
    audience: str = BROWSE_ABANDONERS,
    email_hash: str | None = None,
    customers: CustomerRecords | None = None,
) -> MembershipOutcome:
    url = store.browse_abandonment.retargeting_webhook_url
    if url is None:
        return MembershipOutcome(False, "off")
    if action == "remove" and email_hash:  # the profile may be erased: remove by the kept hash
        if not secret:
            return MembershipOutcome(True, "no_webhook_secret", email_hash)
        post_change(url, secret, AudienceChange(action, audience, email_hash, store.store_id, now))
        return MembershipOutcome(False, "removed")
    customer = (customers or DynamoCustomerRecords()).customer(store.store_id, customer_id)
    if customer is None or not customer.email:
        return MembershipOutcome(False, "no_email_address")
    if action == "add" and not customer.accepts_email_marketing:
        return MembershipOutcome(False, "no_marketing_consent")
    if not secret:
        return MembershipOutcome(False, "no_webhook_secret")
    hashed = email_sha256(customer.email)
    post_change(url, secret, AudienceChange(action, audience, hashed, store.store_id, now))
    return MembershipOutcome(action == "add", "added" if action == "add" else "removed", hashed if action == "add" else None)
