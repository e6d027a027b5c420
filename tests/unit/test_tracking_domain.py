"""The browser endpoint's state (``encore.tracking``) on the in-memory repositories: the
busy-visitor counter (``storage.fakes_tracking``) and the views' dedupe records
(``storage.fakes_ingest``). The conditions themselves are held to DynamoDB by
tests/contracts/test_tracking_counters.py and test_processed_events.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from encore import tracking
from encore.ingest import WebhookRequest
from encore.models import ProcessedEvent, TrackingCounter
from encore.storage.fakes import InMemoryTable
from encore.storage.fakes_ingest import InMemoryProcessedEvents
from encore.storage.fakes_tracking import InMemoryTrackingCounters
from tests.unit.test_tracking import FIREFOX, KEY, STORE, Parameters, Publisher, view

VISITOR = "3f2b8c1e-9a47-4d2b-8e61-0c5d7a9b4e21"
OTHER_VISITOR = "9d0e7a55-1b2c-4d3e-8f90-aa11bb22cc33"
NOW = datetime(2026, 11, 2, 9, 0, 17, 250_000, tzinfo=UTC)


def test_the_counter_is_written_only_past_the_in_memory_threshold_and_refuses_past_the_hard_limit():
    # Moved from tests/integration/test_browser_tracking.py: it checks only what is counted.
    table = InMemoryTable()
    limiter = tracking.RateLimiter(soft_limit=3, hard_limit=5, counters=InMemoryTrackingCounters(table))
    answers = [limiter.allow(STORE, VISITOR, NOW) for _ in range(7)]
    assert answers == [True, True, True, True, True, False, False]
    assert limiter.shared_checks == 4  # requests 4-7: none for the first three
    counter = table.get(TrackingCounter, *TrackingCounter.key(STORE, VISITOR, NOW.strftime("%Y%m%d%H%M")))
    assert int(counter.requests) == 7 and counter.expires_at == NOW.replace(microsecond=0) + timedelta(minutes=2)
    # Another container (its own memory) sees the same shared count once it is over its threshold.
    other = tracking.RateLimiter(soft_limit=0, hard_limit=5, counters=InMemoryTrackingCounters(table))
    assert other.allow(STORE, VISITOR, NOW) is False
    # Another visitor and the next minute start from nothing.
    assert limiter.allow(STORE, OTHER_VISITOR, NOW) is True and limiter.allow(STORE, VISITOR, NOW + timedelta(minutes=1)) is True


def _send(payload: dict, storage: InMemoryProcessedEvents, publisher: Publisher) -> tracking.TrackResponse:
    headers = {"content-type": "text/plain", "origin": "https://www.shop.example", "user-agent": FIREFOX}
    request = WebhookRequest(headers=headers, body=json.dumps(payload).encode(), path_parameters={"public_key": KEY})
    limiter = tracking.RateLimiter(counters=InMemoryTrackingCounters())
    return tracking.accept(request, parameters=Parameters(), publisher=publisher, limiter=limiter, storage=storage)


def test_a_repeated_browser_view_is_published_once_under_its_namespaced_dedupe_key():
    storage, publisher = InMemoryProcessedEvents(), Publisher()
    assert _send({"batch": [view(1), view(2)]}, storage, publisher).body == {"accepted": 2, "duplicates": 0}
    assert _send({"batch": [view(1)]}, storage, publisher).body == {"accepted": 0, "duplicates": 1}
    anonymous_id = view(1)["anonymousId"]
    assert [event.event_id for event in publisher.published] == [f"browser:{anonymous_id}:m1", f"browser:{anonymous_id}:m2"]
    # A browser cannot take a server event's dedupe key: its record is namespaced.
    assert storage.table.get(ProcessedEvent, *ProcessedEvent.key(STORE, f"browser:{anonymous_id}:m1")).status == "done"
    assert storage.table.get(ProcessedEvent, *ProcessedEvent.key(STORE, "m1")) is None
