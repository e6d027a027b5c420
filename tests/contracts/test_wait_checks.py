"""``WaitChecks`` (``encore.storage.wait_checks``) on the in-memory fake and on moto: what a
parking journey reads to learn whether what it waits for already happened — an order's
moments, the last order, the last purchase of a product, the reviews since a moment (one
exactly at that moment counts, an earlier one does not) — and nothing of another customer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from encore.models import PurchasedProduct, Review
from encore.storage.fakes_wait_checks import InMemoryWaitChecks
from encore.storage.records import Customer, Order, customer_key
from encore.storage.wait_checks import DynamoWaitChecks, OrderMoments, SubmittedReview, WaitChecks
from tests.unit.delivery_moto import bare_table  # noqa: F401  (fixture)
from tests.unit.repositories import Repositories, on_both

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
PK = customer_key("shop", "c-1")
OTHER = customer_key("shop", "c-2")


@pytest.fixture(params=["fake", "moto"])
def repositories(request) -> Repositories[WaitChecks]:
    return on_both(request, DynamoWaitChecks, InMemoryWaitChecks)


def _review(pk: str, review_id: str, product_id: str, rating: int, at: datetime) -> Review:
    customer_id = "c-1" if pk == PK else "c-2"
    return Review(
        pk, Review.sort_key(review_id), store_id="shop", customer_id=customer_id, review_id=review_id, product_id=product_id, rating=rating, reviewed_at=at
    )


def test_an_orders_moments_as_stored(repositories):
    checks = repositories.storage
    assert checks.order_moments("shop", "c-1", "o-1") is None
    repositories.add(
        Order(
            PK,
            Order.sort_key("o-1"),
            store_id="shop",
            customer_id="c-1",
            order_id="o-1",
            paid_at=NOW,
            fulfilled_at=NOW + timedelta(days=1),
            tracking_url="https://t/1",
            tracking_number="T1",
        ),
        Order(OTHER, Order.sort_key("o-2"), store_id="shop", customer_id="c-2", order_id="o-2", cancelled_at=NOW),
    )
    assert checks.order_moments("shop", "c-1", "o-1") == OrderMoments(NOW, NOW + timedelta(days=1), None, None, "https://t/1", "T1")
    assert checks.order_moments("shop", "c-1", "o-2") is None  # another customer's order


def test_the_last_order_and_the_last_purchase_of_a_product(repositories):
    checks = repositories.storage
    assert checks.last_order_at("shop", "c-1") is None  # no profile
    assert checks.last_purchased_at("shop", "c-1", "mug") is None
    repositories.add(
        Customer(PK, Customer.sort_key(), store_id="shop", customer_id="c-1"),
        PurchasedProduct(PK, PurchasedProduct.sort_key("mug"), product_id="mug", last_purchased_at=NOW),
        Customer(OTHER, Customer.sort_key(), store_id="shop", customer_id="c-2", last_order_at=NOW),
    )
    assert checks.last_order_at("shop", "c-1") is None  # a profile without orders
    repositories.add(Customer(PK, Customer.sort_key(), store_id="shop", customer_id="c-1", last_order_at=NOW - timedelta(hours=1)))
    assert checks.last_order_at("shop", "c-1") == NOW - timedelta(hours=1)
    assert checks.last_purchased_at("shop", "c-1", "mug") == NOW
    assert checks.last_purchased_at("shop", "c-1", "cup") is None
    assert checks.last_purchased_at("shop", "c-2", "mug") is None


def test_reviews_since_a_moment_count_one_at_that_moment_and_none_before(repositories):
    checks = repositories.storage
    assert checks.reviews_since("shop", "c-1", NOW) == []
    repositories.add(
        _review(PK, "r-1", "mug", 5, NOW - timedelta(seconds=1)),
        _review(PK, "r-2", "mug", 2, NOW),
        _review(PK, "r-3", "cup", 4, NOW + timedelta(days=1)),
        _review(OTHER, "r-4", "mug", 1, NOW + timedelta(days=2)),
    )
    assert checks.reviews_since("shop", "c-1", NOW) == [
        SubmittedReview("r-2", "mug", 2, NOW),
        SubmittedReview("r-3", "cup", 4, NOW + timedelta(days=1)),
    ]
