"""In-memory ``WaitChecks`` (``storage.wait_checks``) on an ``InMemoryTable``, reading what
the DynamoDB twin reads; ``tests/contracts/test_wait_checks.py`` runs the same tests on both."""

from __future__ import annotations

from datetime import datetime

from encore.models import Customer, Order, PurchasedProduct, Review
from encore.storage.fakes import InMemoryTable
from encore.storage.records import customer_key
from encore.storage.wait_checks import OrderMoments, SubmittedReview, moments_of, submitted


class InMemoryWaitChecks:
    """``storage.wait_checks.WaitChecks`` in memory."""

    def __init__(self, table: InMemoryTable | None = None) -> None:
        self.table = table or InMemoryTable()

    def order_moments(self, store_id: str, customer_id: str, order_id: str) -> OrderMoments | None:
        order = self.table.get(Order, customer_key(store_id, customer_id), Order.sort_key(order_id))
        return moments_of(order) if order is not None else None

    def last_order_at(self, store_id: str, customer_id: str) -> datetime | None:
        customer = self.table.get(Customer, customer_key(store_id, customer_id), Customer.sort_key())
        return customer.last_order_at if customer is not None else None

    def last_purchased_at(self, store_id: str, customer_id: str, product_id: str) -> datetime | None:
        bought = self.table.get(PurchasedProduct, customer_key(store_id, customer_id), PurchasedProduct.sort_key(product_id))
        return bought.last_purchased_at if bought is not None else None

    def reviews_since(self, store_id: str, customer_id: str, since: datetime) -> list[SubmittedReview]:
        reviews = self.table.query(Review, customer_key(store_id, customer_id), "REVIEW#")
        return [submitted(review) for review in reviews if review.reviewed_at >= since]
