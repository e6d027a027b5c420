"""The delivery pipeline on a bare moto table (no Lambdas, no state machines): one step's
message is claimed once, sent once, skipped or held back with its reason; a channel that
refuses gives the claim back for the state's Retry, one that may have taken the message
keeps it; a template that fails to render is a TemplateRenderError, never a channel outage,
and sends nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from encore import rendering
from encore.delivery import claim
from encore.delivery.pipeline import deliver_step
from encore.delivery.request import ChannelUnavailable, StepRequest, UnsubscribeLinks
from encore.models import Cart, CartLineAttribute, Customer, Message, customer_key, get_or_none
from encore.rendering import TemplateRenderError
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
    """An email channel that takes every message, or fails each call with ``failure``."""

    sent: list = field(default_factory=list)
    failure: Exception | None = None

    def send(self, email) -> str:
        if self.failure is not None:
            raise self.failure
        self.sent.append(email)
        return f"ses-{len(self.sent)}"


@pytest.fixture
def shop(table, monkeypatch):
    monkeypatch.setattr("encore.delivery.load.utcnow", lambda: NOW)
    Customer(PK, Customer.sort_key(), store_id="shop", customer_id="c-1", email="c-1@example.com", accepts_email_marketing=True, first_name="Ada").save()
    line = CartLineAttribute(product_id="mug", title="Mug", quantity=1, price_cents=1250)
    Cart(
        PK, Cart.sort_key("cart-1"), store_id="shop", customer_id="c-1", cart_id="cart-1", status="open", total_cents=1250, lines=[line], updated_at=NOW
    ).save()
    return RecordingEmail()


def _deliver(email: RecordingEmail, request: StepRequest = REMINDER):
    return deliver_step(request, store=STORE, email=email, unsubscribe=LINKS)


def _record() -> Message | None:
    return get_or_none(Message, PK, Message.sort_key(REMINDER.journey, REMINDER.step))


def test_a_step_is_sent_once_and_recorded(shop):
    assert _deliver(shop).as_dict() == {"sent": True, "reason": "sent", "coupon_code": None, "deferred_until": None}
    assert _deliver(shop).reason == "already_sent"  # a retried Lambda or a redrive
    assert len(shop.sent) == 1 and "Mug" in shop.sent[0].text and shop.sent[0].headers  # one-click unsubscribe
    record = _record()
    assert (record.status, record.channel, record.provider_message_id) == ("sent", "email", "ses-1")


def test_an_exit_rule_skips_the_step_with_its_reason_and_sends_nothing(shop):
    Cart(PK, Cart.sort_key("cart-1"), store_id="shop", customer_id="c-1", cart_id="cart-1", status="ordered", total_cents=1250, updated_at=NOW).save()
    assert (_deliver(shop).sent, _deliver(shop).reason) == (False, "already_skipped")
    assert (_record().status, _record().reason) == ("skipped", "cart_ordered") and shop.sent == []


def test_a_v2_step_names_its_exit_rules(shop):
    Cart(PK, Cart.sort_key("cart-1"), store_id="shop", customer_id="c-1", cart_id="cart-1", status="ordered", total_cents=1250, updated_at=NOW).save()
    named = REMINDER.model_copy(update={"version": 2, "exit_if": ["ordered_since"]})  # the cart's state is not a rule here
    assert _deliver(shop, named).reason == "sent"


def test_a_channel_refusal_gives_the_claim_back_for_the_state_s_retry(shop):
    shop.failure = ClientError({"Error": {"Code": "Throttling"}, "ResponseMetadata": {"HTTPStatusCode": 400}}, "SendEmail")
    with pytest.raises(ChannelUnavailable):
        _deliver(shop)
    assert _record() is None  # nothing went out: the Retry sends it
    shop.failure = None
    assert _deliver(shop).reason == "sent" and len(shop.sent) == 1


def test_a_send_that_may_have_been_taken_is_kept_and_never_sent_again(shop):
    shop.failure = ReadTimeoutError(endpoint_url="https://email.us-east-1.amazonaws.com")
    assert (_deliver(shop).sent, _deliver(shop).reason) == (True, "already_uncertain")
    assert (_record().status, _record().reason) == ("uncertain", "email: ReadTimeoutError")


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
    assert shop.sent == [] and _record() is None  # the claim is given back: a redrive after the fix sends it


def test_the_claim_is_given_back_only_while_this_invocation_holds_it(shop):
    message = Message(
        PK, "MESSAGE#j#s", store_id="shop", customer_id="c-1", journey="j", step="s", template="t", status="claimed", claimed_at=NOW, claim_attempt="mine"
    )
    assert claim.take(message)
    with pytest.raises(RuntimeError), claim.given_back_on_failure(message):
        raise RuntimeError("the shop's coupon call failed")
    assert get_or_none(Message, PK, "MESSAGE#j#s") is None
    assert claim.take(message)
    message.update(actions=[Message.status.set("awaiting_coupon")])  # the record moved on: it stays
    with pytest.raises(ChannelUnavailable), claim.given_back_on_failure(message):
        raise ChannelUnavailable("no coupon")
    assert get_or_none(Message, PK, "MESSAGE#j#s").status == "awaiting_coupon"


OTHER_CART_JOURNEY = StepRequest(
    store_id="shop", customer_id="c-1", journey="cart-abandonment-shop-c-1-2", step="reminder_1", template="cart_reminder_1", cart_id="cart-1"
)


def test_two_journeys_deciding_at_once_send_one_message_under_a_cap_of_one(shop, monkeypatch):
    """The race a first order starts (two journeys, one customer, one moment): this step counts
    the customer's messages, then the other journey counts, claims and sends before this one
    claims. Counted before either claim, both would pass; the cap turn makes this one count
    again and hold its message back."""
    from encore.delivery import guards

    count = guards.sent_marketing
    other: list = []

    def count_then_let_the_other_journey_deliver(pk, now, window):
        counted = count(pk, now, window)
        if not other:
            other.append(None)
            other[0] = _deliver(shop, OTHER_CART_JOURNEY)
        return counted

    monkeypatch.setattr(guards, "sent_marketing", count_then_let_the_other_journey_deliver)
    first = _deliver(shop)
    assert other[0].sent is True
    # Held back for the cap's week, a cart reminder would be stale: it is skipped, with that reason.
    assert (first.sent, first.reason) == (False, "frequency_cap_stale")
    assert len(shop.sent) == 1
    assert (_record().status, _record().reason) == ("skipped", "frequency_cap_stale")


def test_a_transactional_message_takes_no_cap_turn(shop):
    from encore.models import CapTurn

    confirmation = StepRequest(
        store_id="shop", customer_id="c-1", journey="post-purchase-shop-c-1-o1", step="order_confirmation", template="order_confirmation"
    )
    _deliver(shop, confirmation)
    assert get_or_none(CapTurn, PK, CapTurn.sort_key()) is None
    _deliver(shop)
    assert get_or_none(CapTurn, PK, CapTurn.sort_key(), consistent_read=True).turn == 1
