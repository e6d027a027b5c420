"""``ProcessedEvents`` (``encore.storage.processed_events``) on the in-memory fake and on moto:
the dedupe record taken once, its own write recognised when the answer was lost, a second
taker refused while the hold lasts and let in after it, release and ``done`` only by the holder."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from encore.models import ProcessedEvent, get_or_none
from encore.storage.fakes_ingest import InMemoryProcessedEvents
from encore.storage.processed_events import DedupeClaim, DynamoProcessedEvents
from tests.unit.delivery_moto import bare_table  # noqa: F401  (fixture)

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
HOLD = timedelta(seconds=30)


@pytest.fixture(params=["fake", "moto"])
def events(request):
    if request.param == "moto":
        request.getfixturevalue("table")
        return DynamoProcessedEvents()
    return InMemoryProcessedEvents()


@pytest.fixture
def stored(events):
    """The record as the table holds it (read through the storage's own table)."""

    def read(event_id: str = "evt-1") -> ProcessedEvent | None:
        key = ProcessedEvent.key("shop", event_id)
        if isinstance(events, InMemoryProcessedEvents):
            return events.table.get(ProcessedEvent, *key)
        return get_or_none(ProcessedEvent, *key, consistent_read=True)

    return read


def _claim(attempt: str = "request-1", *, at: datetime = NOW, event_id: str = "evt-1") -> DedupeClaim:
    return DedupeClaim("shop", event_id, "order_placed", at, at + timedelta(days=30), attempt, at + HOLD)


def test_the_first_request_takes_the_event_in_progress(events, stored):
    assert events.record_dedupe_in_progress(_claim())
    record = stored()
    assert (record.status, record.attempt, record.event_type, record.received_at) == ("in_progress", "request-1", "order_placed", NOW)
    assert (record.in_progress_until, record.expires_at) == (NOW + HOLD, NOW + timedelta(days=30))


def test_a_write_applied_whose_answer_was_lost_is_known_as_its_own(events):
    # The SDK's retry of an applied put is refused by the condition: the record is read back.
    assert events.record_dedupe_in_progress(_claim())
    assert events.record_dedupe_in_progress(_claim())


def test_a_second_taker_is_refused_while_the_hold_lasts(events, stored):
    assert events.record_dedupe_in_progress(_claim())
    assert not events.record_dedupe_in_progress(_claim("request-2", at=NOW + timedelta(seconds=29)))
    assert events.in_progress_elsewhere("shop", "evt-1")
    assert stored().attempt == "request-1"


def test_a_hold_whose_time_is_up_is_taken_over(events, stored):
    assert events.record_dedupe_in_progress(_claim())
    assert not events.record_dedupe_in_progress(_claim("request-2", at=NOW + HOLD))  # up only after it
    assert events.record_dedupe_in_progress(_claim("request-2", at=NOW + HOLD + timedelta(seconds=1)))
    assert stored().attempt == "request-2"
    # The dead request's late steps touch nothing now.
    assert not events.record_dedupe_done(_claim())
    events.release_dedupe(_claim())
    assert (stored().status, stored().attempt) == ("in_progress", "request-2")


def test_a_done_record_is_never_taken_again(events, stored):
    assert events.record_dedupe_in_progress(_claim())
    assert events.record_dedupe_done(_claim())
    record = stored()
    assert (record.status, record.in_progress_until, record.received_at) == ("done", None, NOW)
    assert not events.record_dedupe_in_progress(_claim("request-2", at=NOW + timedelta(days=1)))
    assert not events.in_progress_elsewhere("shop", "evt-1")


def test_a_record_from_before_the_states_counts_as_done(events, stored):
    legacy = ProcessedEvent(*ProcessedEvent.key("shop", "evt-1"), received_at=NOW, event_type="order_placed")
    if isinstance(events, InMemoryProcessedEvents):
        events.table.add(legacy)
    else:
        legacy.save()
    assert not events.record_dedupe_in_progress(_claim(at=NOW + timedelta(days=1)))
    assert not events.in_progress_elsewhere("shop", "evt-1")


def test_releasing_frees_the_event_for_the_retry(events, stored):
    assert events.record_dedupe_in_progress(_claim())
    events.release_dedupe(replace(_claim(), attempt="request-2"))  # not its holder: nothing happens
    assert stored() is not None
    events.release_dedupe(_claim())
    assert stored() is None
    events.release_dedupe(_claim())  # already gone: nothing to do
    assert events.record_dedupe_in_progress(_claim("request-2", at=NOW + timedelta(seconds=1)))


def test_done_never_brings_back_a_record_deleted_meanwhile(events, stored):
    assert events.record_dedupe_in_progress(_claim())
    events.release_dedupe(_claim())  # as an erasure (shop/redact) would delete it
    assert not events.record_dedupe_done(_claim())
    assert stored() is None


def test_asking_about_an_event_with_no_record_is_an_error(events):
    with pytest.raises(ProcessedEvent.DoesNotExist):
        events.in_progress_elsewhere("shop", "never-seen")


def test_each_event_has_its_own_record(events):
    assert events.record_dedupe_in_progress(_claim())
    assert events.record_dedupe_in_progress(_claim("request-2", event_id="evt-2"))
    assert events.in_progress_elsewhere("shop", "evt-2")
