"""In-memory ``TrackingCounters`` (``storage.tracking_counters``): counts that add up, as
DynamoDB's atomic ADD does; ``tests/contracts/test_tracking_counters.py`` holds it to moto."""

from __future__ import annotations

from datetime import datetime

from encore.models import TrackingCounter
from encore.storage.fakes import InMemoryTable


class InMemoryTrackingCounters:
    """``storage.tracking_counters.TrackingCounters`` in memory."""

    def __init__(self, table: InMemoryTable | None = None) -> None:
        self.table = table or InMemoryTable()

    def count_visitor_requests(self, store_id: str, visitor_id: str, minute: str, requests: int, expires_at: datetime) -> int:
        counter = TrackingCounter(*TrackingCounter.key(store_id, visitor_id, minute))

        def add(stored: TrackingCounter) -> None:
            stored.requests = int(stored.requests or 0) + requests
            stored.expires_at = expires_at

        self.table.update(counter, add)
        return int(counter.requests)
