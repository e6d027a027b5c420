"""Canonical events: what every platform's webhook becomes after ingest.

Names follow the Segment e-commerce spec's meaning (a cart changed, an order was placed);
amounts are integer minor units (cents) so sums never drift.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, Field, TypeAdapter, field_validator, model_validator

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def to_cents(amount: str | int | float | Decimal) -> int:
    """'19.99' -> 1999. Platforms send money as decimal strings."""
    try:
        return int((Decimal(str(amount)) * 100).quantize(Decimal(1)))
    except InvalidOperation as error:
        raise ValueError(f"not an amount: {amount!r}") from error


E164_PATTERN = r"^\+[1-9]\d{6,14}$"
MAX_LINES = 250  # products in one cart or order
MAX_QUANTITY = 10_000  # of one product in one line

# The closed vocabularies below are named once so that a platform's mapping table (e.g.
# "Order Refunded" -> "order_refunded") is typed with them and checked against the events.
PushPlatform = Literal["APNS", "APNS_SANDBOX", "GCM"]
CartAction = Literal["add", "remove"]
OrderStatus = Literal["order_paid", "order_fulfilled", "order_delivered", "order_cancelled", "order_refunded"]
PrivacyRequestType = Literal["customer_data_requested", "customer_redact_requested", "shop_redact_requested"]


class Consent(BaseModel):
    """One channel's marketing consent as the platform reported it."""

    granted: bool
    source: str  # e.g. "shopify:email_marketing_consent", "api:identify"
    updated_at: datetime | None = None


class CustomerRef(BaseModel):
    customer_id: str = Field(min_length=1, max_length=128)
    email: str | None = Field(default=None, pattern=EMAIL_PATTERN)
    phone: str | None = Field(default=None, pattern=E164_PATTERN)
    first_name: str | None = None
    last_name: str | None = None
    locale: str | None = None
    time_zone: str | None = None  # IANA name, e.g. "Europe/Kyiv"
    country: str | None = Field(default=None, min_length=2, max_length=2)  # ISO 3166-1 alpha-2
    birthday: date | None = None
    tags: list[str] | None = None
    accepts_email_marketing: bool = False
    email_consent: Consent | None = None  # None: the event says nothing about consent
    sms_consent: Consent | None = None
    anonymous_id: str | None = None  # a visitor id to merge into this customer
    # A mobile app's push registration (the OS permission prompt is the customer's consent).
    push_token: str | None = Field(default=None, min_length=1, max_length=4096)
    push_platform: PushPlatform | None = None


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


class CartChange(BaseModel):
    """One product added to or removed from a cart: the Segment e-commerce spec's
    single-product ``Product Added`` / ``Product Removed``. The event names the change, not
    the cart: the cart_updated function applies it to the cart as stored
    (``encore.carts.apply_cart_change``) and goes on as for a whole cart."""

    action: CartAction
    product_id: str = Field(min_length=1)
    # add: how many more (1 when not given); remove: how many fewer (the whole line when not given)
    quantity: int | None = Field(default=None, ge=1, le=MAX_QUANTITY)
    # Unknown fields of an added line are taken from the line already in the cart, then the
    # store's catalogue (the spec makes none of them required).
    title: str | None = None
    price_cents: int | None = Field(default=None, ge=0)
    url: str | None = None
    image_url: str | None = None
    # True when the event named no cart: the change goes to the customer's latest open cart,
    # or, when they have none, starts a cart whose id is the event's ``cart_id``.
    to_open_cart: bool = False


class CartUpdated(_Event):
    type: Literal["cart_updated"] = "cart_updated"
    customer: CustomerRef | None = None  # Shopify cart webhooks carry no customer
    cart_id: str = Field(min_length=1)
    currency: str | None = None  # None: the webhook does not say; keep what the cart had
    lines: list[Line]
    recovery_url: str | None = None
    # True when later webhooks of this platform name the cart without its customer
    # (Shopify checkouts → carts/*): the cart token is then linked to the customer.
    link_cart_to_customer: bool = False
    # Shopify's checkout token (checkouts/*): the storefront pixel reports the same token from
    # the browser, and the signed webhook's customer is what links that visitor to them.
    checkout_token: str | None = None
    # A single-product change instead of the whole cart (``lines`` is then empty until the
    # change is applied to the stored cart).
    change: CartChange | None = None

    @property
    def total_cents(self) -> int:
        return sum(line.price_cents * line.quantity for line in self.lines)


class OrderPlaced(_Event):
    type: Literal["order_placed"] = "order_placed"
    customer: CustomerRef
    order_id: str = Field(min_length=1)
    # The order's name as the shop shows it to the customer and the merchant (Shopify's
    # ``name`` "#1001", WooCommerce "#" + ``number``); ``order_id`` stays the key.
    order_name: str | None = Field(default=None, max_length=128)
    cart_id: str | None = None
    currency: str = "USD"
    total_cents: int = Field(ge=0)
    lines: list[Line] = []
    coupon_codes: list[str] = []
    # False: placed but not paid yet (bank transfer, cash on delivery, a pending checkout).
    paid: bool = True
    payment_url: str | None = None  # where the customer can pay an unpaid order


class CustomerUpdated(_Event):
    """A sign-up, profile change or consent change (Shopify customers/*, WooCommerce
    customer.*, the generic API's identify and Signed Up)."""

    type: Literal["customer_updated"] = "customer_updated"
    customer: CustomerRef
    registered: bool = False  # True for a new account / sign-up


ORDER_LIFECYCLE: tuple[OrderStatus, ...] = get_args(OrderStatus)


class OrderStatusChanged(_Event):
    """Later moments of an order. May arrive before ``order_placed``: state converges."""

    type: OrderStatus
    order_id: str = Field(min_length=1)
    customer: CustomerRef | None = None
    tracking_url: str | None = None
    tracking_number: str | None = None
    refunded_cents: int | None = Field(default=None, ge=0)


class ProductViewed(_Event):
    type: Literal["product_viewed"] = "product_viewed"
    customer: CustomerRef | None = None
    anonymous_id: str | None = None
    product_id: str = Field(min_length=1)
    title: str | None = None
    category: str | None = None
    price_cents: int | None = Field(default=None, ge=0)
    url: str | None = None
    dwell_seconds: int | None = Field(default=None, ge=0)


class ProductUpdated(_Event):
    """Catalogue: a product was created or changed (product webhooks, file import)."""

    type: Literal["product_updated"] = "product_updated"
    product_id: str = Field(min_length=1)
    title: str
    category: str | None = None
    product_type: str | None = None
    price_cents: int | None = Field(default=None, ge=0)
    currency: str | None = None
    in_stock: bool | None = None
    url: str | None = None
    image_url: str | None = None
    deleted: bool = False


class PrivacyRequest(_Event):
    """GDPR / CCPA: export (data request) or erase (redact) a customer, or a whole shop."""

    type: PrivacyRequestType
    customer: CustomerRef | None = None  # None for shop_redact_requested
    orders_to_redact: list[str] = []

    @model_validator(mode="after")
    def _names_the_customer(self) -> PrivacyRequest:
        # Refused at the door (400 naming the field), never accepted and then failed on.
        if self.type != "shop_redact_requested" and self.customer is None:
            raise ValueError(f"customer: required for {self.type}")
        return self


class ReviewSubmitted(_Event):
    """A customer reviewed a product they bought (the generic API's ``Product Reviewed``).

    Shopify itself sends no review webhooks: review apps (Judge.me, Yotpo, Okendo, …) post
    their own, so a store forwards them to the generic API, which is the documented way in.
    """

    type: Literal["review_submitted"] = "review_submitted"
    customer: CustomerRef
    product_id: str = Field(min_length=1)
    order_id: str | None = None
    rating: int = Field(ge=1, le=5)
    review_id: str = Field(min_length=1)
    title: str | None = None
    body: str | None = None


CanonicalEvent = Annotated[
    CartUpdated | OrderPlaced | CustomerUpdated | OrderStatusChanged | ProductViewed | ProductUpdated | PrivacyRequest | ReviewSubmitted,
    Field(discriminator="type"),
]
canonical_event: TypeAdapter[CanonicalEvent] = TypeAdapter(CanonicalEvent)
