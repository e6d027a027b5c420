"""A review kept on the customer's profile (``encore.reviews.record_review``) on the in-memory
reviews and profiles: the customer known from the review, an edit replacing the review, an
older version refused. The condition itself is held to DynamoDB by tests/contracts/test_reviews.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from encore.events import CustomerRef, ReviewSubmitted
from encore.reviews import record_review, wait_outcome
from encore.storage.fakes import InMemoryTable
from encore.storage.fakes_customers import in_memory_customer_storage
from encore.storage.fakes_reviews import InMemoryReviews
from encore.storage.records import Customer, customer_key
from encore.storage.reviews import Review

STORE_ID = "corner-shop"
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _review(rating: int, minutes: int, **fields) -> ReviewSubmitted:
    return ReviewSubmitted(
        **{
            "event_id": f"review-{minutes}",
            "store_id": STORE_ID,
            "occurred_at": START + timedelta(minutes=minutes),
            "source": "api:Product Reviewed",
            "customer": CustomerRef(customer_id="olena", first_name="Olena"),
            "product_id": "linen-shirt",
            "review_id": "r-1",
            "rating": rating,
            **fields,
        }
    )


def test_a_review_is_kept_on_the_profile_and_an_older_version_never_replaces_an_edit():
    table = InMemoryTable()
    reviews, customers = InMemoryReviews(table), in_memory_customer_storage(table)
    assert record_review(_review(5, 10, title="Lovely", order_id="o-1"), storage=reviews, customers=customers)
    profile = table.get(Customer, customer_key(STORE_ID, "olena"), Customer.sort_key())
    assert profile is not None and profile.first_name == "Olena"
    assert record_review(_review(2, 30, title="Shrank in the wash"), storage=reviews, customers=customers)  # edited
    assert not record_review(_review(5, 20, title="Lovely"), storage=reviews, customers=customers)  # a late copy of the first
    kept = table.get(Review, customer_key(STORE_ID, "olena"), Review.sort_key("r-1"))
    assert (kept.rating, kept.title, kept.order_id, kept.product_id, kept.reviewed_at) == (
        2,
        "Shrank in the wash",
        None,
        "linen-shirt",
        START + timedelta(minutes=30),
    )


def test_a_waiting_journey_gets_the_rating_and_ids_but_no_review_text():
    assert wait_outcome(_review(4, 10, title="Nice", body="Soft linen")) == {"rating": 4, "product_id": "linen-shirt", "review_id": "r-1"}
