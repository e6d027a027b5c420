"""Anonymous visitors: which customer a visitor turned out to be, the products they (or the
customer) viewed, and the two sides of a checkout token's link (the browser's visitor, the
signed webhook's customer).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, Protocol

from pynamodb.expressions.update import Action

from encore.models import (
    CheckoutVisitor,
    Customer,
    CustomerCheckout,
    ProductView,
    VisitorIdentity,
    customer_key,
    get_or_none,
    update_returning,
    visitor_key,
)

CheckoutSide = Literal["visitor_id", "customer_id"]


@dataclass(frozen=True)
class ViewCount:
    """Views of one product to add to someone's count."""

    product_id: str
    title: str | None
    category: str | None
    views: int
    dwell_seconds: int
    first_viewed_at: datetime
    last_viewed_at: datetime


@dataclass(frozen=True)
class CheckoutLink:
    """A checkout token's link as stored: either side may be missing yet. DynamoDB deletes an
    expired item late (TTL), so ``expires_at`` is for the reader to check."""

    visitor_id: str | None
    customer_id: str | None
    expires_at: datetime | None


class Visitors(Protocol):
    def customer_for_visitor(self, store_id: str, anonymous_id: str) -> str | None:
        """The customer the visitor was merged into, if any."""

    def link_visitor(self, store_id: str, anonymous_id: str, customer_id: str, at: datetime) -> None:
        """The visitor is this customer; the profile lists the visitor's id, so erasing the
        customer finds every pointer."""

    def move_views_to_customer(self, store_id: str, anonymous_id: str, customer_id: str) -> int:
        """Add the visitor's product views to the customer's (without expiry) and delete them
        from the visitor; returns how many products moved."""

    def record_customer_view(self, store_id: str, customer_id: str, view: ViewCount) -> None:
        """Add ``view`` to the customer's count of the product: views and dwell add up, the
        first view stays, the last is this one's. Kept like the rest of the profile."""

    def record_visitor_view(self, store_id: str, anonymous_id: str, view: ViewCount, expires_at: datetime) -> None:
        """Add ``view`` to the visitor's count, as for a customer; the count is forgotten at
        ``expires_at`` (DynamoDB TTL) unless a later view moves that on."""

    def claim_checkout_side(self, store_id: str, checkout_token: str, side: CheckoutSide, value: str, expires_at: datetime) -> CheckoutLink | None:
        """Set one side of the token's link unless it holds another value already (the first
        stands); a new link expires at ``expires_at``. The link after the write; None when the
        side was someone else's."""

    def remember_customer_checkout(self, store_id: str, customer_id: str, checkout_token: str, expires_at: datetime) -> None:
        """A pointer in the customer's partition, so erasing them finds the token's link."""


class DynamoVisitors:
    """``Visitors`` on the DynamoDB table (``encore.models``)."""

    def customer_for_visitor(self, store_id: str, anonymous_id: str) -> str | None:
        identity = get_or_none(VisitorIdentity, *VisitorIdentity.key(store_id, anonymous_id))
        return identity.customer_id if identity is not None else None

    def link_visitor(self, store_id: str, anonymous_id: str, customer_id: str, at: datetime) -> None:
        VisitorIdentity(*VisitorIdentity.key(store_id, anonymous_id), customer_id=customer_id, merged_at=at).save()
        Customer(customer_key(store_id, customer_id), Customer.sort_key()).update(actions=[Customer.anonymous_ids.add({anonymous_id})])

    def move_views_to_customer(self, store_id: str, anonymous_id: str, customer_id: str) -> int:
        moved = 0
        for view in ProductView.query(visitor_key(store_id, anonymous_id), ProductView.sk.startswith("VIEW#")):
            _record_view(customer_key(store_id, customer_id), _count(view))
            view.delete()
            moved += 1
        return moved

    def record_customer_view(self, store_id: str, customer_id: str, view: ViewCount) -> None:
        _record_view(customer_key(store_id, customer_id), view)

    def record_visitor_view(self, store_id: str, anonymous_id: str, view: ViewCount, expires_at: datetime) -> None:
        _record_view(visitor_key(store_id, anonymous_id), view, expires_at)

    def claim_checkout_side(self, store_id: str, checkout_token: str, side: CheckoutSide, value: str, expires_at: datetime) -> CheckoutLink | None:
        attribute = getattr(CheckoutVisitor, side)
        attributes = update_returning(
            CheckoutVisitor,
            CheckoutVisitor.key(store_id, checkout_token),
            actions=[attribute.set(value), CheckoutVisitor.expires_at.set(CheckoutVisitor.expires_at | expires_at)],
            condition=attribute.does_not_exist() | (attribute == value),
            return_values="ALL_NEW",
        )
        if attributes is None:
            return None
        expires = attributes.get("expires_at", {}).get("N")
        return CheckoutLink(
            visitor_id=_string(attributes, "visitor_id"),
            customer_id=_string(attributes, "customer_id"),
            expires_at=datetime.fromtimestamp(float(expires), UTC) if expires is not None else None,
        )

    def remember_customer_checkout(self, store_id: str, customer_id: str, checkout_token: str, expires_at: datetime) -> None:
        CustomerCheckout(customer_key(store_id, customer_id), CustomerCheckout.sort_key(checkout_token), expires_at=expires_at).save()


def _record_view(pk: str, view: ViewCount, expires_at: datetime | None = None) -> None:
    actions: list[Action] = [
        ProductView.product_id.set(view.product_id),
        ProductView.views.add(view.views),
        ProductView.dwell_seconds.add(view.dwell_seconds),
        ProductView.first_viewed_at.set(ProductView.first_viewed_at | view.first_viewed_at),
        ProductView.last_viewed_at.set(view.last_viewed_at),
    ]
    if view.title:
        actions.append(ProductView.title.set(view.title))
    if view.category:
        actions.append(ProductView.category.set(view.category))
    if expires_at is not None:
        actions.append(ProductView.expires_at.set(expires_at))
    ProductView(pk, ProductView.sort_key(view.product_id)).update(actions=actions)


def _count(view: ProductView) -> ViewCount:
    """A stored view count, to add elsewhere."""
    return ViewCount(
        product_id=view.product_id,
        title=view.title,
        category=view.category,
        views=int(view.views),
        dwell_seconds=int(view.dwell_seconds),
        first_viewed_at=view.first_viewed_at,
        last_viewed_at=view.last_viewed_at,
    )


def _string(attributes: dict, name: str) -> str | None:
    value = attributes.get(name)
    return value.get("S") if isinstance(value, dict) else None
