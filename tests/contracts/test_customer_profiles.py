"""``CustomerProfiles`` (``encore.storage.profiles``) on the in-memory fake and on moto: a
profile kept current by events that add up, the consent rule's conditional write (a consent
replaced only by one that may replace it, the rest of the event taken anyway), suppression and
engagement only on a profile that exists, who has a phone number, and the operator's record."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from encore.models import Milestone
from encore.storage.profiles import ConsentChange, ProfileUpdate
from encore.storage.records import Customer, Message, Order, customer_key
from tests.unit.customer_state_moto import customer_repositories  # noqa: F401  (fixture)
from tests.unit.delivery_moto import bare_table  # noqa: F401  (fixture)

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
EARLIER, LATER = NOW - timedelta(days=1), NOW + timedelta(days=1)
PK = customer_key("shop", "c-1")


@pytest.fixture
def profiles(customer_repositories):
    return customer_repositories.storage.profiles


def _update(at: datetime = NOW, **fields) -> ProfileUpdate:
    return ProfileUpdate(store_id="shop", customer_id="c-1", occurred_at=at, **fields)


def _granted(at: datetime, source: str = "shopify:customers/update", **fields) -> ConsentChange:
    return ConsentChange(granted=True, source=source, updated_at=at, **fields)


def _withdrawn(at: datetime, source: str = "email:one-click-unsubscribe") -> ConsentChange:
    return ConsentChange(granted=False, source=source, updated_at=at)


def test_a_profile_is_created_then_kept_current_with_what_each_event_carries(profiles):
    assert profiles.profile("shop", "c-1") is None
    assert profiles.upsert_profile(_update(EARLIER, details={"email": "c-1@example.com", "first_name": "Ada"}, birthday=date(1990, 3, 7), registered=True))
    assert profiles.upsert_profile(_update(NOW, details={"country": "FR"}, tags=frozenset({"vip"}), registered=True))
    stored = profiles.profile("shop", "c-1")
    assert (stored.store_id, stored.customer_id, stored.email, stored.first_name, stored.country) == ("shop", "c-1", "c-1@example.com", "Ada", "FR")
    assert (stored.birthday, stored.birthday_key) == ("1990-03-07", "STORE#shop#BIRTHDAY#03-07")
    assert (stored.tags, stored.registered_at, stored.updated_at) == ({"vip"}, EARLIER, NOW)  # registered once: the first time stays
    assert stored.accepts_email_marketing is False and stored.email_consent is None  # a new profile starts without consent
    profiles.upsert_profile(_update(LATER, tags=frozenset()))
    assert profiles.profile("shop", "c-1").tags is None  # no tags any more
    assert profiles.profile("shop", "c-2") is None


def test_unknown_profile_details_are_refused():
    with pytest.raises(ValueError, match="not profile details"):
        _update(details={"orders_count": "3"})


def test_a_newer_consent_replaces_the_one_on_file(profiles):
    profiles.upsert_profile(_update(EARLIER, email_consent=_granted(EARLIER)))
    assert profiles.profile("shop", "c-1").accepts_email_marketing is True
    assert profiles.upsert_profile(_update(NOW, email_consent=_withdrawn(NOW)))
    stored = profiles.profile("shop", "c-1")
    assert (stored.email_consent.granted, stored.email_consent.source, stored.email_consent.updated_at) == (False, "email:one-click-unsubscribe", NOW)
    assert stored.accepts_email_marketing is False


def test_an_older_consent_is_ignored_and_the_rest_of_its_event_taken(profiles):
    profiles.upsert_profile(_update(NOW, email_consent=_withdrawn(NOW)))
    assert not profiles.upsert_profile(_update(LATER, details={"first_name": "Ada"}, email_consent=_granted(EARLIER)))
    stored = profiles.profile("shop", "c-1")
    assert (stored.email_consent.granted, stored.email_consent.updated_at, stored.accepts_email_marketing) == (False, NOW, False)
    assert (stored.first_name, stored.updated_at) == ("Ada", LATER)


def test_a_consent_of_the_same_moment_replaces_the_one_on_file(profiles):
    profiles.upsert_profile(_update(NOW, sms_consent=_granted(NOW)))
    assert profiles.upsert_profile(_update(NOW, sms_consent=_withdrawn(NOW, "sms:stop-keyword")))
    assert profiles.profile("shop", "c-1").sms_consent.granted is False


def test_a_consent_that_may_not_undo_an_opt_out_only_confirms_a_grant(profiles):
    profiles.upsert_profile(_update(EARLIER, email_consent=_withdrawn(EARLIER)))
    assert not profiles.upsert_profile(_update(LATER, email_consent=_granted(LATER, may_undo_opt_out=False)))
    assert profiles.profile("shop", "c-1").email_consent.granted is False
    profiles.upsert_profile(_update(NOW, email_consent=_granted(NOW, "email:preferences-page")))
    assert profiles.upsert_profile(_update(LATER, email_consent=_granted(LATER, "legacy:accepts_marketing", may_undo_opt_out=False)))
    stored = profiles.profile("shop", "c-1")
    assert (stored.email_consent.granted, stored.email_consent.source, stored.email_consent.updated_at) == (True, "legacy:accepts_marketing", LATER)


def test_a_first_consent_is_taken_even_when_it_may_not_undo_an_opt_out(profiles):
    assert profiles.upsert_profile(_update(NOW, email_consent=_granted(NOW, may_undo_opt_out=False)))
    assert profiles.profile("shop", "c-1").accepts_email_marketing is True


def test_an_event_consents_are_taken_together_or_not_at_all(profiles):
    profiles.upsert_profile(_update(NOW, sms_consent=_withdrawn(NOW)))
    assert not profiles.upsert_profile(_update(LATER, email_consent=_granted(LATER), sms_consent=_granted(EARLIER)))
    stored = profiles.profile("shop", "c-1")
    assert (stored.email_consent, stored.sms_consent.granted, stored.accepts_email_marketing) == (None, False, False)


def test_email_is_suppressed_only_on_a_profile_that_exists(profiles, customer_repositories):
    assert not profiles.suppress_email("shop", "c-1", "hard_bounce", NOW)
    assert profiles.profile("shop", "c-1") is None  # no profile made up for an unknown customer
    customer_repositories.add(Customer(PK, Customer.sort_key(), store_id="shop", customer_id="c-1"))
    assert profiles.suppress_email("shop", "c-1", "complaint", NOW)
    stored = profiles.profile("shop", "c-1")
    assert (stored.email_suppressed_reason, stored.email_suppressed_at) == ("complaint", NOW)


def test_sms_is_suppressed(profiles, customer_repositories):
    customer_repositories.add(Customer(PK, Customer.sort_key(), store_id="shop", customer_id="c-1", first_name="Ada"))
    profiles.suppress_sms("shop", "c-1", "stop_keyword", NOW)
    stored = profiles.profile("shop", "c-1")
    assert (stored.sms_suppressed_reason, stored.sms_suppressed_at, stored.first_name) == ("stop_keyword", NOW, "Ada")


def test_engagement_moves_only_forward_and_only_on_a_profile_that_exists(profiles, customer_repositories):
    assert not profiles.note_engaged("shop", "c-1", NOW)
    customer_repositories.add(Customer(PK, Customer.sort_key(), store_id="shop", customer_id="c-1"))
    assert profiles.note_engaged("shop", "c-1", NOW)
    assert not profiles.note_engaged("shop", "c-1", EARLIER)  # a late event about an older open
    assert not profiles.note_engaged("shop", "c-1", NOW)  # the same event again
    assert profiles.note_engaged("shop", "c-1", LATER)
    assert profiles.profile("shop", "c-1").last_engaged_at == LATER


def test_the_active_hour_is_kept_on_the_profile_and_the_object(profiles, customer_repositories):
    customer_repositories.add(Customer(PK, Customer.sort_key(), store_id="shop", customer_id="c-1", time_zone="Europe/Paris"))
    customer = profiles.profile("shop", "c-1")
    profiles.set_active_hour(customer, 19)
    assert customer.active_hour == profiles.profile("shop", "c-1").active_hour == 19
    assert profiles.profile("shop", "c-1").time_zone == "Europe/Paris"


def test_who_has_a_phone_number_in_every_store(profiles):
    assert profiles.customers_with_phone("+33612345678") == []
    profiles.record_phone("shop", "c-1", "+33612345678")
    profiles.record_phone("other-shop", "c-9", "+33612345678")
    profiles.record_phone("shop", "c-1", "+33612345678")  # the same again: recorded once
    profiles.record_phone("shop", "c-2", "+33700000000")
    assert sorted(profiles.customers_with_phone("+33612345678")) == [("other-shop", "c-9"), ("shop", "c-1")]


def test_the_operator_record_lists_the_customer_partition_in_order(profiles, customer_repositories):
    def message(step: str, claimed_at: datetime) -> Message:
        journey = "welcome-shop-c-1"
        return Message(
            PK,
            Message.sort_key(journey, step),
            store_id="shop",
            customer_id="c-1",
            journey=journey,
            step=step,
            status="sent",
            template="welcome_1",
            claimed_at=claimed_at,
        )

    customer_repositories.add(
        Customer(PK, Customer.sort_key(), store_id="shop", customer_id="c-1"),
        message("b_second", EARLIER),
        message("a_later", LATER),
        Order(PK, Order.sort_key("o-2"), store_id="shop", customer_id="c-1", order_id="o-2", placed_at=LATER),
        Order(PK, Order.sort_key("o-1"), store_id="shop", customer_id="c-1", order_id="o-1", paid_at=EARLIER),
        Milestone(PK, Milestone.sort_key("first_order"), reached_at=NOW, journey="post-purchase-shop-c-1"),
        Order(customer_key("shop", "c-2"), Order.sort_key("o-3"), store_id="shop", customer_id="c-2", order_id="o-3", placed_at=NOW),
    )
    record = profiles.customer_record("shop", "c-1")
    assert record.profile.customer_id == "c-1"
    assert [m.step for m in record.messages] == ["b_second", "a_later"]  # by claim time
    assert [o.order_id for o in record.orders] == ["o-1", "o-2"]  # oldest first
    assert record.journeys == ["welcome-shop-c-1", "post-purchase-shop-c-1"]
    assert record.waits == []
    empty = profiles.customer_record("shop", "c-3")
    assert (empty.profile, empty.messages, empty.orders) == (None, [], [])


def test_changing_a_read_profile_changes_nothing_stored(profiles):
    profiles.upsert_profile(_update(details={"email": "c-1@example.com"}))
    profiles.profile("shop", "c-1").email = "changed@example.com"
    assert profiles.profile("shop", "c-1").email == "c-1@example.com"
