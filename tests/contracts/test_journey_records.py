"""``JourneyRecords`` (``encore.storage.journey_records``) on the in-memory fake and on moto: a
scenario's journey for a customer and subject claimed by one of racing events, again only
after the cooldown (never, without one), and the journey already recorded claiming again (a
retried event, or a put applied whose answer was lost)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from encore.storage.fakes_journey_records import InMemoryJourneyRecords
from encore.storage.journey_records import DynamoJourneyRecords, JourneyRecords
from encore.storage.records import customer_key
from tests.unit.delivery_moto import bare_table  # noqa: F401  (the `table` fixture)

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
PK = customer_key("shop", "c-1")
WEEK = timedelta(days=7)


@pytest.fixture(params=["fake", "moto"])
def records(request) -> JourneyRecords:
    if request.param == "fake":
        return InMemoryJourneyRecords()
    request.getfixturevalue("table")
    return DynamoJourneyRecords()


def test_of_two_racing_journeys_the_first_claim_wins(records):
    assert records.claim(PK, "browse-abandonment", "mug", "journey-1", claimed_by="event-journey-1", now=NOW, cooldown=WEEK)
    assert not records.claim(PK, "browse-abandonment", "mug", "journey-2", claimed_by="event-journey-2", now=NOW, cooldown=WEEK)  # the second taker


def test_the_journey_already_recorded_claims_again(records):
    """A retried event (or the SDK's retry of a put that was applied) still starts its journey."""
    records.claim(PK, "browse-abandonment", "mug", "journey-1", claimed_by="event-journey-1", now=NOW, cooldown=WEEK)

    assert records.claim(PK, "browse-abandonment", "mug", "journey-1", claimed_by="event-journey-1", now=NOW + timedelta(minutes=1), cooldown=WEEK)
    assert records.claim(PK, "up-sell", "", "journey-1b", claimed_by="event-journey-1b", now=NOW, cooldown=None)
    assert records.claim(PK, "up-sell", "", "journey-1b", claimed_by="event-journey-1b", now=NOW, cooldown=None)


def test_another_journey_is_claimed_only_after_the_cooldown(records):
    records.claim(PK, "browse-abandonment", "mug", "journey-1", claimed_by="event-journey-1", now=NOW, cooldown=WEEK)

    assert not records.claim(PK, "browse-abandonment", "mug", "journey-2", claimed_by="event-journey-2", now=NOW + WEEK - timedelta(seconds=1), cooldown=WEEK)
    assert records.claim(PK, "browse-abandonment", "mug", "journey-2", claimed_by="event-journey-2", now=NOW + WEEK, cooldown=WEEK)
    assert not records.claim(
        PK, "browse-abandonment", "mug", "journey-3", claimed_by="event-journey-3", now=NOW + WEEK, cooldown=WEEK
    )  # counted from the new one


def test_without_a_cooldown_a_scenario_starts_once_ever_per_subject_and_customer(records):
    records.claim(PK, "up-sell", "mug", "journey-1", claimed_by="event-journey-1", now=NOW, cooldown=None)

    assert not records.claim(PK, "up-sell", "mug", "journey-2", claimed_by="event-journey-2", now=NOW + timedelta(days=3650), cooldown=None)
    assert records.claim(PK, "up-sell", "tea", "journey-3", claimed_by="event-journey-3", now=NOW, cooldown=None)  # another subject
    assert records.claim(customer_key("shop", "c-2"), "up-sell", "mug", "journey-4", claimed_by="event-journey-4", now=NOW, cooldown=None)  # another customer


def test_the_same_journey_claimed_by_a_later_event_is_refused(records):
    """Up-sell names the journey after the product: a view months later gets the same name
    (which Step Functions refuses again for 90 days only). Only the claiming event, retried,
    claims it again: once ever outlives the name."""
    assert records.claim(PK, "up-sell", "phone", "up-sell-phone", claimed_by="view-1", now=NOW, cooldown=None)
    assert not records.claim(PK, "up-sell", "phone", "up-sell-phone", claimed_by="view-2", now=NOW + timedelta(days=120), cooldown=None)
    assert records.claim(PK, "up-sell", "phone", "up-sell-phone", claimed_by="view-1", now=NOW + timedelta(minutes=3), cooldown=None)


def test_a_record_of_the_previous_release_claims_its_journey_again_while_the_name_is_kept(records, request):
    """Records written before ``claimed_by`` existed: the same journey counts as this event's
    own only while Step Functions still refuses the name (90 days from its start)."""
    from encore.models import JourneyRecord

    legacy = JourneyRecord(PK, JourneyRecord.sort_key("up-sell", "phone"), journey="up-sell-phone", started_at=NOW)
    if isinstance(records, InMemoryJourneyRecords):
        records.table.add(legacy)
    else:
        legacy.save()
    assert records.claim(PK, "up-sell", "phone", "up-sell-phone", claimed_by="view-9", now=NOW + timedelta(days=89), cooldown=None)
    assert not records.claim(PK, "up-sell", "phone", "up-sell-phone", claimed_by="view-9", now=NOW + timedelta(days=90), cooldown=None)
