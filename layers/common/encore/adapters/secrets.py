"""Per-store secrets and settings: SSM Parameter Store (SecureString for secrets)."""

from __future__ import annotations

import json
from typing import Protocol

from encore.adapters.aws import client


class StoreParameters(Protocol):
    def webhook_secret(self, store_id: str) -> str | None: ...
    def store_settings(self, store_id: str) -> dict: ...


class SsmStoreParameters:
    """``<prefix>/stores/<store>/webhook-secret`` and ``<prefix>/stores/<store>/settings``."""

    def __init__(self, prefix: str):
        self.prefix = prefix

    def _get(self, name: str, decrypt: bool) -> str | None:
        ssm = client("ssm")
        try:
            return ssm.get_parameter(Name=name, WithDecryption=decrypt)["Parameter"]["Value"]
        except ssm.exceptions.ParameterNotFound:
            return None

    def webhook_secret(self, store_id: str) -> str | None:
        return self._get(f"{self.prefix}/stores/{store_id}/webhook-secret", decrypt=True)

    def store_settings(self, store_id: str) -> dict:
        raw = self._get(f"{self.prefix}/stores/{store_id}/settings", decrypt=False)
        return json.loads(raw) if raw else {}
