"""One-click unsubscribe (RFC 8058): every marketing email carries a signed, unguessable
link; a POST to it (the mail client's one-click button) or the confirmation page's button
withdraws the customer's email marketing consent at once, so their waiting journeys send
no further marketing.

Token: ``<store>.<customer>.<kid>.<signature>`` (base64url parts); the signature is an
HMAC-SHA256 with the store's unsubscribe key ``kid`` (its own key, not the webhook secret:
rotating one never touches the other), domain-separated so no other signature can serve as
one. Rotating the unsubscribe key makes a new kid current and keeps the old ones for
verifying, so links in emails already sent keep working.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from encore.adapters.bus import EventPublisher
from encore.adapters.secrets import StoreParameters
from encore.consent_sync import Channel, announce_withdrawal
from encore.customers import upsert_customer
from encore.errors import ClientError
from encore.events import Consent, CustomerRef
from encore.storage import customer_state
from encore.storage.customer_state import CustomerStorage
from encore.storage.records import Customer

SOURCE = "email:one-click-unsubscribe"
# Choices made on the preferences page (GET/POST /preferences/<token>): dated like any consent.
PREFERENCES_SOURCE = "email:preferences-page"


class InvalidUnsubscribeLink(ClientError):
    status = 404


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def _unb64(part: str) -> str:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode("utf-8")


_KID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


@dataclass(frozen=True)
class UnsubscribeKeys:
    """A store's unsubscribe signing keys: ``current`` signs new links, every key verifies."""

    current: str
    keys: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, raw: dict | None) -> UnsubscribeKeys | None:
        if not raw or raw.get("current") not in (raw.get("keys") or {}):
            return None
        return cls(current=raw["current"], keys=dict(raw["keys"]))

    def as_dict(self) -> dict:
        return {"current": self.current, "keys": dict(self.keys)}

    @classmethod
    def generate(cls, now: datetime) -> UnsubscribeKeys:
        return cls(current="", keys={}).rotated(now)

    def rotated(self, now: datetime) -> UnsubscribeKeys:
        """A new current key; the old ones stay, so links already sent still verify."""
        kid = f"{now:%Y%m%d}{secrets.token_hex(3)}"
        return UnsubscribeKeys(current=kid, keys={**self.keys, kid: secrets.token_urlsafe(32)})


def _signature(secret: str, kid: str, store_id: str, customer_id: str) -> str:
    message = f"unsubscribe\x1f{kid}\x1f{store_id}\x1f{customer_id}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def make_token(keys: UnsubscribeKeys, store_id: str, customer_id: str) -> str:
    kid = keys.current
    return f"{_b64(store_id)}.{_b64(customer_id)}.{kid}.{_signature(keys.keys[kid], kid, store_id, customer_id)}"


def read_token(token: str, parameters: StoreParameters) -> tuple[str, str]:
    """(store id, customer id) of a genuine token; InvalidUnsubscribeLink otherwise."""
    try:
        store_part, customer_part, kid, signature = token.split(".")
        store_id, customer_id = _unb64(store_part), _unb64(customer_part)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidUnsubscribeLink("unknown unsubscribe link") from error
    if not _KID.match(kid):
        raise InvalidUnsubscribeLink("unknown unsubscribe link")
    keys = UnsubscribeKeys.from_dict(parameters.unsubscribe_keys(store_id))
    if keys is not None and kid not in keys.keys:  # rotated in after this container read them
        keys = UnsubscribeKeys.from_dict(parameters.unsubscribe_keys(store_id, refresh=True))
    secret = keys.keys.get(kid) if keys else None
    if not secret or not hmac.compare_digest(signature, _signature(secret, kid, store_id, customer_id)):
        raise InvalidUnsubscribeLink("unknown unsubscribe link")
    return store_id, customer_id


@dataclass(frozen=True)
class LinkOwner:
    """The customer a genuine link names (their profile None when erased since the email
    was sent), and the language their pages are shown in."""

    store_id: str
    customer_id: str
    customer: Customer | None

    @property
    def locale(self) -> str | None:
        return self.customer.locale if self.customer is not None else None


def link_owner(token: str, parameters: StoreParameters, *, storage: CustomerStorage | None = None) -> LinkOwner:
    """Whom the link names (the confirmation page, shown before anything changes);
    InvalidUnsubscribeLink for a forged or altered one."""
    store_id, customer_id = read_token(token, parameters)
    return LinkOwner(store_id, customer_id, (storage or customer_state.on_dynamodb()).profiles.profile(store_id, customer_id))


def unsubscribe(
    token: str, *, parameters: StoreParameters, now: datetime, publisher: EventPublisher | None = None, storage: CustomerStorage | None = None
) -> LinkOwner:
    """Withdraw email marketing consent, then announce it for the shop (``consent_sync``);
    returns whom (for the confirmation page, in their language). A failed announcement
    raises: the withdrawal is already recorded, and the retry (the button again) announces it."""
    storage = storage or customer_state.on_dynamodb()
    owner = link_owner(token, parameters, storage=storage)
    if owner.customer is None:  # erased since the email was sent: nothing to withdraw
        raise InvalidUnsubscribeLink("unknown unsubscribe link")
    ref = CustomerRef(customer_id=owner.customer_id, email_consent=Consent(granted=False, source=SOURCE, updated_at=now))
    upsert_customer(owner.store_id, ref, now, storage=storage)
    announce_withdrawal(owner.store_id, owner.customer_id, "email", SOURCE, now, publisher=publisher)
    return owner


def unsubscribe_url(api_url: str, token: str) -> str:
    """The one-click link: the ``List-Unsubscribe`` header and the footer's visible link."""
    return f"{api_url.rstrip('/')}/unsubscribe/{token}"


def preferences_url(api_url: str, token: str) -> str:
    """The footer's "manage preferences" page, signed by the same token."""
    return f"{api_url.rstrip('/')}/preferences/{token}"


def list_unsubscribe_headers(api_url: str, token: str) -> tuple[tuple[str, str], ...]:
    url = unsubscribe_url(api_url, token)
    return (("List-Unsubscribe", f"<{url}>"), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))


# ---------------------------------------------------------------- the preferences page


@dataclass(frozen=True)
class Preferences:
    """A customer's marketing choices as the preferences page shows them."""

    store_id: str
    customer_id: str
    locale: str | None
    email: bool
    has_phone: bool
    sms: bool


def _customer(token: str, parameters: StoreParameters, storage: CustomerStorage) -> tuple[str, str, Customer]:
    store_id, customer_id = read_token(token, parameters)
    customer = storage.profiles.profile(store_id, customer_id)
    if customer is None:  # erased since the email was sent
        raise InvalidUnsubscribeLink("unknown unsubscribe link")
    return store_id, customer_id, customer


def _preferences(store_id: str, customer_id: str, customer: Customer) -> Preferences:
    return Preferences(
        store_id=store_id,
        customer_id=customer_id,
        locale=customer.locale,
        email=bool(customer.accepts_email_marketing),
        has_phone=bool(customer.phone),
        sms=bool(customer.sms_consent and customer.sms_consent.granted),
    )


def preferences(token: str, *, parameters: StoreParameters, storage: CustomerStorage | None = None) -> Preferences:
    return _preferences(*_customer(token, parameters, storage or customer_state.on_dynamodb()))


def set_preferences(
    token: str,
    *,
    email: bool,
    sms: bool,
    parameters: StoreParameters,
    now: datetime,
    publisher: EventPublisher | None = None,
    storage: CustomerStorage | None = None,
) -> Preferences:
    """Apply the page's form. Switching a channel off withdraws its marketing consent at once.
    Email can be switched back on: the link reached the customer's own inbox, so ticking the
    box is an explicit opt-in, recorded with its source and time like any consent. SMS is
    never switched on here: a texting opt-in must come from the phone's owner (a keyword
    reply or the shop's own form), which an email link does not prove."""
    storage = storage or customer_state.on_dynamodb()
    store_id, customer_id, customer = _customer(token, parameters, storage)
    current = _preferences(store_id, customer_id, customer)
    # None: this channel's consent is left as it is.
    email_consent = Consent(granted=email, source=PREFERENCES_SOURCE, updated_at=now) if email != current.email else None
    sms_consent = Consent(granted=False, source=PREFERENCES_SOURCE, updated_at=now) if current.sms and not sms else None
    if email_consent or sms_consent:
        upsert_customer(store_id, CustomerRef(customer_id=current.customer_id, email_consent=email_consent, sms_consent=sms_consent), now, storage=storage)
        # Shown as stored now (the upsert just wrote the profile, so it is there).
        customer = storage.profiles.profile(store_id, customer_id) or customer
        # An opt-out here is the customer's own, like the one-click link: the shop learns it.
        changed: tuple[tuple[Channel, Consent | None], ...] = (("email", email_consent), ("sms", sms_consent))
        for channel, change in changed:
            if change is not None and not change.granted:
                announce_withdrawal(store_id, customer_id, channel, PREFERENCES_SOURCE, now, publisher=publisher)
    return _preferences(store_id, customer_id, customer)


# ---------------------------------------------------------------- the language of a page


def browser_language(accept_language: str | None, available: tuple[str, ...]) -> str | None:
    """The first of the browser's ``Accept-Language`` languages (by preference, "q") that is
    ``available``: the language of a page whose customer is unknown (an invalid link, a
    customer erased since). None when none is, or the header is missing or garbled."""
    ranked = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, parameters = part.strip().partition(";")
        quality = 1.0
        for parameter in parameters.split(";"):
            name, _, value = parameter.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, position, tag.strip()))
    for _, _, tag in sorted(ranked):
        language = tag.replace("_", "-").split("-")[0].lower()
        if language in available:
            return language
    return None
