"""``TrackingCounters`` (``encore.storage.tracking_counters``) on the in-memory fake and on
moto: a busy visitor's requests add up per minute across containers, each minute and visitor
counted apart, the count forgotten two minutes on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from encore.models import TrackingCounter, get_or_none
from encore.storage.fakes_tracking import InMemoryTrackingCounters
from encore.storage.tracking_counters import DynamoTrackingCounters
from tests.unit.delivery_moto import bare_table  # noqa: F401  (fixture)

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)


@pytest.fixture(params=["fake", "moto"])
def counters(request):
    if request.param == "moto":
        request.getfixturevalue("table")
        return DynamoTrackingCounters()
    return InMemoryTrackingCounters()


def test_counts_add_up_per_visitor_and_minute(counters):
    assert counters.count_visitor_requests("shop", "v-1", "202611101500", 31, NOW + timedelta(minutes=2)) == 31
    assert counters.count_visitor_requests("shop", "v-1", "202611101500", 1, NOW + timedelta(minutes=2)) == 32  # another container's share
    assert counters.count_visitor_requests("shop", "v-1", "202611101501", 5, NOW + timedelta(minutes=3)) == 5
    assert counters.count_visitor_requests("shop", "v-2", "202611101500", 2, NOW + timedelta(minutes=2)) == 2
    assert counters.count_visitor_requests("other-shop", "v-1", "202611101500", 1, NOW + timedelta(minutes=2)) == 1


def test_each_request_moves_the_expiry_on(counters):
    counters.count_visitor_requests("shop", "v-1", "202611101500", 31, NOW + timedelta(minutes=2))
    counters.count_visitor_requests("shop", "v-1", "202611101500", 1, NOW + timedelta(minutes=2, seconds=40))
    key = TrackingCounter.key("shop", "v-1", "202611101500")
    stored = counters.table.get(TrackingCounter, *key) if isinstance(counters, InMemoryTrackingCounters) else get_or_none(TrackingCounter, *key)
    assert (stored.requests, stored.expires_at) == (32, NOW + timedelta(minutes=2, seconds=40))
