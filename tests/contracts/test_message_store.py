"""``MessageStore`` (``encore.storage.messages``): every behaviour on the in-memory fake and on
moto, so the fake the delivery tests run on cannot drift from DynamoDB's conditional writes.
The nasty cases are here: a step claimed twice, a claim after a deferral, giving back a claim
someone else holds, a write applied whose answer was lost, a cap turn moved by another, and a
claim in view of the count that follows it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from encore.storage.messages import SentMessage
from encore.storage.records import Customer, Message, customer_key
from tests.unit.delivery_moto import bare_table, repositories  # noqa: F401  (fixtures)

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
PK = customer_key("shop", "c-1")
SK = Message.sort_key("cart-abandonment-shop-c-1-1", "reminder_1")


def _message(attempt: str, status: str = "claimed", *, sk: str = SK, pk: str = PK, **fields) -> Message:
    journey, step = sk.removeprefix("MESSAGE#").rsplit("#", 1)
    fields = {"claimed_at": NOW, "template": "cart_reminder_1", **fields}
    return Message(pk, sk, store_id="shop", customer_id="c-1", journey=journey, step=step, status=status, claim_attempt=attempt, **fields)


@pytest.fixture
def messages(repositories):
    return repositories.storage.messages


# ---------------------------------------------------------------- claim


def test_a_step_is_claimed_once(messages):
    assert messages.previous_attempt(PK, SK) is None
    assert messages.claim(_message("first"))
    assert not messages.claim(_message("second"))  # a second invocation of the same step
    stored = messages.stored(PK, SK)
    assert (stored.status, stored.claim_attempt) == ("claimed", "first")
    assert messages.previous_attempt(PK, SK).claim_attempt == "first"


def test_a_claim_applied_whose_answer_was_lost_is_still_ours(messages):
    """The SDK retries a put whose answer was lost; the retry is refused, yet the item is ours."""
    mine = _message("mine")
    assert messages.claim(mine)
    assert messages.claim(mine)  # the retry of the very same write
    assert messages.stored(PK, SK).claim_attempt == "mine"


@pytest.mark.parametrize("status", ["deferred", "awaiting_coupon"])
def test_a_step_held_back_is_claimed_again(messages, repositories, status):
    repositories.add(_message("earlier", status, deferred_reason="quiet_hours"))
    assert messages.claim(_message("later"))
    assert (messages.stored(PK, SK).status, messages.stored(PK, SK).claim_attempt) == ("claimed", "later")


@pytest.mark.parametrize("status", ["sent", "skipped", "uncertain", "claimed"])
def test_a_step_handled_or_held_by_another_is_not_claimed(messages, repositories, status):
    repositories.add(_message("earlier", status))
    assert not messages.claim(_message("later"))
    assert (messages.stored(PK, SK).status, messages.stored(PK, SK).claim_attempt) == (status, "earlier")


def test_the_stored_record_of_a_missing_step_is_an_error(messages):
    with pytest.raises(Message.DoesNotExist):
        messages.stored(PK, SK)


def test_changing_an_object_changes_nothing_stored(messages):
    mine = _message("mine")
    messages.claim(mine)
    mine.status = "sent"
    read = messages.stored(PK, SK)
    read.status = "skipped"
    assert messages.stored(PK, SK).status == "claimed"


# ---------------------------------------------------------------- give back, replace


def test_a_claim_is_given_back_by_its_holder_once_or_twice(messages):
    mine = _message("mine")
    messages.claim(mine)
    messages.give_back(mine)
    assert messages.previous_attempt(PK, SK) is None
    messages.give_back(mine)  # our own retried delete: nothing to do, no error


def test_a_claim_someone_else_holds_is_not_given_back(messages):
    messages.claim(_message("theirs"))
    messages.give_back(_message("mine"))
    assert messages.stored(PK, SK).claim_attempt == "theirs"


def test_a_record_that_moved_on_is_not_given_back(messages, repositories):
    repositories.add(_message("mine", "sent"))
    messages.give_back(_message("mine"))
    assert messages.stored(PK, SK).status == "sent"


def test_a_claim_is_replaced_by_its_holder_only(messages):
    mine = _message("mine")
    messages.claim(mine)
    deferral = _message("deferral", "deferred", deferred_reason="frequency_cap", deferred_until=NOW + timedelta(days=1))
    assert messages.replace_claim(mine, deferral)
    assert messages.replace_claim(mine, deferral)  # applied, answer lost: the retry reads it back
    stored = messages.stored(PK, SK)
    assert (stored.status, stored.claim_attempt, stored.deferred_until) == ("deferred", "deferral", NOW + timedelta(days=1))
    assert not messages.replace_claim(_message("mine"), _message("skip", "skipped", reason="frequency_cap_stale"))  # no longer claimed
    assert messages.stored(PK, SK).claim_attempt == "deferral"


def test_a_claim_taken_over_is_not_replaced(messages, repositories):
    repositories.add(_message("theirs"))
    assert not messages.replace_claim(_message("mine"), _message("skip", "skipped", reason="frequency_cap_stale"))
    assert (messages.stored(PK, SK).status, messages.stored(PK, SK).claim_attempt) == ("claimed", "theirs")


# ---------------------------------------------------------------- coupon, sent, uncertain


def test_a_claim_waits_for_its_coupon_unless_it_moved_on(messages, repositories):
    mine = _message("mine")
    messages.claim(mine)
    messages.hold_for_coupon(mine, "shop_unreachable")
    assert (mine.status, mine.reason, mine.coupon_failure_reason) == ("awaiting_coupon", "shop_unreachable", "shop_unreachable")  # the object too
    stored = messages.stored(PK, SK)
    assert (stored.status, stored.reason, stored.coupon_failure_reason) == ("awaiting_coupon", "shop_unreachable", "shop_unreachable")
    settled = _message("other", "sent", sk="MESSAGE#j#s")
    repositories.add(settled)
    messages.hold_for_coupon(settled, "shop_unreachable")  # refused: no error, nothing changes
    assert messages.stored(PK, "MESSAGE#j#s").status == "sent"


def test_a_coupon_failure_is_noted_on_a_step_sent_without_it(messages):
    mine = _message("mine")
    messages.claim(mine)
    messages.note_coupon_failure(mine, "code_limit")
    assert mine.coupon_failure_reason == messages.stored(PK, SK).coupon_failure_reason == "code_limit"
    assert mine.status == "claimed"


def test_a_send_is_recorded_with_what_it_cost(messages):
    mine = _message("mine", channel="sms")
    messages.claim(mine)
    messages.record_sent(mine, SentMessage("Your cart", "sns-1", NOW, sms_encoding="UCS-2", sms_segments=2))
    stored = messages.stored(PK, SK)
    recorded = ("sent", "Your cart", "sns-1", NOW, "UCS-2", 2, None)
    assert (stored.status, stored.subject, stored.provider_message_id, stored.sent_at, stored.sms_encoding, stored.sms_segments, stored.coupon_code) == recorded
    assert (mine.status, mine.sent_at) == ("sent", NOW)


def test_a_send_that_issued_a_coupon_keeps_its_code(messages):
    mine = _message("mine")
    messages.claim(mine)
    messages.record_sent(mine, SentMessage("Your cart", "ses-1", NOW, coupon_code="SAVE-1"))
    assert messages.stored(PK, SK).coupon_code == "SAVE-1" and messages.stored(PK, SK).sms_segments is None


def test_an_uncertain_send_marks_only_a_claim_still_held(messages, repositories):
    mine = _message("mine")
    messages.claim(mine)
    messages.record_uncertain(mine, "email: ReadTimeoutError", NOW, "SAVE-1")
    messages.record_uncertain(mine, "email: ReadTimeoutError", NOW, "SAVE-1")  # applied, answer lost: refused, no error
    stored = messages.stored(PK, SK)
    assert (stored.status, stored.reason, stored.uncertain_since, stored.coupon_code) == ("uncertain", "email: ReadTimeoutError", NOW, "SAVE-1")
    assert mine.status == "uncertain"
    delivered = _message("other", "sent", sk="MESSAGE#j#s")  # an event settled it first
    repositories.add(delivered)
    messages.record_uncertain(delivered, "email: ReadTimeoutError", NOW, None)
    assert messages.stored(PK, "MESSAGE#j#s").status == "sent"


def test_the_customer_s_uncertain_sends(messages, repositories):
    repositories.add(_message("a", "uncertain", sk="MESSAGE#j#1"), _message("b", "sent", sk="MESSAGE#j#2"))
    repositories.add(_message("c", "uncertain", sk="MESSAGE#j#3", pk=customer_key("shop", "c-2")))
    assert [message.sk for message in messages.uncertain(PK)] == ["MESSAGE#j#1"]


# ---------------------------------------------------------------- the cap window


def test_the_cap_window_holds_what_was_sent_or_claimed_since(messages, repositories):
    week_ago = NOW - timedelta(days=7)
    repositories.add(
        _message("old", "sent", sk="MESSAGE#j#old", claimed_at=week_ago - timedelta(days=1), sent_at=week_ago - timedelta(hours=1)),
        _message("late", "sent", sk="MESSAGE#j#late", claimed_at=week_ago - timedelta(days=1), sent_at=week_ago + timedelta(hours=1)),
        _message("new", "skipped", sk="MESSAGE#j#new", claimed_at=NOW - timedelta(days=1)),
        _message("other", "sent", sk="MESSAGE#j#other", pk=customer_key("shop", "c-2"), sent_at=NOW),
        Customer(PK, Customer.sort_key(), store_id="shop", customer_id="c-1"),
    )
    assert sorted(message.sk for message in messages.recent(PK, since=week_ago)) == ["MESSAGE#j#late", "MESSAGE#j#new"]


def test_a_claim_is_in_view_of_the_count_right_after_it(messages):
    assert messages.recent(PK, since=NOW - timedelta(days=7)) == []
    messages.claim(_message("mine"))
    assert [message.claim_attempt for message in messages.recent(PK, since=NOW - timedelta(days=7))] == ["mine"]


# ---------------------------------------------------------------- the cap turn


def test_the_cap_turn_moves_only_from_where_it_was_read(messages):
    assert messages.cap_turn(PK) == 0
    assert messages.move_cap_turn(PK, 0)
    assert not messages.move_cap_turn(PK, 0)  # moved by another (or our own move, answer lost)
    assert messages.cap_turn(PK) == 1
    assert not messages.move_cap_turn(PK, 5)
    assert messages.move_cap_turn(PK, 1) and messages.cap_turn(PK) == 2
    assert messages.cap_turn(customer_key("shop", "c-2")) == 0  # one turn per customer


def test_the_cap_turn_is_no_message(messages):
    messages.move_cap_turn(PK, 0)
    assert messages.recent(PK, since=NOW - timedelta(days=365)) == [] and messages.uncertain(PK) == []
