"""``Reviews`` (``encore.storage.reviews``) on the in-memory fake and on moto: a review kept,
replaced by the same review sent again, never by an older version of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from encore.models import get_or_none
from encore.storage.fakes_reviews import InMemoryReviews
from encore.storage.records import customer_key
from encore.storage.reviews import DynamoReviews, Review
from tests.unit.delivery_moto import bare_table  # noqa: F401  (fixture)

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)


@pytest.fixture(params=["fake", "moto"])
def reviews(request):
    if request.param == "moto":
        request.getfixturevalue("table")
        return DynamoReviews()
    return InMemoryReviews()


@pytest.fixture
def stored(reviews):
    def read(review_id: str = "r-1") -> Review | None:
        key = (customer_key("shop", "c-1"), Review.sort_key(review_id))
        if isinstance(reviews, InMemoryReviews):
            return reviews.table.get(Review, *key)
        return get_or_none(Review, *key)

    return read


def _review(rating: int, at: datetime, review_id: str = "r-1", **fields) -> Review:
    return Review(
        customer_key("shop", "c-1"),
        Review.sort_key(review_id),
        store_id="shop",
        customer_id="c-1",
        review_id=review_id,
        product_id="mug",
        rating=rating,
        reviewed_at=at,
        **fields,
    )


def test_a_review_is_kept(reviews, stored):
    assert reviews.keep_review(_review(4, NOW, title="Nice", order_id="o-1"))
    review = stored()
    assert (review.rating, review.title, review.order_id, review.reviewed_at, review.product_id) == (4, "Nice", "o-1", NOW, "mug")


def test_an_edited_review_replaces_it_whole(reviews, stored):
    reviews.keep_review(_review(4, NOW, title="Nice", body="Good mug"))
    assert reviews.keep_review(_review(2, NOW + timedelta(hours=1), title="Chipped"))
    review = stored()
    assert (review.rating, review.title, review.body) == (2, "Chipped", None)
    assert reviews.keep_review(_review(3, NOW + timedelta(hours=1)))  # the same version sent again
    assert stored().rating == 3


def test_an_older_version_is_refused(reviews, stored):
    reviews.keep_review(_review(2, NOW))
    assert not reviews.keep_review(_review(5, NOW - timedelta(seconds=1)))
    assert stored().rating == 2
    assert reviews.keep_review(_review(5, NOW - timedelta(days=1), review_id="r-2"))  # another review of theirs
