"""``Visitors`` (``encore.storage.visitors``) on the in-memory fake and on moto: product views
that add up (a visitor's expiring), a visitor linked to a customer with their views moved, and
the two sides of a checkout token's link, each taken by its first value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from encore.models import CustomerCheckout, ProductView, VisitorIdentity, get_or_none, visitor_key
from encore.storage.records import Customer, customer_key
from encore.storage.visitors import ViewCount
from tests.unit.customer_state_moto import customer_repositories  # noqa: F401  (fixture)
from tests.unit.delivery_moto import bare_table  # noqa: F401  (fixture)

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
EARLIER, LATER = NOW - timedelta(hours=2), NOW + timedelta(hours=2)
KEPT = NOW + timedelta(days=90)


@pytest.fixture
def visitors(customer_repositories):
    return customer_repositories.storage.visitors


@pytest.fixture
def stored(customer_repositories):
    """A stored item as the table holds it (read through the storage's own table)."""

    def read(model, pk: str, sk: str):
        if customer_repositories.kind == "moto":
            return get_or_none(model, pk, sk)
        return customer_repositories.storage.visitors.table.get(model, pk, sk)

    return read


def _view(at: datetime, *, views: int = 1, dwell: int = 10, title: str | None = "Mug", category: str | None = None) -> ViewCount:
    return ViewCount("mug", title, category, views, dwell, at, at)


def test_views_add_up_and_the_first_stays(visitors, stored):
    visitors.record_customer_view("shop", "c-1", _view(EARLIER, dwell=5, category="kitchen"))
    visitors.record_customer_view("shop", "c-1", _view(LATER, dwell=7, title=None))
    view = stored(ProductView, customer_key("shop", "c-1"), ProductView.sort_key("mug"))
    assert (view.views, view.dwell_seconds, view.first_viewed_at, view.last_viewed_at) == (2, 12, EARLIER, LATER)
    assert (view.title, view.category, view.expires_at) == ("Mug", "kitchen", None)  # a customer's views never expire


def test_a_visitor_views_expire_and_each_view_moves_the_expiry_on(visitors, stored):
    visitors.record_visitor_view("shop", "anon-1", _view(EARLIER), KEPT)
    visitors.record_visitor_view("shop", "anon-1", _view(NOW), KEPT + timedelta(hours=2))
    view = stored(ProductView, visitor_key("shop", "anon-1"), ProductView.sort_key("mug"))
    assert (view.views, view.expires_at) == (2, KEPT + timedelta(hours=2))


def test_a_linked_visitor_names_its_customer_and_its_views_move(visitors, stored):
    assert visitors.customer_for_visitor("shop", "anon-1") is None
    visitors.record_visitor_view("shop", "anon-1", _view(EARLIER, dwell=3), KEPT)
    visitors.record_customer_view("shop", "c-1", _view(NOW, dwell=4))
    visitors.link_visitor("shop", "anon-1", "c-1", LATER)
    assert visitors.customer_for_visitor("shop", "anon-1") == "c-1"
    assert visitors.customer_for_visitor("other-shop", "anon-1") is None
    assert stored(VisitorIdentity, *VisitorIdentity.key("shop", "anon-1")).merged_at == LATER
    assert stored(Customer, customer_key("shop", "c-1"), Customer.sort_key()).anonymous_ids == {"anon-1"}
    assert visitors.move_views_to_customer("shop", "anon-1", "c-1") == 1
    assert stored(ProductView, visitor_key("shop", "anon-1"), ProductView.sort_key("mug")) is None
    moved = stored(ProductView, customer_key("shop", "c-1"), ProductView.sort_key("mug"))
    # Counts add up; the moved view is written like a new view: the customer's first stays,
    # the last is the moved one's.
    assert (moved.views, moved.dwell_seconds, moved.first_viewed_at, moved.last_viewed_at) == (2, 7, NOW, EARLIER)
    assert visitors.move_views_to_customer("shop", "anon-1", "c-1") == 0  # nothing left to move


def test_a_customer_lists_every_visitor_merged_into_them(visitors, stored, customer_repositories):
    customer_repositories.add(Customer(customer_key("shop", "c-1"), Customer.sort_key(), store_id="shop", customer_id="c-1", first_name="Ada"))
    visitors.link_visitor("shop", "anon-1", "c-1", NOW)
    visitors.link_visitor("shop", "anon-2", "c-1", NOW)
    profile = stored(Customer, customer_key("shop", "c-1"), Customer.sort_key())
    assert (profile.anonymous_ids, profile.first_name) == ({"anon-1", "anon-2"}, "Ada")


def test_each_side_of_a_checkout_link_is_taken_by_its_first_value(visitors):
    first = visitors.claim_checkout_side("shop", "tok-1", "visitor_id", "anon-1", KEPT)
    assert (first.visitor_id, first.customer_id, first.expires_at) == ("anon-1", None, KEPT)
    assert visitors.claim_checkout_side("shop", "tok-1", "visitor_id", "anon-2", KEPT) is None  # another browser
    again = visitors.claim_checkout_side("shop", "tok-1", "visitor_id", "anon-1", LATER)
    assert (again.visitor_id, again.expires_at) == ("anon-1", KEPT)  # the same one again; the expiry stays
    both = visitors.claim_checkout_side("shop", "tok-1", "customer_id", "c-1", LATER)
    assert (both.visitor_id, both.customer_id, both.expires_at) == ("anon-1", "c-1", KEPT)
    assert visitors.claim_checkout_side("shop", "tok-1", "customer_id", "c-2", LATER) is None  # the first webhook's stands
    other = visitors.claim_checkout_side("shop", "tok-2", "customer_id", "c-2", LATER)
    assert (other.visitor_id, other.customer_id) == (None, "c-2")


def test_a_customer_checkout_is_remembered_in_their_partition(visitors, stored):
    visitors.remember_customer_checkout("shop", "c-1", "tok-1", KEPT)
    assert stored(CustomerCheckout, customer_key("shop", "c-1"), CustomerCheckout.sort_key("tok-1")).expires_at == KEPT
    assert stored(Customer, customer_key("shop", "c-1"), Customer.sort_key()) is None  # a pointer, not a profile
