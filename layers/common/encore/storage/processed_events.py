"""Dedupe records of accepted events: an idempotency record per (store, event id), written
``in_progress`` by the request publishing the event and ``done`` once it is on the bus.

Each record carries the ``attempt`` id of the request that wrote it: a put applied but
answered ConditionalCheckFailed on the SDK's retry is recognised as the request's own (read
back), and only that request may release the record or mark it done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pynamodb.exceptions import DeleteError, UpdateError

from encore.models import ProcessedEvent, condition_failed, save_owned

IN_PROGRESS = "in_progress"
DONE = "done"


@dataclass(frozen=True)
class DedupeClaim:
    """One request's hold on one event: what ``record_dedupe_in_progress`` writes."""

    store_id: str
    event_id: str
    event_type: str
    received_at: datetime  # also "now" for the hold: a record whose time is up before it is free
    expires_at: datetime  # DynamoDB TTL: longer than any platform retries a delivery
    attempt: str  # the request's id
    in_progress_until: datetime  # a request that died frees the record after this


class ProcessedEvents(Protocol):
    def record_dedupe_in_progress(self, claim: DedupeClaim) -> bool:
        """Take the event for this request: written when the event has no record, or one left
        ``in_progress`` whose time was up at ``claim.received_at``. True when the record is
        this claim's (also when this very write was applied before and its answer lost)."""

    def in_progress_elsewhere(self, store_id: str, event_id: str) -> bool:
        """After a refused claim (read consistently): True while another request holds the
        event ``in_progress``, False when it is done (records from before the states are
        done). Raises ``DoesNotExist`` when there is no record at all."""

    def release_dedupe(self, claim: DedupeClaim) -> None:
        """Delete the record while it is still this claim's (publishing failed: the retry
        must be accepted); a record another request took over, or that is gone, stays as is."""

    def record_dedupe_done(self, claim: DedupeClaim) -> bool:
        """Mark the record ``done`` (and drop its hold) while it is still this claim's; False
        when it is not (an erasure the event caused deleted it, and it must not come back)."""


class DynamoProcessedEvents:
    """``ProcessedEvents`` on the DynamoDB table (``encore.models``)."""

    def record_dedupe_in_progress(self, claim: DedupeClaim) -> bool:
        free = ProcessedEvent.pk.does_not_exist() | ((ProcessedEvent.status == IN_PROGRESS) & (ProcessedEvent.in_progress_until < claim.received_at))
        return save_owned(dedupe_record(claim), condition=free, attempt_attribute="attempt")

    def in_progress_elsewhere(self, store_id: str, event_id: str) -> bool:
        return ProcessedEvent.get(*ProcessedEvent.key(store_id, event_id), consistent_read=True).status == IN_PROGRESS

    def release_dedupe(self, claim: DedupeClaim) -> None:
        try:
            dedupe_record(claim).delete(condition=ProcessedEvent.attempt == claim.attempt)
        except DeleteError as error:
            if not condition_failed(error):
                raise

    def record_dedupe_done(self, claim: DedupeClaim) -> bool:
        try:
            dedupe_record(claim).update(
                actions=[ProcessedEvent.status.set(DONE), ProcessedEvent.in_progress_until.remove()], condition=ProcessedEvent.attempt == claim.attempt
            )
            return True
        except UpdateError as error:
            if condition_failed(error):
                return False
            raise


def dedupe_record(claim: DedupeClaim) -> ProcessedEvent:
    """The record a claim writes (held ``in_progress`` by its attempt)."""
    return ProcessedEvent(
        *ProcessedEvent.key(claim.store_id, claim.event_id),
        received_at=claim.received_at,
        event_type=claim.event_type,
        expires_at=claim.expires_at,
        status=IN_PROGRESS,
        attempt=claim.attempt,
        in_progress_until=claim.in_progress_until,
    )
