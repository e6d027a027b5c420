"""In-memory ``ProcessedEvents`` (``storage.processed_events``), honouring the same conditions
as its DynamoDB twin (a record taken only when absent or held by a request whose time is up, a
refused write read back to know its own, released and marked done only by its holder);
``tests/contracts/test_processed_events.py`` runs the same behaviour tests against both."""

from __future__ import annotations

from encore.models import ProcessedEvent
from encore.storage.fakes import InMemoryTable, _setting
from encore.storage.processed_events import DONE, IN_PROGRESS, DedupeClaim, dedupe_record


class InMemoryProcessedEvents:
    """``storage.processed_events.ProcessedEvents`` in memory."""

    def __init__(self, table: InMemoryTable | None = None) -> None:
        self.table = table or InMemoryTable()

    def record_dedupe_in_progress(self, claim: DedupeClaim) -> bool:
        stored = self._stored(claim.store_id, claim.event_id)
        # As DynamoDB compares: a record with no hold (done, or from before the states) is never free.
        time_up = stored is not None and stored.status == IN_PROGRESS and stored.in_progress_until is not None and stored.in_progress_until < claim.received_at
        if stored is None or time_up:
            self.table.add(dedupe_record(claim))
            return True
        return stored.attempt == claim.attempt  # this very write, applied before

    def in_progress_elsewhere(self, store_id: str, event_id: str) -> bool:
        stored = self._stored(store_id, event_id)
        if stored is None:
            raise ProcessedEvent.DoesNotExist(f"no dedupe record for {event_id}")
        return stored.status == IN_PROGRESS

    def release_dedupe(self, claim: DedupeClaim) -> None:
        if self._holds(claim):
            self.table.delete(*ProcessedEvent.key(claim.store_id, claim.event_id))

    def record_dedupe_done(self, claim: DedupeClaim) -> bool:
        if not self._holds(claim):
            return False
        self.table.update(dedupe_record(claim), _setting(status=DONE, in_progress_until=None))
        return True

    def _stored(self, store_id: str, event_id: str) -> ProcessedEvent | None:
        return self.table.get(ProcessedEvent, *ProcessedEvent.key(store_id, event_id))

    def _holds(self, claim: DedupeClaim) -> bool:
        stored = self._stored(claim.store_id, claim.event_id)
        return stored is not None and stored.attempt == claim.attempt
