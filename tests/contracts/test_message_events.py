"""``MessageEvents`` (``encore.storage.message_events``) on the in-memory fake and on moto:
a send settled by the channel's word only while uncertain or claimed, each moment kept once
and only on a message the table knows, and the opens and clicks of a customer's messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from encore.models import get_or_none
from encore.storage.message_events import MessageRef
from encore.storage.records import Message, customer_key
from tests.unit.customer_state_moto import customer_repositories  # noqa: F401  (fixture)
from tests.unit.delivery_moto import bare_table  # noqa: F401  (fixture)

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
REF = MessageRef("shop", "c-1", "welcome-shop-c-1", "welcome_1")


def _message(status: str, ref: MessageRef = REF, **fields) -> Message:
    return Message(
        *ref.key,
        store_id=ref.store_id,
        customer_id=ref.customer_id,
        journey=ref.journey,
        step=ref.step,
        status=status,
        template="welcome_1",
        claimed_at=NOW,
        **fields,
    )


@pytest.fixture
def events(customer_repositories):
    return customer_repositories.storage.message_events


@pytest.fixture
def stored(customer_repositories):
    def read(ref: MessageRef = REF) -> Message | None:
        if customer_repositories.kind == "moto":
            return get_or_none(Message, *ref.key)
        return customer_repositories.storage.message_events.table.get(Message, *ref.key)

    return read


def test_the_message_key_is_the_step_record_key():
    assert REF.key == (customer_key("shop", "c-1"), Message.sort_key("welcome-shop-c-1", "welcome_1"))


@pytest.mark.parametrize("status", ["uncertain", "claimed"])
def test_a_send_in_doubt_is_settled_by_the_channel(events, stored, customer_repositories, status):
    customer_repositories.add(_message(status, uncertain_since=NOW if status == "uncertain" else None))
    assert events.settle_send(REF, "ses-1", NOW)
    message = stored()
    assert (message.status, message.provider_message_id, message.sent_at, message.uncertain_since) == ("sent", "ses-1", NOW, None)
    assert not events.settle_send(REF, "ses-2", LATER)  # settled once
    assert stored().provider_message_id == "ses-1"


@pytest.mark.parametrize("status", ["sent", "skipped", "deferred"])
def test_a_send_not_in_doubt_is_left_as_it_is(events, stored, customer_repositories, status):
    customer_repositories.add(_message(status))
    assert not events.settle_send(REF, "ses-1", NOW)
    assert (stored().status, stored().provider_message_id) == (status, None)


def test_nothing_is_settled_or_kept_for_an_unknown_message(events, stored):
    assert not events.settle_send(REF, "ses-1", NOW)
    assert not events.note_first(REF, "opened_at", NOW)
    assert stored() is None  # no record made up


def test_each_moment_is_kept_once(events, stored, customer_repositories):
    customer_repositories.add(_message("sent"))
    assert events.note_first(REF, "delivered_at", NOW)
    assert events.note_first(REF, "opened_at", NOW)
    assert not events.note_first(REF, "opened_at", LATER)  # a second open
    assert events.note_first(REF, "bounced_at", LATER)
    message = stored()
    assert (message.delivered_at, message.opened_at, message.bounced_at, message.clicked_at, message.status) == (NOW, NOW, LATER, None, "sent")


def test_the_opens_and_clicks_of_a_customer_messages(events, customer_repositories):
    second = MessageRef("shop", "c-1", "welcome-shop-c-1", "welcome_2")
    elsewhere = MessageRef("shop", "c-2", "welcome-shop-c-2", "welcome_1")
    customer_repositories.add(_message("sent", opened_at=NOW, clicked_at=LATER), _message("sent", second), _message("sent", elsewhere, opened_at=LATER))
    assert events.engagement_moments("shop", "c-2") == [LATER]
    assert sorted(events.engagement_moments("shop", "c-1")) == [NOW, LATER]
    assert events.engagement_moments("shop", "c-3") == []
