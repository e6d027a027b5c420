"""Visitors and views: an anonymous visitor's product views follow them into their profile."""

from __future__ import annotations

from datetime import date, timedelta

from encore.customers import apply_customer_updated, apply_product_viewed, customer_for_visitor
from encore.events import CustomerRef, CustomerUpdated, ProductViewed
from encore.models import bind_table
from tests.conftest import START, STORE_ID


def _viewed(event_id: str, *, anonymous_id=None, customer=None, dwell=30, minutes=0):
    return ProductViewed(
        event_id=event_id,
        store_id=STORE_ID,
        occurred_at=START + timedelta(minutes=minutes),
        source="test",
        anonymous_id=anonymous_id,
        customer=customer,
        product_id="espresso-beans",
        title="Espresso beans 1 kg",
        category="coffee",
        dwell_seconds=dwell,
    )


def test_views_of_a_visitor_move_to_the_customer_when_they_sign_in(harness):
    bind_table(harness.stack.physical("EncoreTable"))
    assert apply_product_viewed(_viewed("v1", anonymous_id="anon-7", dwell=40)) == ("visitor", None)
    assert apply_product_viewed(_viewed("v2", anonymous_id="anon-7", dwell=75, minutes=5)) == ("visitor", None)

    ref = CustomerRef(customer_id="user-9", email="ieva@example.com", anonymous_id="anon-7", birthday=date(1990, 3, 14), tags=["vip"])
    apply_customer_updated(CustomerUpdated(event_id="i1", store_id=STORE_ID, occurred_at=START + timedelta(minutes=6), source="test", customer=ref))
    assert customer_for_visitor(STORE_ID, "anon-7") == "user-9"
    assert harness.item(f"STORE#{STORE_ID}#VISITOR#anon-7", "VIEW#espresso-beans") is None

    # Later views by the same browser land on the customer directly.
    assert apply_product_viewed(_viewed("v3", anonymous_id="anon-7", dwell=5, minutes=30)) == ("customer", "user-9")
    view = harness.item(f"STORE#{STORE_ID}#CUSTOMER#user-9", "VIEW#espresso-beans")
    assert (view["views"], view["dwell_seconds"], view["category"]) == (3, 120, "coffee")
    profile = harness.profile("user-9")
    assert profile["birthday_key"] == f"STORE#{STORE_ID}#BIRTHDAY#03-14"
    assert profile["anonymous_ids"] == {"anon-7"}
