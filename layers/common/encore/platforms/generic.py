"""The generic events API for any other platform: Segment-style ``track`` calls.

Body: one message or ``{"batch": [message, ...]}``; each message has ``type: "track"``, an
``event`` name from the Segment e-commerce spec, a ``messageId`` (the dedupe key), a
``userId``, a ISO-8601 ``timestamp``, ``properties`` and optional ``context.traits``.
The store's API key names the store (``Authorization: Bearer <key>``) and the caller signs the
raw body with the store's webhook secret: ``X-Encore-Signature: sha256=<hex HMAC-SHA256>``.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from encore import signatures
from encore.errors import InvalidPayload
from encore.events import CartUpdated, CustomerRef, Line, OrderPlaced, to_cents
from encore.ingest import Parsed, WebhookRequest, validated

CART_EVENTS = {"Product Added", "Product Removed", "Cart Viewed", "Cart Updated"}
ORDER_EVENTS = {"Order Completed"}
MAX_BATCH = 100


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Traits(_Payload):
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    locale: str | None = None
    accepts_email_marketing: bool = False


class Context(_Payload):
    traits: Traits = Traits()
    locale: str | None = None


class Product(_Payload):
    product_id: str = Field(min_length=1)
    name: str
    price: float | str = Field(union_mode="left_to_right")
    quantity: int = Field(default=1, ge=1)
    url: str | None = None
    image_url: str | None = None

    def to_line(self) -> Line:
        return Line(
            product_id=self.product_id,
            title=self.name,
            quantity=self.quantity,
            price_cents=to_cents(self.price),
            url=self.url,
            image_url=self.image_url,
        )


class CartProperties(_Payload):
    cart_id: str = Field(min_length=1)
    products: list[Product]
    currency: str = "USD"
    checkout_url: str | None = None


class OrderProperties(_Payload):
    order_id: str = Field(min_length=1)
    cart_id: str | None = None
    total: float | str = Field(union_mode="left_to_right")
    currency: str = "USD"
    products: list[Product] = []
    coupon: str | None = None


class TrackMessage(_Payload):
    type: str = Field(pattern="^track$")
    event: str = Field(min_length=1)
    messageId: str = Field(min_length=1, max_length=256)
    userId: str = Field(min_length=1, max_length=128)
    timestamp: datetime
    properties: dict
    context: Context = Context()

    def customer(self) -> CustomerRef:
        traits = self.context.traits
        return CustomerRef(
            customer_id=self.userId,
            email=traits.email,
            first_name=traits.first_name,
            last_name=traits.last_name,
            locale=traits.locale or self.context.locale,
            accepts_email_marketing=traits.accepts_email_marketing,
        )


def to_canonical(message: TrackMessage, *, store_id: str) -> CartUpdated | OrderPlaced | None:
    """None for an event name this version does not act on (accepted and ignored)."""
    common = dict(
        event_id=message.messageId,
        store_id=store_id,
        occurred_at=message.timestamp,
        source=f"api:{message.event}",
        customer=message.customer(),
    )
    if message.event in CART_EVENTS:
        cart = CartProperties.model_validate(message.properties)
        return CartUpdated(
            **common,
            cart_id=cart.cart_id,
            currency=cart.currency,
            lines=[product.to_line() for product in cart.products],
            recovery_url=cart.checkout_url,
        )
    if message.event in ORDER_EVENTS:
        order = OrderProperties.model_validate(message.properties)
        return OrderPlaced(
            **common,
            order_id=order.order_id,
            cart_id=order.cart_id,
            currency=order.currency,
            total_cents=to_cents(order.total),
            lines=[product.to_line() for product in order.products],
            coupon_codes=[order.coupon] if order.coupon else [],
        )
    return None


class GenericApi:
    """The generic events API for ``encore.ingest.accept``."""

    name = "api"

    def handshake(self, request: WebhookRequest):
        return None

    def store_id(self, request: WebhookRequest, parameters) -> str | None:
        scheme, _, api_key = (request.header("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not api_key.strip():
            return None
        return parameters.store_for_api_key(api_key.strip())

    def verify(self, request: WebhookRequest, secret: str) -> None:
        signatures.verify(signatures.sign_hex(secret, request.body), request.header("X-Encore-Signature"))

    def parse(self, request: WebhookRequest, payload: dict, store_id: str) -> Parsed:
        raw_messages = payload.get("batch", [payload])
        if not isinstance(raw_messages, list) or not raw_messages:
            raise InvalidPayload("batch must be a non-empty list", [{"field": "batch", "problem": "must be a non-empty list"}])
        if len(raw_messages) > MAX_BATCH:
            raise InvalidPayload(f"a batch holds at most {MAX_BATCH} messages")
        parsed = Parsed()
        for index, raw in enumerate(raw_messages):
            prefix = f"batch.{index}." if "batch" in payload else ""
            message = validated(lambda: TrackMessage.model_validate(raw), prefix)
            event = validated(lambda: to_canonical(message, store_id=store_id), prefix + "properties.")
            if event is None:
                parsed.ignored.append(message.messageId)
            else:
                parsed.events.append(event)
        return parsed


GENERIC_API = GenericApi()
