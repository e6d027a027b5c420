"""Per-store secrets and settings: SSM Parameter Store (SecureString for secrets)."""

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


def clear_cache() -> None:
    _cache.clear()


def api_key_digest(api_key: str) -> str:
    """API keys are stored only as their SHA-256: the parameter store never holds a key."""
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


class StoreParameters(Protocol):
    def webhook_secret(self, store_id: str) -> str | None: ...
    def store_settings(self, store_id: str) -> dict: ...
    def store_for_api_key(self, api_key: str) -> str | None: ...


class SsmStoreParameters:
    """``<prefix>/stores/<store>/webhook-secret`` (SecureString), ``<prefix>/stores/<store>/settings``
    (JSON) and ``<prefix>/api-keys/<sha256 of the key>`` (the store id the key belongs to)."""

    def __init__(self, prefix: str):
        self.prefix = prefix

    def _get(self, name: str, decrypt: bool) -> str | None:
        now = utcnow()
        cached = _cache.get(name)
        if cached and now - cached[1] < CACHE_MAX_AGE:
            return cached[0]
        ssm = client("ssm")
        try:
            value = ssm.get_parameter(Name=name, WithDecryption=decrypt)["Parameter"]["Value"]
        except ssm.exceptions.ParameterNotFound:
            value = None
        _cache[name] = (value, now)
        return value

    def webhook_secret(self, store_id: str) -> str | None:
        return self._get(f"{self.prefix}/stores/{store_id}/webhook-secret", decrypt=True)

    def store_settings(self, store_id: str) -> dict:
        raw = self._get(f"{self.prefix}/stores/{store_id}/settings", decrypt=False)
        return json.loads(raw) if raw else {}

    def store_for_api_key(self, api_key: str) -> str | None:
        return self._get(f"{self.prefix}/api-keys/{api_key_digest(api_key)}", decrypt=False)
