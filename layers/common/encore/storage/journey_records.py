"""Journey records: the latest journey a scenario started for a customer about one subject (a
product) or none. Durable, unlike execution names (unique for 90 days only), so cooldowns and
"once per product" rules read them; claimed with a conditional write, so of racing events
that would each start the journey, one does."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from pynamodb.exceptions import PutError

from encore.models import JourneyRecord, condition_failed, get_or_none


class JourneyRecords(Protocol):
    def claim(self, pk: str, scenario: str, subject: str, journey: str, *, now: datetime, cooldown: timedelta | None) -> bool:
        """Record ``journey`` as the scenario's latest for the customer (``pk``, their partition)
        and subject, if allowed: no earlier journey, or (``cooldown``) the last one started at
        least that long before ``now``; ``cooldown=None``: once ever. Claiming the journey
        already recorded succeeds: a retried event (or a put whose answer was lost) still
        starts the journey its first attempt claimed."""


class DynamoJourneyRecords:
    """``JourneyRecords`` on the DynamoDB table (``encore.models``)."""

    def claim(self, pk: str, scenario: str, subject: str, journey: str, *, now: datetime, cooldown: timedelta | None) -> bool:
        sk = JourneyRecord.sort_key(scenario, subject)
        recorded = get_or_none(JourneyRecord, pk, sk, consistent_read=True)
        if recorded is not None and recorded.journey == journey:
            return True
        condition = JourneyRecord.pk.does_not_exist()
        if cooldown is not None:
            condition |= JourneyRecord.started_at <= now - cooldown
        try:
            JourneyRecord(pk, sk, journey=journey, started_at=now).save(condition=condition)
        except PutError as error:
            if not condition_failed(error):
                raise
            return False
        return True
