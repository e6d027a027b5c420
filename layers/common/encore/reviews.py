"""Product reviews: the review a customer left, kept on their profile, and the outcome handed
to the journeys waiting for it (the review request branches on the rating).

Reviews reach Encore through the generic API's ``Product Reviewed`` (review apps post their
own webhooks, Shopify sends none). A review sent again (edited in the review app) replaces
the one on file, unless it is older than it.
"""

from __future__ import annotations

from dataclasses import dataclass

from encore import waits
from encore.adapters.workflows import Workflows
from encore.customers import upsert_customer
from encore.events import ReviewSubmitted
from encore.privacy import erased_since
from encore.storage.customer_state import CustomerStorage
from encore.storage.records import customer_key
from encore.storage.reviews import DynamoReviews, Review, Reviews

REVIEW_SUBMITTED = "review_submitted"


@dataclass(frozen=True)
class ReviewOutcome:
    recorded: bool  # False: a newer version of this review is already on file
    journeys_released: int = 0


def record_review(event: ReviewSubmitted, *, storage: Reviews | None = None, customers: CustomerStorage | None = None) -> bool:
    """Keep the review on the customer's profile; False when a newer version is on file.
    On DynamoDB unless ``storage`` (the reviews) and ``customers`` (the profile) say otherwise."""
    customer_id = event.customer.customer_id
    upsert_customer(event.store_id, event.customer, event.occurred_at, storage=customers)
    review = Review(
        customer_key(event.store_id, customer_id),
        Review.sort_key(event.review_id),
        store_id=event.store_id,
        customer_id=customer_id,
        review_id=event.review_id,
        product_id=event.product_id,
        order_id=event.order_id,
        rating=event.rating,
        title=event.title,
        body=event.body,
        reviewed_at=event.occurred_at,
    )
    return (storage or DynamoReviews()).keep_review(review)


def wait_outcome(event: ReviewSubmitted) -> dict:
    """What a journey waiting for the review receives (ids and the rating, no review text:
    execution histories keep no customer content)."""
    return {"rating": event.rating, "product_id": event.product_id, "review_id": event.review_id}


def apply_review_submitted(
    event: ReviewSubmitted, *, workflows: Workflows, storage: Reviews | None = None, customers: CustomerStorage | None = None
) -> ReviewOutcome:
    """Keep the review, then release the journeys waiting for a review of this product.
    A review from before the customer's erasure (a replay) is not kept again."""
    if erased_since(event.store_id, event.customer.customer_id, event.occurred_at) or not record_review(event, storage=storage, customers=customers):
        return ReviewOutcome(recorded=False)
    released = waits.release(
        event.store_id,
        event.customer.customer_id,
        REVIEW_SUBMITTED,
        None,
        wait_outcome(event),
        workflows=workflows,
        product_ids=[event.product_id],
    )
    return ReviewOutcome(recorded=True, journeys_released=released)
