"""An in-memory ``JourneyRecords`` (``storage.journey_records``): the same claim as the table (no
record, or one older than the cooldown; the event that claimed it claims again);
``tests/contracts/test_journey_records.py`` runs the same behaviour tests against both."""

from __future__ import annotations

from datetime import datetime, timedelta

from encore.models import JourneyRecord
from encore.storage.fakes import InMemoryTable
from encore.storage.journey_records import claimed_again


class InMemoryJourneyRecords:
    """``storage.journey_records.JourneyRecords`` in memory."""

    def __init__(self, table: InMemoryTable | None = None) -> None:
        self.table = table or InMemoryTable()

    def claim(self, pk: str, scenario: str, subject: str, journey: str, *, claimed_by: str, now: datetime, cooldown: timedelta | None) -> bool:
        sk = JourneyRecord.sort_key(scenario, subject)
        recorded = self.table.get(JourneyRecord, pk, sk)
        if recorded is not None and claimed_again(recorded, journey, claimed_by, now):
            return True
        if recorded is not None and (cooldown is None or recorded.started_at > now - cooldown):
            return False
        self.table.add(JourneyRecord(pk, sk, journey=journey, started_at=now, claimed_by=claimed_by))
        return True
