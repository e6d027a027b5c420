"""Journey records: the latest journey a scenario started for a customer about one subject (a
product) or none. Durable, unlike execution names (unique for 90 days only), so cooldowns and
"once per product" rules read them; claimed with a conditional write, so of racing events
that would each start the journey, one does."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from pynamodb.exceptions import PutError

from encore.models import JourneyRecord, condition_failed, get_or_none

# Step Functions keeps a closed execution's name for 90 days: a record from before
# ``claimed_by`` existed is taken for a retry of its own event only while its start is younger
# than that (its execution name still refuses a second start).
EXECUTION_NAME_KEPT = timedelta(days=90)


def claimed_again(recorded: JourneyRecord, journey: str, claimed_by: str, now: datetime) -> bool:
    """The recorded claim is this event's own (retried, or its put's answer was lost): the same
    journey, claimed by the same event. A later event about the same subject gets the same
    execution name, and is refused: once ever must outlive the name's 90 days."""
    if recorded.journey != journey:
        return False
    if recorded.claimed_by is None:
        return now - recorded.started_at < EXECUTION_NAME_KEPT
    return recorded.claimed_by == claimed_by


class JourneyRecords(Protocol):
    def claim(self, pk: str, scenario: str, subject: str, journey: str, *, claimed_by: str, now: datetime, cooldown: timedelta | None) -> bool:
        """Record ``journey`` as the scenario's latest for the customer (``pk``, their partition)
        and subject, claimed by the event ``claimed_by``, if allowed: no earlier journey, or
        (``cooldown``) the last one started at least that long before ``now``;
        ``cooldown=None``: once ever. The same event claiming again succeeds
        (``claimed_again``): a retried event, or a put whose answer was lost, still starts the
        journey its first attempt claimed."""


class DynamoJourneyRecords:
    """``JourneyRecords`` on the DynamoDB table (``encore.models``)."""

    def claim(self, pk: str, scenario: str, subject: str, journey: str, *, claimed_by: str, now: datetime, cooldown: timedelta | None) -> bool:
        sk = JourneyRecord.sort_key(scenario, subject)
        recorded = get_or_none(JourneyRecord, pk, sk, consistent_read=True)
        if recorded is not None and claimed_again(recorded, journey, claimed_by, now):
            return True
        condition = JourneyRecord.pk.does_not_exist()
        if cooldown is not None:
            condition |= JourneyRecord.started_at <= now - cooldown
        try:
            JourneyRecord(pk, sk, journey=journey, started_at=now, claimed_by=claimed_by).save(condition=condition)
        except PutError as error:
            if not condition_failed(error):
                raise
            # Refused: another event's claim, or this one's applied put whose answer was lost.
            recorded = get_or_none(JourneyRecord, pk, sk, consistent_read=True)
            return recorded is not None and recorded.claimed_by == claimed_by and recorded.journey == journey
        return True
