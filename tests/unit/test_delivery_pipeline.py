"""The delivery pipeline on the in-memory repositories (``encore.storage.fakes``, held to
DynamoDB's behaviour by ``tests/contracts``), and once end to end on a bare moto table: one
step's message is claimed once, sent once, skipped or held back with its reason; a channel
that refuses gives the claim back for the state's Retry, one that may have taken the message
keeps it; a template that fails to render is a TemplateRenderError, never a channel outage,
and sends nothing."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from encore import rendering
from encore.coupons import CouponUnavailable
from encore.delivery import claim, record
from encore.delivery.pipeline import deliver_step
from encore.delivery.request import ChannelUnavailable, CouponRequest, StepRequest, UnsubscribeLinks
from encore.rendering import TemplateRenderError
from encore.storage import delivery as delivery_storage
from encore.storage.delivery import DeliveryStorage
from encore.storage.fakes import InMemoryMessageStore, InMemoryTable, in_memory_delivery_storage
from encore.storage.records import Cart, CartLineAttribute, Coupon, Customer, Message, customer_key
from encore.stores import StoreSettings
from encore.unsubscribe import UnsubscribeKeys
from tests.unit.delivery_moto import bare_table  # noqa: F401  (the "table" fixture)

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)  # a Tuesday afternoon: no quiet hours
STORE = StoreSettings.from_dict("shop", {"postal_address": "1 Main St", "time_zone": "UTC"})
LINKS = UnsubscribeLinks("https://api.example", UnsubscribeKeys(current="k1", keys={"k1": "unit-test-secret"}))
PK = customer_key("shop", "c-1")
REMINDER = StepRequest(
    store_id="shop", customer_id="c-1", journey="cart-abandonment-shop-c-1-1", step="reminder_1", template="cart_reminder_1", cart_id="cart-1"
)


@dataclass
class RecordingEmail:
    """An email channel that takes every message, or fails each call with ``failure``; and the
    repositories the shop's deliveries read and write (in memory unless a test says otherwise)."""

    sent: list = field(default_factory=list)
    failure: Exception | None = None
    storage: DeliveryStorage = field(default_factory=in_memory_delivery_storage)

    def send(self, email) -> str:
        if self.failure is not None:
            raise self.failure
        self.sent.append(email)
        return f"ses-{len(self.sent)}"


def _cart(status: str = "open") -> Cart:
    line = CartLineAttribute(product_id="mug", title="Mug", quantity=1, price_cents=1250)
    return Cart(
        PK, Cart.sort_key("cart-1"), store_id="shop", customer_id="c-1", cart_id="cart-1", status=status, total_cents=1250, lines=[line], updated_at=NOW
    )


def _open_shop(monkeypatch, storage: DeliveryStorage, add) -> RecordingEmail:
    """A customer with marketing consent and an open cart, in ``storage`` (``add`` puts items)."""
    monkeypatch.setattr("encore.delivery.load.utcnow", lambda: NOW)
    add(Customer(PK, Customer.sort_key(), store_id="shop", customer_id="c-1", email="c-1@example.com", accepts_email_marketing=True, first_name="Ada"))
    add(_cart())
    return RecordingEmail(storage=storage)


@pytest.fixture
def table_items() -> InMemoryTable:
    return InMemoryTable()


@pytest.fixture
def shop(monkeypatch, table_items):
    return _open_shop(monkeypatch, in_memory_delivery_storage(table_items), table_items.add)


def _deliver(email: RecordingEmail, request: StepRequest = REMINDER):
    return deliver_step(request, store=STORE, email=email, unsubscribe=LINKS, storage=email.storage)


def _record(shop: RecordingEmail) -> Message | None:
    return shop.storage.messages.previous_attempt(PK, Message.sort_key(REMINDER.journey, REMINDER.step))


def _sent_once_and_recorded(shop: RecordingEmail) -> None:
    assert _deliver(shop).as_dict() == {"sent": True, "reason": "sent", "coupon_code": None, "deferred_until": None}
    assert _deliver(shop).reason == "already_sent"  # a retried Lambda or a redrive
    assert len(shop.sent) == 1 and "Mug" in shop.sent[0].text and shop.sent[0].headers  # one-click unsubscribe
    stored = _record(shop)
    assert (stored.status, stored.channel, stored.provider_message_id) == ("sent", "email", "ses-1")


def test_a_step_is_sent_once_and_recorded(shop):
    _sent_once_and_recorded(shop)


def test_on_dynamodb_a_step_is_sent_once_and_recorded(table, monkeypatch):
    """The smoke of the real repositories end to end (the contract suite holds each to the fakes)."""
    dynamodb = delivery_storage.on_dynamodb()
    shop = _open_shop(monkeypatch, dynamodb, lambda item: item.save())
    _sent_once_and_recorded(shop)
    assert dynamodb.messages.cap_turn(PK) == 1  # the marketing claim moved the customer's cap turn
    shop.storage = None  # deliver_step's own default: the DynamoDB repositories
    assert _deliver(shop).reason == "already_sent"


def test_an_exit_rule_skips_the_step_with_its_reason_and_sends_nothing(shop, table_items):
    table_items.add(_cart(status="ordered"))
    assert (_deliver(shop).sent, _deliver(shop).reason) == (False, "already_skipped")
    assert (_record(shop).status, _record(shop).reason) == ("skipped", "cart_ordered") and shop.sent == []


def test_a_v2_step_names_its_exit_rules(shop, table_items):
    table_items.add(_cart(status="ordered"))
    named = REMINDER.model_copy(update={"version": 2, "exit_if": ["ordered_since"]})  # the cart's state is not a rule here
    assert _deliver(shop, named).reason == "sent"


def test_a_channel_refusal_gives_the_claim_back_for_the_state_s_retry(shop):
    shop.failure = ClientError({"Error": {"Code": "Throttling"}, "ResponseMetadata": {"HTTPStatusCode": 400}}, "SendEmail")
    with pytest.raises(ChannelUnavailable):
        _deliver(shop)
    assert _record(shop) is None  # nothing went out: the Retry sends it
    shop.failure = None
    assert _deliver(shop).reason == "sent" and len(shop.sent) == 1


def test_a_throttled_give_back_is_tried_again_so_the_retry_still_sends(shop, monkeypatch):
    """SES refused (its sending rate), then DynamoDB throttled the give-back: a claim left
    behind would read as sent to the state's Retry, and the reminder would never go out."""
    monkeypatch.setattr(claim, "GIVE_BACK_PAUSE_SECONDS", 0)
    store = shop.storage.messages
    give_back, throttled = store.give_back, []

    def throttled_once(message):
        if not throttled:
            throttled.append(message.sk)
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}, "ResponseMetadata": {"HTTPStatusCode": 400}}, "DeleteItem")
        give_back(message)

    monkeypatch.setattr(store, "give_back", throttled_once)
    shop.failure = ClientError({"Error": {"Code": "TooManyRequestsException"}, "ResponseMetadata": {"HTTPStatusCode": 429}}, "SendEmail")
    with pytest.raises(ChannelUnavailable):
        _deliver(shop)
    assert throttled and _record(shop) is None
    shop.failure = None
    assert _deliver(shop).reason == "sent" and len(shop.sent) == 1


def test_a_send_that_may_have_been_taken_is_kept_and_never_sent_again(shop):
    shop.failure = ReadTimeoutError(endpoint_url="https://email.us-east-1.amazonaws.com")
    assert (_deliver(shop).sent, _deliver(shop).reason) == (True, "already_uncertain")
    assert (_record(shop).status, _record(shop).reason) == ("uncertain", "email: ReadTimeoutError")
    # Shown to the operator as unconfirmed once no channel event settled it within a day.
    assert record.unconfirmed_messages("shop", "c-1", NOW, shop.storage.messages) == []
    assert [message.step for message in record.unconfirmed_messages("shop", "c-1", NOW + record.UNCONFIRMED_AFTER, shop.storage.messages)] == ["reminder_1"]


@pytest.fixture
def broken_reminder_template(tmp_path, monkeypatch):
    """cart_reminder_1's HTML part with a syntax error, in front of the real templates."""
    (tmp_path / "email").mkdir()
    (tmp_path / "email" / "cart_reminder_1.html").write_text("{% if cart %}never closed\n")
    monkeypatch.setattr(rendering._loader(), "searchpath", [str(tmp_path), str(rendering.TEMPLATES_DIR)])
    rendering._environment.cache_clear()  # environments cache compiled templates
    yield
    rendering._environment.cache_clear()


def test_a_template_that_fails_to_render_is_its_own_error_and_sends_nothing(shop, broken_reminder_template):
    with pytest.raises(TemplateRenderError, match="cart_reminder_1") as raised:
        _deliver(shop)
    assert not isinstance(raised.value, ChannelUnavailable) and not getattr(raised.value, "retried_by_name", False)
    assert shop.sent == [] and _record(shop) is None  # the claim is given back: a redrive after the fix sends it


def test_the_claim_is_given_back_only_while_this_invocation_holds_it(shop):
    messages = shop.storage.messages
    message = Message(
        PK, "MESSAGE#j#s", store_id="shop", customer_id="c-1", journey="j", step="s", template="t", status="claimed", claimed_at=NOW, claim_attempt="mine"
    )
    assert claim.take(message, messages)
    with pytest.raises(RuntimeError), claim.given_back_on_failure(message, messages):
        raise RuntimeError("the shop's coupon call failed")
    assert messages.previous_attempt(PK, "MESSAGE#j#s") is None
    assert claim.take(message, messages)
    messages.hold_for_coupon(message, "shop_unreachable")  # the record moved on: it stays
    with pytest.raises(ChannelUnavailable), claim.given_back_on_failure(message, messages):
        raise ChannelUnavailable("no coupon")
    assert messages.previous_attempt(PK, "MESSAGE#j#s").status == "awaiting_coupon"


OTHER_CART_JOURNEY = StepRequest(
    store_id="shop", customer_id="c-1", journey="cart-abandonment-shop-c-1-2", step="reminder_1", template="cart_reminder_1", cart_id="cart-1"
)


class OtherJourneyDeliversAfterTheCount(InMemoryMessageStore):
    """The customer's messages, where the other journey counts, claims and sends right after
    this step's first count (before this step claims)."""

    def __init__(self, table: InMemoryTable, shop: RecordingEmail) -> None:
        super().__init__(table)
        self.shop, self.raced, self.other = shop, False, None

    def recent(self, pk, since):
        counted = super().recent(pk, since)
        if not self.raced:
            self.raced = True  # the other journey's own count comes through here too
            self.other = _deliver(self.shop, OTHER_CART_JOURNEY)
        return counted


def test_two_journeys_deciding_at_once_send_one_message_under_a_cap_of_one(shop, table_items):
    """The race a first order starts (two journeys, one customer, one moment): this step counts
    the customer's messages, then the other journey counts, claims and sends before this one
    claims. Counted before either claim, both would pass; the cap turn makes this one count
    again and hold its message back."""
    racing = OtherJourneyDeliversAfterTheCount(table_items, shop)
    shop.storage = replace(shop.storage, messages=racing)
    first = _deliver(shop)
    assert racing.other.sent is True
    # Held back for the cap's week, a cart reminder would be stale: it is skipped, with that reason.
    assert (first.sent, first.reason) == (False, "frequency_cap_stale")
    assert len(shop.sent) == 1
    assert (_record(shop).status, _record(shop).reason) == ("skipped", "frequency_cap_stale")


def test_a_transactional_message_takes_no_cap_turn(shop):
    confirmation = StepRequest(
        store_id="shop", customer_id="c-1", journey="post-purchase-shop-c-1-o1", step="order_confirmation", template="order_confirmation"
    )
    _deliver(shop, confirmation)
    assert shop.storage.messages.cap_turn(PK) == 0
    _deliver(shop)
    assert shop.storage.messages.cap_turn(PK) == 1


THIRD_REMINDER = REMINDER.model_copy(update={"step": "reminder_3", "template": "cart_reminder_3", "coupon": CouponRequest(percent_off=10, valid_days=7)})


@dataclass
class ShopCoupons:
    """The store's shop: a new code for each step, or none (``failure``, as the shop's answer says)."""

    failure: str | None = None

    def issue(self, request, customer, now):
        if self.failure is not None:
            raise CouponUnavailable(self.failure)
        return Coupon(
            *Coupon.key("shop", "SAVE-1"), store_id="shop", code="SAVE-1", customer_id="c-1", journey=request.journey,
            percent_off=10, issued_at=now, expires_at=now + timedelta(days=7),
        )  # fmt: skip


def _third_reminder(shop: RecordingEmail, coupons: ShopCoupons, store: StoreSettings = STORE):
    return deliver_step(THIRD_REMINDER, store=store, email=shop, unsubscribe=LINKS, coupons=coupons, storage=shop.storage)


def test_a_step_the_store_holds_for_its_code_waits_then_sends_the_code(shop):
    retrying = StoreSettings.from_dict("shop", {"postal_address": "1 Main St", "time_zone": "UTC", "cart_abandonment": {"on_coupon_failure": "retry"}})
    with pytest.raises(ChannelUnavailable, match="no coupon"):  # the state's Retry asks again
        _third_reminder(shop, ShopCoupons("shop_throttled"), retrying)
    held = shop.storage.messages.previous_attempt(PK, Message.sort_key(REMINDER.journey, "reminder_3"))
    assert (held.status, held.coupon_failure_reason, shop.sent) == ("awaiting_coupon", "shop_throttled", [])  # kept, not given back
    assert _third_reminder(shop, ShopCoupons(), retrying).coupon_code == "SAVE-1"
    sent = shop.storage.messages.previous_attempt(PK, Message.sort_key(REMINDER.journey, "reminder_3"))
    assert (sent.status, sent.coupon_code, len(shop.sent)) == ("sent", "SAVE-1", 1) and "SAVE-1" in shop.sent[0].text


def test_without_a_code_the_step_goes_out_without_it_and_says_why(shop):
    result = _third_reminder(shop, ShopCoupons("shop_refused:INVALID"))
    assert (result.reason, result.coupon_code) == ("sent", None)
    sent = shop.storage.messages.previous_attempt(PK, Message.sort_key(REMINDER.journey, "reminder_3"))
    assert (sent.status, sent.coupon_failure_reason, sent.coupon_code) == ("sent", "shop_refused:INVALID", None)
    assert "SAVE-1" not in shop.sent[0].text
