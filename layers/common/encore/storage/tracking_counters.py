"""Requests per busy visitor and minute, counted across every warm container (only for
visitors already over the in-memory threshold: ``encore.tracking.RateLimiter``)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from encore.models import TrackingCounter


class TrackingCounters(Protocol):
    def count_visitor_requests(self, store_id: str, visitor_id: str, minute: str, requests: int, expires_at: datetime) -> int:
        """Add ``requests`` to the visitor's count for ``minute`` (one atomic add, so every
        container's share adds up) and return the count after it; the count is forgotten at
        ``expires_at`` (DynamoDB TTL)."""


class DynamoTrackingCounters:
    """``TrackingCounters`` on the DynamoDB table (``encore.models``): one UpdateItem."""

    def count_visitor_requests(self, store_id: str, visitor_id: str, minute: str, requests: int, expires_at: datetime) -> int:
        counter = TrackingCounter(*TrackingCounter.key(store_id, visitor_id, minute))
        counter.update(actions=[TrackingCounter.requests.add(requests), TrackingCounter.expires_at.set(expires_at)])
        return int(counter.requests)
