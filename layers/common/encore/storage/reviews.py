"""Product reviews kept on the customer's profile (sk = REVIEW#<review id>): the same review
sent again (edited in the review app) replaces the one on file, unless it is older."""

from __future__ import annotations

from typing import Protocol

from pynamodb.exceptions import PutError

from encore.models import Review, condition_failed

__all__ = ["DynamoReviews", "Review", "Reviews"]  # Review: the item the repository takes


class Reviews(Protocol):
    def keep_review(self, review: Review) -> bool:
        """Store the review unless the version on file is newer (a later ``reviewed_at``); an
        equal one is replaced (the same review sent again). False when a newer one is kept."""


class DynamoReviews:
    """``Reviews`` on the DynamoDB table (``encore.models``): one conditional PutItem."""

    def keep_review(self, review: Review) -> bool:
        try:
            review.save(condition=Review.reviewed_at.does_not_exist() | (Review.reviewed_at <= review.reviewed_at))
            return True
        except PutError as error:
            if condition_failed(error):
                return False
            raise
