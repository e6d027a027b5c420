"""Property: across random sequences of consent changes, one-click unsubscribes, bounces,
complaints and message steps, no marketing message ever reaches a customer after they said
no or were suppressed, and no message at all reaches a suppressed address.

The sequence runs against the real domain code on moto (send-message's ``deliver_step``,
the unsubscribe link, SES event handling); a small model of what the customer said is the
oracle."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from encore.customers import upsert_customer
from encore.deliverability import SesEvent, apply_email_event
from encore.events import Consent, CustomerRef
from encore.messaging import StepRequest, UnsubscribeLinks, deliver_step, is_marketing
from encore.models import Cart, CartLineAttribute, Order, bind_table, customer_key
from encore.stores import StoreSettings
from encore.unsubscribe import UnsubscribeKeys, make_token, unsubscribe
from tests.conftest import STORE_ID

KEYS = UnsubscribeKeys(current="k1", keys={"k1": "property-test-secret"})
LINKS = UnsubscribeLinks("https://api.example", KEYS)
STORE = StoreSettings.from_dict(STORE_ID, {"postal_address": "1 Main St", "delivery": {"max_journeys_per_window": 1000}})
TEMPLATES = ["cart_reminder_1", "cart_reminder_2", "order_confirmation", "shipping_notice"]
customers = itertools.count()


class FakeParameters:
    def unsubscribe_keys(self, store_id: str, *, refresh: bool = False) -> dict:
        return KEYS.as_dict()


@dataclass
class RecordingEmail:
    sent: list = field(default_factory=list)

    def send(self, email) -> str:
        self.sent.append(email)
        return f"ses-{len(self.sent)}"


operations = st.lists(
    st.one_of(
        st.tuples(st.just("consent"), st.booleans()),
        st.tuples(st.just("unsubscribe"), st.none()),
        st.tuples(st.just("bounce"), st.sampled_from(["Permanent", "Transient"])),
        st.tuples(st.just("complaint"), st.none()),
        st.tuples(st.just("send"), st.sampled_from(TEMPLATES)),
        st.tuples(st.just("send"), st.sampled_from(TEMPLATES)),
    ),
    min_size=1,
    max_size=14,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=operations, gaps=st.lists(st.integers(min_value=1, max_value=36 * 60), min_size=14, max_size=14))
def test_no_marketing_after_no_and_nothing_after_suppression(harness, monkeypatch, ops, gaps):
    bind_table(harness.stack.physical("EncoreTable"))
    customer_id = f"property-{next(customers)}"
    now = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
    monkeypatch.setattr("encore.delivery.load.utcnow", lambda: now)
    email = RecordingEmail()
    ref = CustomerRef(customer_id=customer_id, email=f"{customer_id}@example.com")
    upsert_customer(STORE_ID, ref.model_copy(update={"email_consent": Consent(granted=True, source="test", updated_at=now)}), now)
    line = CartLineAttribute(product_id="mug", title="Mug", quantity=1, price_cents=1250)
    pk = customer_key(STORE_ID, customer_id)
    Cart(
        pk, Cart.sort_key("c-1"), store_id=STORE_ID, customer_id=customer_id, cart_id="c-1", status="open", total_cents=1250, lines=[line], updated_at=now
    ).save()
    Order(pk, Order.sort_key("o-1"), store_id=STORE_ID, customer_id=customer_id, order_id="o-1", placed_at=now, total_cents=1250, lines=[line]).save()
    consent, suppressed, last_journey = True, False, None

    for step, ((action, value), gap) in enumerate(zip(ops, gaps)):
        now = now + timedelta(minutes=gap)
        if action == "consent":
            upsert_customer(STORE_ID, ref.model_copy(update={"email_consent": Consent(granted=value, source="test", updated_at=now)}), now)
            consent = value
        elif action == "unsubscribe":
            unsubscribe(make_token(KEYS, STORE_ID, customer_id), parameters=FakeParameters(), now=now)
            consent = False
        elif action in ("bounce", "complaint") and last_journey:
            detail = {
                "eventType": "Bounce" if action == "bounce" else "Complaint",
                "mail": {
                    "messageId": "m",
                    "timestamp": now.isoformat(),
                    "tags": {"store": [STORE_ID], "customer": [customer_id], "journey": [last_journey], "step": ["s"]},
                },
                action: {"timestamp": now.isoformat(), **({"bounceType": value} if action == "bounce" else {})},
            }
            apply_email_event(SesEvent.model_validate(detail))
            suppressed = suppressed or action == "complaint" or value == "Permanent"
        elif action == "send":
            marketing = is_marketing(value)
            journey = f"{'cart-abandonment' if marketing else 'post-purchase'}-{STORE_ID}-{customer_id}-{step}"
            request = StepRequest(
                store_id=STORE_ID,
                customer_id=customer_id,
                journey=journey,
                step="s",
                template=value,
                cart_id="c-1" if marketing else None,
                order_id=None if marketing else "o-1",
            )
            before = len(email.sent)
            result = deliver_step(request, store=STORE, email=email, unsubscribe=LINKS)
            if result.sent:
                last_journey = journey
                assert len(email.sent) == before + 1
                assert not suppressed, (value, "sent to a suppressed address")
                if is_marketing(value):
                    assert consent, (value, "marketing after the customer said no")
            else:
                assert len(email.sent) == before
