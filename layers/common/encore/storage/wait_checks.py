"""What a parking journey reads to learn whether what it waits for already happened
(``encore.waits``): an order's moments, the customer's last order, their last purchase of a
product, their reviews. Every read is consistent: the event may have just been written, and
a journey that misses it waits until its timeout."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from encore.models import Customer, Order, PurchasedProduct, Review, customer_key, get_or_none


@dataclass(frozen=True)
class OrderMoments:
    """When the order reached each moment of its life (None: not yet), and how it ships."""

    paid_at: datetime | None
    fulfilled_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None
    tracking_url: str | None
    tracking_number: str | None


@dataclass(frozen=True)
class SubmittedReview:
    review_id: str
    product_id: str
    rating: int
    reviewed_at: datetime


class WaitChecks(Protocol):
    def order_moments(self, store_id: str, customer_id: str, order_id: str) -> OrderMoments | None:
        """The order's moments; None: no such order of this customer."""

    def last_order_at(self, store_id: str, customer_id: str) -> datetime | None:
        """When the customer last ordered (None: never, or no profile)."""

    def last_purchased_at(self, store_id: str, customer_id: str, product_id: str) -> datetime | None:
        """When the customer last bought the product (None: never)."""

    def reviews_since(self, store_id: str, customer_id: str, since: datetime) -> list[SubmittedReview]:
        """The customer's reviews submitted at or after ``since``, in review-id order."""


def moments_of(order: Order) -> OrderMoments:
    return OrderMoments(order.paid_at, order.fulfilled_at, order.delivered_at, order.cancelled_at, order.tracking_url, order.tracking_number)


def submitted(review: Review) -> SubmittedReview:
    return SubmittedReview(review.review_id, review.product_id, int(review.rating), review.reviewed_at)


class DynamoWaitChecks:
    """``WaitChecks`` on the DynamoDB table (``encore.models``)."""

    def order_moments(self, store_id: str, customer_id: str, order_id: str) -> OrderMoments | None:
        order = get_or_none(Order, customer_key(store_id, customer_id), Order.sort_key(order_id), consistent_read=True)
        return moments_of(order) if order is not None else None

    def last_order_at(self, store_id: str, customer_id: str) -> datetime | None:
        customer = get_or_none(Customer, customer_key(store_id, customer_id), Customer.sort_key(), consistent_read=True)
        return customer.last_order_at if customer is not None else None

    def last_purchased_at(self, store_id: str, customer_id: str, product_id: str) -> datetime | None:
        bought = get_or_none(PurchasedProduct, customer_key(store_id, customer_id), PurchasedProduct.sort_key(product_id), consistent_read=True)
        return bought.last_purchased_at if bought is not None else None

    def reviews_since(self, store_id: str, customer_id: str, since: datetime) -> list[SubmittedReview]:
        reviews = Review.query(customer_key(store_id, customer_id), Review.sk.startswith("REVIEW#"), consistent_read=True)
        return [submitted(review) for review in reviews if review.reviewed_at >= since]
