"""In-memory ``Reviews`` (``storage.reviews``), honouring the same condition as its DynamoDB
twin (a review replaces the one on file unless that one is newer);
``tests/contracts/test_reviews.py`` runs the same behaviour tests against both."""

from __future__ import annotations

from encore.models import Review
from encore.storage.fakes import InMemoryTable


class InMemoryReviews:
    """``storage.reviews.Reviews`` in memory."""

    def __init__(self, table: InMemoryTable | None = None) -> None:
        self.table = table or InMemoryTable()

    def keep_review(self, review: Review) -> bool:
        stored = self.table.get(Review, review.pk, review.sk)
        if stored is not None and stored.reviewed_at is not None and stored.reviewed_at > review.reviewed_at:
            return False
        self.table.add(review)
        return True
