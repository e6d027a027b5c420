"""``Milestones`` (``encore.storage.milestones``) on the in-memory fake and on moto: what a
customer reaches once ever (welcomed, registration confirmed, the first purchase in a
category) and the journeys a scenario may start once ever or once per cooldown.

Once is the point: of two triggers racing, one wins and the other is refused; a write applied
whose answer was lost (the SDK retries it, and the retry meets its own item) still reads as
the caller's own where the caller needs it (a first purchase, a journey claim).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from encore.models import JourneyRecord, Milestone
from encore.storage.milestones import first_purchase_milestone
from encore.storage.records import customer_key
from tests.unit.delivery_moto import bare_table  # noqa: F401  (the `table` fixture)
from tests.unit.start_storage_moto import start_repositories  # noqa: F401  (fixture)

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
STORE, CUSTOMER = "shop", "c-1"
PK = customer_key(STORE, CUSTOMER)
WEEK = timedelta(days=7)


@pytest.fixture
def milestones(start_repositories):
    return start_repositories.storage.milestones


def _stored(start_repositories, model, sk):
    """The item as the table holds it, read past the repository under test."""
    if start_repositories.kind == "fake":
        return start_repositories.storage.milestones.table.get(model, PK, sk)
    try:
        return model.get(PK, sk, consistent_read=True)
    except model.DoesNotExist:
        return None


def test_a_milestone_is_reached_once_and_kept_by_its_first_journey(milestones, start_repositories):
    assert not milestones.reached(STORE, CUSTOMER, "welcomed")

    assert milestones.reach_milestone(STORE, CUSTOMER, "welcomed", journey="welcome-1", at=NOW)
    assert not milestones.reach_milestone(STORE, CUSTOMER, "welcomed", journey="welcome-2", at=NOW + WEEK)  # a second taker

    assert milestones.reached(STORE, CUSTOMER, "welcomed")
    stored = _stored(start_repositories, Milestone, Milestone.sort_key("welcomed"))
    assert (stored.journey, stored.reached_at) == ("welcome-1", NOW)
    assert not milestones.reached(STORE, CUSTOMER, "registration_confirmed")
    assert not milestones.reached(STORE, "someone-else", "welcomed")


def test_a_milestone_write_applied_whose_answer_was_lost_keeps_the_milestone(milestones, start_repositories):
    """The SDK retries the put; the retry is refused, and the milestone is the first write's."""
    assert milestones.reach_milestone(STORE, CUSTOMER, "welcomed", journey="welcome-1", at=NOW)
    assert not milestones.reach_milestone(STORE, CUSTOMER, "welcomed", journey="welcome-1", at=NOW)
    assert _stored(start_repositories, Milestone, Milestone.sort_key("welcomed")).journey == "welcome-1"


def test_the_first_purchase_in_a_category_is_kept_by_its_order(milestones, start_repositories):
    assert milestones.reach_first_purchase(STORE, CUSTOMER, "coffee", order_id="1001", at=NOW)
    assert not milestones.reach_first_purchase(STORE, CUSTOMER, "coffee", order_id="1002", at=NOW + WEEK)  # a later order
    assert milestones.reach_first_purchase(STORE, CUSTOMER, "tea", order_id="1002", at=NOW + WEEK)  # another category

    stored = _stored(start_repositories, Milestone, Milestone.sort_key(first_purchase_milestone("coffee")))
    assert (stored.order_id, stored.reached_at) == ("1001", NOW)
    assert milestones.reached(STORE, CUSTOMER, first_purchase_milestone("tea"))


def test_the_order_that_made_the_first_purchase_still_gets_it_when_retried(milestones, start_repositories):
    """A write applied whose answer was lost, or the order's event retried after a crash
    before the journey started: the same order is still the first."""
    assert milestones.reach_first_purchase(STORE, CUSTOMER, "coffee", order_id="1001", at=NOW)
    assert milestones.reach_first_purchase(STORE, CUSTOMER, "coffee", order_id="1001", at=NOW)
    assert _stored(start_repositories, Milestone, Milestone.sort_key(first_purchase_milestone("coffee"))).order_id == "1001"


def test_a_journey_claimed_once_ever_is_refused_to_any_other_journey(milestones, start_repositories):
    assert milestones.claim_journey(STORE, CUSTOMER, "up-sell", "mug", "up-sell-1", claimed_by="event-up-sell-1", now=NOW, cooldown=None)
    assert not milestones.claim_journey(STORE, CUSTOMER, "up-sell", "mug", "up-sell-2", claimed_by="event-up-sell-2", now=NOW + 400 * WEEK, cooldown=None)
    assert milestones.claim_journey(STORE, CUSTOMER, "up-sell", "teapot", "up-sell-3", claimed_by="event-up-sell-3", now=NOW, cooldown=None)  # another subject

    stored = _stored(start_repositories, JourneyRecord, JourneyRecord.sort_key("up-sell", "mug"))
    assert (stored.journey, stored.started_at) == ("up-sell-1", NOW)


def test_claiming_the_journey_already_recorded_succeeds(milestones, start_repositories):
    """A retried event (or a claim applied whose answer was lost) still starts its journey."""
    assert milestones.claim_journey(STORE, CUSTOMER, "up-sell", "mug", "up-sell-1", claimed_by="event-up-sell-1", now=NOW, cooldown=None)
    assert milestones.claim_journey(STORE, CUSTOMER, "up-sell", "mug", "up-sell-1", claimed_by="event-up-sell-1", now=NOW + timedelta(minutes=5), cooldown=None)
    assert _stored(start_repositories, JourneyRecord, JourneyRecord.sort_key("up-sell", "mug")).started_at == NOW


def test_a_cooldown_refuses_a_new_journey_until_it_has_passed(milestones, start_repositories):
    assert milestones.claim_journey(STORE, CUSTOMER, "browse-abandonment", "", "browse-day-1", claimed_by="event-browse-day-1", now=NOW, cooldown=WEEK)
    assert not milestones.claim_journey(
        STORE, CUSTOMER, "browse-abandonment", "", "browse-day-2", claimed_by="event-browse-day-2", now=NOW + WEEK - timedelta(seconds=1), cooldown=WEEK
    )
    assert milestones.claim_journey(
        STORE, CUSTOMER, "browse-abandonment", "", "browse-day-8", claimed_by="event-browse-day-8", now=NOW + WEEK, cooldown=WEEK
    )  # exactly a week

    stored = _stored(start_repositories, JourneyRecord, JourneyRecord.sort_key("browse-abandonment", ""))
    assert (stored.journey, stored.started_at) == ("browse-day-8", NOW + WEEK)
    assert not milestones.claim_journey(
        STORE, CUSTOMER, "browse-abandonment", "", "browse-day-9", claimed_by="event-browse-day-9", now=NOW + WEEK + timedelta(days=1), cooldown=WEEK
    )


def test_a_zero_cooldown_allows_a_journey_a_day(milestones):
    assert milestones.claim_journey(STORE, CUSTOMER, "browse-abandonment", "", "browse-day-1", claimed_by="event-browse-day-1", now=NOW, cooldown=timedelta(0))
    assert milestones.claim_journey(
        STORE, CUSTOMER, "browse-abandonment", "", "browse-day-2", claimed_by="event-browse-day-2", now=NOW + timedelta(days=1), cooldown=timedelta(0)
    )
