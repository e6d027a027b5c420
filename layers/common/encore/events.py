"""Canonical events: what every platform's webhook becomes after ingest.

Names follow the Segment e-commerce spec's meaning (a cart changed, an order was placed);
amounts are integer minor units (cents) so sums never drift.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Literal, Union

from pydantic import BaseModel, Field, TypeAdapter, field_validator

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def to_cents(amount: str | int | float | Decimal) -> int:
    """'19.99' -> 1999. Platforms send money as decimal strings."""
    try:
        return int((Decimal(str(amount)) * 100).quantize(Decimal(1)))
    except InvalidOperation as error:
        raise ValueError(f"not an amount: {amount!r}") from error


class CustomerRef(BaseModel):
    customer_id: str = Field(min_length=1, max_length=128)
    email: str | None = Field(default=None, pattern=EMAIL_PATTERN)
    first_name: str | None = None
    last_name: str | None = None
    locale: str | None = None
    accepts_email_marketing: bool = False


class Line(BaseModel):
    product_id: str = Field(min_length=1)
    title: str
    quantity: int = Field(ge=1)
    price_cents: int = Field(ge=0)
    url: str | None = None
    image_url: str | None = None


class _Event(BaseModel):
    event_id: str = Field(min_length=1, max_length=256)
    store_id: str = Field(min_length=1)
    occurred_at: datetime
    source: str  # e.g. "shopify:checkouts/update", "api:Product Added"

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("timestamp needs a time zone offset")
        return value


class CartUpdated(_Event):
    type: Literal["cart_updated"] = "cart_updated"
    customer: CustomerRef | None = None  # Shopify cart webhooks carry no customer
    cart_id: str = Field(min_length=1)
    currency: str | None = None  # None: the webhook does not say; keep what the cart had
    lines: list[Line]
    recovery_url: str | None = None

    @property
    def total_cents(self) -> int:
        return sum(line.price_cents * line.quantity for line in self.lines)


class OrderPlaced(_Event):
    type: Literal["order_placed"] = "order_placed"
    customer: CustomerRef
    order_id: str = Field(min_length=1)
    cart_id: str | None = None
    currency: str = "USD"
    total_cents: int = Field(ge=0)
    lines: list[Line] = []
    coupon_codes: list[str] = []


CanonicalEvent = Annotated[Union[CartUpdated, OrderPlaced], Field(discriminator="type")]
canonical_event = TypeAdapter(CanonicalEvent)
