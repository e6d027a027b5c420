"""Customer state on the in-memory repositories (``encore.storage.fakes_customers``): the
rules of ``encore.customers``, ``encore.unsubscribe``, ``encore.consent_sync`` and
``encore.deliverability`` without a table. The repositories' conditional writes are held to
DynamoDB's by ``tests/contracts``; the wiring (webhooks, the unsubscribe routes, SES and SMS
events through their functions, the write-back to the shop) stays tested on the full stack
(tests/faults/test_consent.py, tests/integration/test_sms_replies.py, tests/scenarios/)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from encore.adapters.sms import InboundSms
from encore.consent_sync import ConsentWithdrawn, write_back
from encore.customers import (
    LINK_KEPT,
    apply_customer_updated,
    apply_product_viewed,
    customer_for_visitor,
    link_checkout_to_customer,
    link_checkout_to_visitor,
    upsert_customer,
)
from encore.deliverability import SesEvent, apply_email_event, apply_sms_reply
from encore.events import Consent, CustomerRef, CustomerUpdated, ProductViewed
from encore.guards import MIN_ENGAGEMENTS_TO_LEARN
from encore.models import ProductView  # the stored view counts, as the contract tests read them
from encore.storage.fakes import InMemoryTable
from encore.storage.fakes_customers import in_memory_customer_storage
from encore.storage.records import Customer, Message, customer_key
from encore.unsubscribe import InvalidUnsubscribeLink, UnsubscribeKeys, make_token, preferences, set_preferences, unsubscribe

STORE = "shop"
START = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def table() -> InMemoryTable:
    return InMemoryTable()


@pytest.fixture
def storage(table):
    return in_memory_customer_storage(table)


def _profile(storage, customer_id: str = "c-1", store_id: str = STORE) -> Customer:
    return storage.profiles.profile(store_id, customer_id)


# ---------------------------------------------------------------- visitors and views


def _viewed(event_id: str, *, anonymous_id=None, customer=None, dwell=30, minutes=0) -> ProductViewed:
    return ProductViewed(
        event_id=event_id,
        store_id=STORE,
        occurred_at=START + timedelta(minutes=minutes),
        source="test",
        anonymous_id=anonymous_id,
        customer=customer,
        product_id="espresso-beans",
        title="Espresso beans 1 kg",
        category="coffee",
        dwell_seconds=dwell,
    )


def test_views_of_a_visitor_move_to_the_customer_when_they_sign_in(storage, table):
    assert apply_product_viewed(_viewed("v1", anonymous_id="anon-7", dwell=40), storage=storage) == ("visitor", None)
    assert apply_product_viewed(_viewed("v2", anonymous_id="anon-7", dwell=75, minutes=5), storage=storage) == ("visitor", None)

    ref = CustomerRef(customer_id="user-9", email="ieva@example.com", anonymous_id="anon-7", birthday=date(1990, 3, 14), tags=["vip"])
    event = CustomerUpdated(event_id="i1", store_id=STORE, occurred_at=START + timedelta(minutes=6), source="test", customer=ref)
    apply_customer_updated(event, storage=storage)
    assert customer_for_visitor(STORE, "anon-7", storage=storage) == "user-9"
    assert table.query(ProductView, f"STORE#{STORE}#VISITOR#anon-7", "VIEW#") == []

    # Later views by the same browser land on the customer directly.
    assert apply_product_viewed(_viewed("v3", anonymous_id="anon-7", dwell=5, minutes=30), storage=storage) == ("customer", "user-9")
    (view,) = table.query(ProductView, customer_key(STORE, "user-9"), "VIEW#")
    assert (view.views, view.dwell_seconds, view.category, view.expires_at) == (3, 120, "coffee", None)
    profile = _profile(storage, "user-9")
    assert (profile.birthday_key, profile.anonymous_ids, profile.tags) == (f"STORE#{STORE}#BIRTHDAY#03-14", {"anon-7"}, {"vip"})


def test_a_view_by_nobody_known_is_not_recorded(storage):
    assert apply_product_viewed(_viewed("v1"), storage=storage) == ("unattributed", None)


def test_a_checkout_token_links_the_visitor_and_the_customer_in_either_order(storage):
    assert link_checkout_to_visitor(STORE, "tok-1", "anon-1", START, storage=storage) is None  # the webhook has not come yet
    assert link_checkout_to_customer(STORE, "tok-1", "c-1", START + timedelta(seconds=5), storage=storage) == "anon-1"
    assert customer_for_visitor(STORE, "anon-1", storage=storage) == "c-1"

    assert link_checkout_to_customer(STORE, "tok-2", "c-2", START, storage=storage) is None  # the browser has not reported it yet
    assert link_checkout_to_visitor(STORE, "tok-2", "anon-2", START + timedelta(seconds=5), storage=storage) == "c-2"
    assert link_checkout_to_visitor(STORE, "tok-2", "anon-3", START + timedelta(seconds=9), storage=storage) is None  # the first visitor keeps it
    assert customer_for_visitor(STORE, "anon-3", storage=storage) is None


def test_a_checkout_link_past_its_day_merges_nobody(storage):
    link_checkout_to_visitor(STORE, "tok-1", "anon-1", START, storage=storage)
    assert link_checkout_to_customer(STORE, "tok-1", "c-1", START + LINK_KEPT + timedelta(seconds=1), storage=storage) is None
    assert customer_for_visitor(STORE, "anon-1", storage=storage) is None


# ---------------------------------------------------------------- the consent rule


def _consent(granted: bool, source: str, updated_at: datetime | None) -> Consent:
    return Consent(granted=granted, source=source, updated_at=updated_at)


def test_an_opt_out_made_in_encore_is_undone_only_by_a_dated_later_consent(storage):
    opted_out = START + timedelta(hours=2)
    upsert_customer(STORE, CustomerRef(customer_id="c-1", email_consent=_consent(True, "shopify:customers/create", START)), START, storage=storage)
    upsert_customer(STORE, CustomerRef(customer_id="c-1", email_consent=_consent(False, "email:one-click-unsubscribe", opted_out)), opted_out, storage=storage)

    # The shop reports "subscribed" without a date, or with an older one: not taken, the rest is.
    later = opted_out + timedelta(hours=1)
    upsert_customer(STORE, CustomerRef(customer_id="c-1", first_name="Olena", accepts_email_marketing=True), later, storage=storage)
    upsert_customer(STORE, CustomerRef(customer_id="c-1", email_consent=_consent(True, "shopify:customers/update", START)), later, storage=storage)
    profile = _profile(storage)
    assert (profile.accepts_email_marketing, profile.email_consent.source, profile.first_name) == (False, "email:one-click-unsubscribe", "Olena")

    # An explicit consent dated after the opt-out is taken.
    upsert_customer(STORE, CustomerRef(customer_id="c-1", email_consent=_consent(True, "shopify:customers/update", later)), later, storage=storage)
    assert (_profile(storage).accepts_email_marketing, _profile(storage).email_consent.updated_at) == (True, later)


def test_an_undated_subscribed_state_confirms_a_consent_on_file_and_an_undated_withdrawal_is_taken(storage):
    upsert_customer(STORE, CustomerRef(customer_id="c-1", email_consent=_consent(True, "shopify:customers/create", START)), START, storage=storage)
    later = START + timedelta(days=1)
    upsert_customer(STORE, CustomerRef(customer_id="c-1", accepts_email_marketing=True), later, storage=storage)
    assert (_profile(storage).email_consent.source, _profile(storage).email_consent.updated_at) == ("legacy:accepts_marketing", later)
    upsert_customer(STORE, CustomerRef(customer_id="c-1", sms_consent=_consent(False, "shopify:customers/update", None)), later, storage=storage)
    assert _profile(storage).sms_consent.granted is False


def test_blank_details_are_not_carried_and_a_push_token_needs_its_platform(storage):
    first = CustomerRef(customer_id="c-1", email="c-1@example.com", first_name="Olena", locale="uk", country="fr", push_token="tok")
    upsert_customer(STORE, first, START, storage=storage)
    upsert_customer(STORE, CustomerRef(customer_id="c-1", first_name="", locale=""), START + timedelta(minutes=1), storage=storage)
    profile = _profile(storage)
    assert (profile.email, profile.first_name, profile.locale, profile.country) == ("c-1@example.com", "Olena", "uk", "FR")
    assert (profile.push_token, profile.push_platform) == (None, None)  # a token without its platform is of no use


# ---------------------------------------------------------------- unsubscribe and preferences


class _Parameters:
    """The store's unsubscribe keys, as ``StoreParameters`` gives them."""

    def __init__(self, keys: UnsubscribeKeys) -> None:
        self.keys = keys

    def unsubscribe_keys(self, store_id: str, *, refresh: bool = False) -> dict | None:
        return self.keys.as_dict() if store_id == STORE else None


class _Bus:
    def __init__(self) -> None:
        self.events: list = []

    def publish(self, events: list) -> None:
        self.events += events


@pytest.fixture
def keys() -> UnsubscribeKeys:
    return UnsubscribeKeys.generate(START)


def _subscribed(storage, customer_id: str = "c-1", phone: str | None = None) -> None:
    ref = CustomerRef(
        customer_id=customer_id,
        phone=phone,
        locale="uk",
        email_consent=_consent(True, "shopify:customers/create", START),
        sms_consent=_consent(True, "shopify:customers/create", START) if phone else None,
    )
    upsert_customer(STORE, ref, START, storage=storage)


def test_one_click_unsubscribe_withdraws_email_consent_and_announces_it(storage, keys):
    _subscribed(storage)
    bus, now = _Bus(), START + timedelta(hours=3)
    owner = unsubscribe(make_token(keys, STORE, "c-1"), parameters=_Parameters(keys), now=now, publisher=bus, storage=storage)
    assert (owner.customer_id, owner.locale) == ("c-1", "uk")
    consent = _profile(storage).email_consent
    assert (consent.granted, consent.source, consent.updated_at, _profile(storage).accepts_email_marketing) == (
        False,
        "email:one-click-unsubscribe",
        now,
        False,
    )
    assert [(event.customer_id, event.channel, event.source) for event in bus.events] == [("c-1", "email", "email:one-click-unsubscribe")]


def test_an_unsubscribe_link_of_an_erased_customer_changes_nothing(storage, keys):
    with pytest.raises(InvalidUnsubscribeLink):
        unsubscribe(make_token(keys, STORE, "gone"), parameters=_Parameters(keys), now=START, storage=storage)
    assert _profile(storage, "gone") is None  # no profile made up again


def test_the_preferences_page_switches_channels_off_and_email_back_on(storage, keys):
    _subscribed(storage, phone="+380501234567")
    token, parameters, bus = make_token(keys, STORE, "c-1"), _Parameters(keys), _Bus()
    shown = preferences(token, parameters=parameters, storage=storage)
    assert (shown.email, shown.sms, shown.has_phone, shown.locale) == (True, True, True, "uk")
    off = set_preferences(token, email=False, sms=False, parameters=parameters, now=START + timedelta(hours=1), publisher=bus, storage=storage)
    assert (off.email, off.sms) == (False, False)
    assert sorted(event.channel for event in bus.events) == ["email", "sms"]
    on = set_preferences(token, email=True, sms=True, parameters=parameters, now=START + timedelta(hours=2), publisher=bus, storage=storage)
    assert (on.email, on.sms) == (True, False)  # an email link never proves a texting opt-in
    assert len(bus.events) == 2  # an opt-in is not announced


# ---------------------------------------------------------------- the write-back's check


class _Shopify:
    def __init__(self) -> None:
        self.calls: list = []

    def update_marketing_consent(self, channel: str, customer_id: str, state: str, updated_at: datetime) -> dict:
        self.calls.append((channel, customer_id, state))
        return {}


def test_a_withdrawal_reaches_the_shop_only_while_encore_still_holds_it(storage):
    _subscribed(storage, "1001")
    withdrawn_at = START + timedelta(hours=1)
    upsert_customer(
        STORE, CustomerRef(customer_id="1001", email_consent=_consent(False, "email:one-click-unsubscribe", withdrawn_at)), withdrawn_at, storage=storage
    )
    event = ConsentWithdrawn(
        event_id="e-1", store_id=STORE, customer_id="1001", channel="email", source="email:one-click-unsubscribe", occurred_at=withdrawn_at
    )
    shop, shopify = {"platform": "shopify"}, _Shopify()
    assert write_back(event, shop=shop, credentials={"token": "x"}, shopify_client=lambda *_: shopify, storage=storage) == "written: UNSUBSCRIBED"
    again = START + timedelta(hours=2)
    upsert_customer(STORE, CustomerRef(customer_id="1001", email_consent=_consent(True, "email:preferences-page", again)), again, storage=storage)
    assert write_back(event, shop=shop, credentials={"token": "x"}, shopify_client=lambda *_: shopify, storage=storage).startswith(
        "not written: Encore no longer"
    )
    assert shopify.calls == [("email", "1001", "UNSUBSCRIBED")]


# ---------------------------------------------------------------- what the channels report


def _ses(event_type: str, at: datetime, customer_id: str = "c-1", **detail) -> SesEvent:
    tags = {"store": [STORE], "customer": [customer_id], "journey": ["welcome-shop-c-1"], "step": ["welcome_1"]}
    return SesEvent.model_validate({"eventType": event_type, "mail": {"messageId": "ses-1", "timestamp": at.isoformat(), "tags": tags}, **detail})


def _sent_message(table, status: str = "sent", **fields) -> None:
    journey, step = "welcome-shop-c-1", "welcome_1"
    sk = Message.sort_key(journey, step)
    table.add(
        Message(
            customer_key(STORE, "c-1"),
            sk,
            store_id=STORE,
            customer_id="c-1",
            journey=journey,
            step=step,
            status=status,
            template="welcome_1",
            claimed_at=START,
            **fields,
        )
    )


def _stored_message(table) -> Message:
    return table.get(Message, customer_key(STORE, "c-1"), Message.sort_key("welcome-shop-c-1", "welcome_1"))


def test_a_hard_bounce_suppresses_the_address_and_a_soft_one_does_not(storage, table):
    _subscribed(storage)
    _sent_message(table)
    soft = {"bounceType": "Transient", "timestamp": START.isoformat()}
    assert apply_email_event(_ses("Bounce", START, bounce=soft), storage=storage) == "bounce"
    assert _profile(storage).email_suppressed_reason is None
    hard = {"bounceType": "Permanent", "timestamp": (START + timedelta(hours=1)).isoformat()}
    assert apply_email_event(_ses("Bounce", START, bounce=hard), storage=storage) == "suppressed: hard bounce"
    assert (_profile(storage).email_suppressed_reason, _stored_message(table).bounced_at) == ("hard_bounce", START)  # the first bounce's moment


def test_a_complaint_about_an_unknown_customer_suppresses_nobody(storage, table):
    outcome = apply_email_event(_ses("Complaint", START, customer_id="ghost", complaint={"timestamp": START.isoformat()}), storage=storage)
    assert outcome == "complaint (already recorded or unknown customer)"
    assert _profile(storage, "ghost") is None


def test_an_event_settles_a_send_in_doubt(storage, table):
    _sent_message(table, status="uncertain", uncertain_since=START)
    assert apply_email_event(_ses("Send", START), storage=storage) == "settled: sent"
    assert (_stored_message(table).status, _stored_message(table).provider_message_id) == ("sent", "ses-1")
    assert apply_email_event(_ses("Send", START), storage=storage) == "send"


def test_opens_keep_the_latest_engagement_and_teach_the_active_hour(storage, table):
    upsert_customer(STORE, CustomerRef(customer_id="c-1", time_zone="Europe/Kyiv"), START, storage=storage)
    _sent_message(table)
    pk = customer_key(STORE, "c-1")
    for day in range(1, MIN_ENGAGEMENTS_TO_LEARN):  # with the open below, just enough to learn from
        opened = START + timedelta(days=day)  # 09:00 UTC is 11:00 in Kyiv
        table.add(
            Message(
                pk,
                Message.sort_key(f"j-{day}", "s"),
                store_id=STORE,
                customer_id="c-1",
                journey=f"j-{day}",
                step="s",
                status="sent",
                template="t",
                claimed_at=START,
                opened_at=opened,
            )
        )
    opened = START + timedelta(days=9)
    assert apply_email_event(_ses("Open", opened, open={"timestamp": opened.isoformat()}), storage=storage) == "open"
    assert (_profile(storage).last_engaged_at, _profile(storage).active_hour) == (opened, 11)
    older = START + timedelta(days=8)
    assert apply_email_event(_ses("Click", older, click={"timestamp": older.isoformat()}), storage=storage) == "click (already recorded or unknown customer)"
    assert (_profile(storage).last_engaged_at, _stored_message(table).clicked_at) == (opened, older)


def test_stop_suppresses_the_number_in_every_store_and_withdraws_sms_consent(storage):
    _subscribed(storage, "c-1", phone="+380501234567")
    upsert_customer("other-shop", CustomerRef(customer_id="c-9", phone="+380501234567"), START, storage=storage)
    bus, now = _Bus(), START + timedelta(hours=1)
    reply = InboundSms(sender="+380501234567", recipient="+15550000000", body="STOP", keyword=None, inbound_message_id="in-1", replying_to=None)
    assert apply_sms_reply(reply, now=now, publisher=bus, storage=storage) == 2
    for store_id, customer_id in ((STORE, "c-1"), ("other-shop", "c-9")):
        profile = _profile(storage, customer_id, store_id)
        assert (profile.sms_suppressed_reason, profile.sms_suppressed_at, profile.sms_consent.granted) == ("stop_keyword", now, False)
    assert len(bus.events) == 2
    other = InboundSms(sender="+380501234567", recipient="+15550000000", body="thanks!", keyword=None, inbound_message_id="in-2", replying_to=None)
    assert apply_sms_reply(other, now=now, storage=storage) == 0
