"""Per-store secrets and settings: SSM Parameter Store (SecureString for secrets).

The layout (``prefix`` is the template's ``ParametersPrefix``, ``/encore`` by default):

    {prefix}/stores/{store}/settings               String JSON: the store's settings (every event function)
    {prefix}/stores/{store}/shop                   String JSON: how to reach the shop's admin API (no secrets)
    {prefix}/secrets/{store}/webhook-secret        SecureString: what the shop signs webhooks with
    {prefix}/secrets/{store}/admin-api             SecureString JSON: the shop's admin API credentials
    {prefix}/secrets/{store}/unsubscribe-keys      SecureString JSON: {"current": kid, "keys": {kid: secret}}
    {prefix}/api-keys/{sha256 of the key}          String: the store the generic API key belongs to
    {prefix}/tracking-keys/{public key}            String: the store a PUBLIC browser tracking key belongs to
    {prefix}/stack                                 String JSON: the deployed stack's resource names

Settings and secrets live under separate paths so IAM can give the secrets only to the
functions that verify or sign (template.yaml), and the settings to every event function.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Protocol

from encore.adapters.aws import client
from encore.clock import utcnow

CACHE_MAX_AGE = timedelta(minutes=5)

# Warm Lambdas reuse parameters for a few minutes: one SSM call per store and container,
# not one per webhook. (Powertools' parameters cache folds "not found" into the same error
# as throttling or access denied; an unknown store must be a 401, an SSM outage a 5xx.)
_cache: dict[str, tuple[str | None, datetime]] = {}

WEBHOOK_SECRET = "webhook-secret"
ADMIN_API = "admin-api"
UNSUBSCRIBE_KEYS = "unsubscribe-keys"
SECRETS = (WEBHOOK_SECRET, ADMIN_API, UNSUBSCRIBE_KEYS)


def clear_cache() -> None:
    _cache.clear()


def api_key_digest(api_key: str) -> str:
    """API keys are stored only as their SHA-256: the parameter store never holds a key."""
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


# ---- parameter names: the one home of the layout above (the operator's CLI writes them)
def settings_name(prefix: str, store_id: str) -> str:
    return f"{prefix}/stores/{store_id}/settings"


def shop_name(prefix: str, store_id: str) -> str:
    return f"{prefix}/stores/{store_id}/shop"


def secret_name(prefix: str, store_id: str, secret: str) -> str:
    return f"{prefix}/secrets/{store_id}/{secret}"


def api_keys_path(prefix: str) -> str:
    return f"{prefix}/api-keys"


def api_key_name(prefix: str, api_key: str) -> str:
    return f"{api_keys_path(prefix)}/{api_key_digest(api_key)}"


def tracking_keys_path(prefix: str) -> str:
    return f"{prefix}/tracking-keys"


def tracking_key_name(prefix: str, public_key: str) -> str:
    # Stored as is, not as a digest: the key is public (it ships in the storefront's page
    # source) and names the store; what it may send is limited by encore.tracking, not by
    # keeping it secret.
    return f"{tracking_keys_path(prefix)}/{public_key}"


def stack_name(prefix: str) -> str:
    return f"{prefix}/stack"


class StoreParameters(Protocol):
    def webhook_secret(self, store_id: str) -> str | None: ...
    def unsubscribe_keys(self, store_id: str, *, refresh: bool = False) -> dict | None: ...
    def store_settings(self, store_id: str) -> dict: ...
    def store_for_api_key(self, api_key: str) -> str | None: ...
    def store_for_tracking_key(self, public_key: str) -> str | None: ...
    def shop(self, store_id: str) -> dict: ...


class SsmStoreParameters:
    """Reads the layout above (the functions read, only the operator's CLI writes)."""

    def __init__(self, prefix: str):
        self.prefix = prefix

    def _get(self, name: str, decrypt: bool, refresh: bool = False) -> str | None:
        now = utcnow()
        cached = _cache.get(name)
        if cached and not refresh and now - cached[1] < CACHE_MAX_AGE:
            return cached[0]
        ssm = client("ssm")
        try:
            value = ssm.get_parameter(Name=name, WithDecryption=decrypt)["Parameter"]["Value"]
        except ssm.exceptions.ParameterNotFound:
            value = None
        _cache[name] = (value, now)
        return value

    def webhook_secret(self, store_id: str) -> str | None:
        return self._get(secret_name(self.prefix, store_id, WEBHOOK_SECRET), decrypt=True)

    def unsubscribe_keys(self, store_id: str, *, refresh: bool = False) -> dict | None:
        """``{"current": kid, "keys": {kid: secret}}``; ``refresh`` skips the warm cache (a
        link signed with a key rotated in after this container read the keys)."""
        raw = self._get(secret_name(self.prefix, store_id, UNSUBSCRIBE_KEYS), decrypt=True, refresh=refresh)
        return json.loads(raw) if raw else None

    def store_settings(self, store_id: str) -> dict:
        raw = self._get(settings_name(self.prefix, store_id), decrypt=False)
        return json.loads(raw) if raw else {}

    def store_for_api_key(self, api_key: str) -> str | None:
        return self._get(api_key_name(self.prefix, api_key), decrypt=False)

    def store_for_tracking_key(self, public_key: str) -> str | None:
        return self._get(tracking_key_name(self.prefix, public_key), decrypt=False)

    # -- the shop's admin API (coupons, privacy, consent write-back) --------------------

    def shop(self, store_id: str) -> dict:
        """``{prefix}/stores/{store}/shop`` (no secrets); {} when the store has none."""
        raw = self._get(shop_name(self.prefix, store_id), decrypt=False)
        return json.loads(raw) if raw else {}

    def admin_credentials(self, store_id: str) -> dict | None:
        raw = self._get(secret_name(self.prefix, store_id, ADMIN_API), decrypt=True)
        return json.loads(raw) if raw else None
