"""Journey identity: deterministic execution names, so one trigger never starts two journeys."""

from __future__ import annotations

import hashlib
import re

MAX_NAME = 80  # Step Functions' limit for execution names
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def execution_name(scenario: str, store_id: str, customer_id: str, business_key: str) -> str:
    """``cart-abandonment-<store>-<customer>-<cart>``; shortened with a hash when too long.

    The hash covers the raw parts, so two different keys that clean up to the same text
    still get different names.
    """
    parts = [scenario, store_id, customer_id, business_key]
    readable = "-".join(_UNSAFE.sub("_", part) for part in parts)
    if len(readable) <= MAX_NAME and readable == "-".join(parts):
        return readable
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]
    return f"{readable[: MAX_NAME - len(digest) - 1]}-{digest}"
