"""Dedupe and publish (``encore.ingest``) on the in-memory dedupe records
(``storage.fakes_ingest``): the idempotency record's states — accepted once, a duplicate once
done, 409 while another request holds it, taken over when that request's time is up, released
when publishing fails, and a failure to mark it done never turning a published event into a 5xx.
The conditions themselves are held to DynamoDB by tests/contracts/test_processed_events.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from encore import ingest
from encore.events import ProductViewed
from encore.models import ProcessedEvent
from encore.storage.fakes_ingest import InMemoryProcessedEvents

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)


class Publisher:
    def __init__(self, fail: bool = False):
        self.published: list = []
        self.fail = fail

    def publish(self, events):
        if self.fail:
            raise ConnectionError("the bus is down")
        self.published += events


@pytest.fixture
def clock(monkeypatch):
    """The moment ``encore.ingest`` reads as now; tests move it."""
    moment = {"now": NOW}
    monkeypatch.setattr(ingest, "utcnow", lambda: moment["now"])
    return moment


def _event(event_id: str, store_id: str = "shop") -> ProductViewed:
    return ProductViewed(event_id=event_id, store_id=store_id, occurred_at=NOW, source="test", anonymous_id="anon-1", product_id="mug")


def _record(storage: InMemoryProcessedEvents, event_id: str, store_id: str = "shop") -> ProcessedEvent | None:
    return storage.table.get(ProcessedEvent, *ProcessedEvent.key(store_id, event_id))


def test_fresh_events_are_published_once_and_recorded_done(clock):
    storage, publisher = InMemoryProcessedEvents(), Publisher()
    result = ingest.publish_once([_event("e-1"), _event("e-2")], publisher, storage=storage)
    assert (result.accepted, result.duplicates, result.in_progress, result.status) == (["e-1", "e-2"], [], [], 202)
    assert [event.event_id for event in publisher.published] == ["e-1", "e-2"]
    other_store = ingest.publish_once([_event("e-1", store_id="other-shop")], publisher, storage=storage)
    assert other_store.accepted == ["e-1"]  # each store's ids are its own
    record = _record(storage, "e-1")
    assert (record.status, record.in_progress_until, record.event_type, record.received_at) == ("done", None, "product_viewed", NOW)
    assert record.expires_at == NOW + ingest.DEDUPE_RETENTION


def test_a_repeat_is_a_duplicate_within_a_batch_and_across_requests(clock):
    storage, publisher = InMemoryProcessedEvents(), Publisher()
    first = ingest.publish_once([_event("e-1"), _event("e-1")], publisher, storage=storage)
    assert (first.accepted, first.duplicates) == (["e-1"], ["e-1"])
    clock["now"] = NOW + timedelta(days=1)
    again = ingest.publish_once([_event("e-1")], publisher, storage=storage)
    assert (again.accepted, again.duplicates, again.in_progress) == ([], ["e-1"], [])
    assert len(publisher.published) == 1
    assert ingest.IngestResult(duplicates=["e-1"]).as_body() == {"accepted": [], "duplicates": ["e-1"], "ignored": []}


def _held_by_another_request(storage: InMemoryProcessedEvents, event_id: str = "e-1") -> None:
    pk, sk = ProcessedEvent.key("shop", event_id)
    storage.table.add(
        ProcessedEvent(
            pk, sk, received_at=NOW, event_type="product_viewed", status="in_progress", attempt="another-request", in_progress_until=NOW + timedelta(seconds=30)
        )
    )


def test_an_event_another_request_is_publishing_is_in_progress_then_taken_once_its_time_is_up(clock):
    storage, publisher = InMemoryProcessedEvents(), Publisher()
    _held_by_another_request(storage)
    clock["now"] = NOW + timedelta(seconds=30)  # the hold lasts up to and including this moment
    held = ingest.publish_once([_event("e-1"), _event("e-2")], publisher, storage=storage)
    assert (held.accepted, held.in_progress, held.duplicates) == (["e-2"], ["e-1"], [])
    assert held.as_body()["in_progress"] == ["e-1"]
    assert [event.event_id for event in publisher.published] == ["e-2"]
    clock["now"] = NOW + timedelta(seconds=31)  # that request died: its record is free
    taken = ingest.publish_once([_event("e-1")], publisher, storage=storage)
    assert taken.accepted == ["e-1"]
    assert (_record(storage, "e-1").status, _record(storage, "e-1").attempt != "another-request") == ("done", True)


def test_a_request_answers_409_while_another_holds_one_of_its_events(clock):
    storage = InMemoryProcessedEvents()
    _held_by_another_request(storage)

    class Platform:
        name = "test"

        def handshake(self, request):
            return None

        def store_id(self, request, parameters):
            return "shop"

        def verify(self, request, secret):
            pass

        def parse(self, request, payload, store_id):
            return ingest.Parsed(events=[_event("e-1")])

    class Parameters:
        def webhook_secret(self, store_id):
            return "secret"

    request = ingest.WebhookRequest(headers={"content-type": "application/json"}, body=b"{}")
    result = ingest.accept(Platform(), request, parameters=Parameters(), publisher=Publisher(), storage=storage)
    assert (result.status, result.in_progress) == (409, ["e-1"])


def test_a_publish_that_fails_releases_the_records_so_the_retry_is_accepted(clock):
    storage = InMemoryProcessedEvents()
    ingest.publish_once([_event("e-0")], Publisher(), storage=storage)
    with pytest.raises(ConnectionError):
        ingest.publish_once([_event("e-0"), _event("e-1"), _event("e-2")], Publisher(fail=True), storage=storage)
    assert _record(storage, "e-1") is None and _record(storage, "e-2") is None
    assert _record(storage, "e-0").status == "done"  # another request's record stays
    publisher = Publisher()
    retry = ingest.publish_once([_event("e-1"), _event("e-2")], publisher, storage=storage)
    assert retry.accepted == ["e-1", "e-2"] and len(publisher.published) == 2


class FlakyDone(InMemoryProcessedEvents):
    """Marking done fails ``failures`` times (throttling, a timeout) before it works."""

    def __init__(self, failures: int):
        super().__init__()
        self.failures = failures
        self.tries = 0

    def record_dedupe_done(self, claim):
        self.tries += 1
        if self.tries <= self.failures:
            raise TimeoutError("throttled")
        return super().record_dedupe_done(claim)


def test_marking_done_is_tried_again_and_never_fails_a_published_event(clock):
    storage, publisher = FlakyDone(failures=2), Publisher()
    assert ingest.publish_once([_event("e-1")], publisher, storage=storage).accepted == ["e-1"]
    assert (storage.tries, _record(storage, "e-1").status) == (3, "done")

    storage, publisher = FlakyDone(failures=3), Publisher()
    result = ingest.publish_once([_event("e-1")], publisher, storage=storage)
    assert (result.accepted, result.status, len(publisher.published)) == (["e-1"], 202, 1)
    assert (storage.tries, _record(storage, "e-1").status) == (3, "in_progress")  # left to its expiry
    clock["now"] = NOW + timedelta(seconds=10)
    assert ingest.publish_once([_event("e-1")], publisher, storage=storage).in_progress == ["e-1"]


def test_a_record_erased_while_publishing_is_not_brought_back(clock):
    storage = InMemoryProcessedEvents()

    class ErasingPublisher:
        def publish(self, events):
            # As a shop/redact the event causes would: every record of the store goes.
            for event in events:
                storage.table.delete(*ProcessedEvent.key(event.store_id, event.event_id))

    assert ingest.publish_once([_event("e-1")], ErasingPublisher(), storage=storage).accepted == ["e-1"]
    assert _record(storage, "e-1") is None
