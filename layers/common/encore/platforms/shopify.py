"""Shopify webhooks, in the shapes Shopify documents, to canonical events.

Shopify signs the raw body: ``X-Shopify-Hmac-Sha256`` = base64(HMAC-SHA256(secret, body)).
An event's identity is ``X-Shopify-Event-Id``: the same on every retry of a delivery and on a
re-send of the event under a new ``X-Shopify-Webhook-Id``. The dedupe key is (shop, topic,
event id), falling back to the webhook id when the event id is absent.
Cart webhooks carry no customer; checkouts and orders do (and link the cart token to them).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from encore import signatures
from encore.clock import parse_iso, utcnow
from encore.errors import InvalidPayload
from encore.events import (
    CartUpdated,
    Consent,
    CustomerRef,
    CustomerUpdated,
    Line,
    OrderPlaced,
    OrderStatus,
    OrderStatusChanged,
    PrivacyRequest,
    PrivacyRequestType,
    ProductUpdated,
    to_cents,
)
from encore.ingest import Parsed, WebhookRequest, validated
from encore.observability import logger

SHOP_DOMAIN_SUFFIX = ".myshopify.com"


def store_id_from_shop_domain(shop_domain: str) -> str:
    """'demo-store.myshopify.com' -> 'demo-store' (the store's id in Encore)."""
    return shop_domain.removesuffix(SHOP_DOMAIN_SUFFIX)


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ShopifyMoney(_Payload):
    amount: str
    currency_code: str


class ShopifyPriceSet(_Payload):
    presentment_money: ShopifyMoney


class ShopifyLineItem(_Payload):
    product_id: int | None
    title: str
    quantity: int = Field(ge=0)
    price: str
    price_set: ShopifyPriceSet | None = None  # cart webhooks carry the currency only here

    def to_line(self) -> Line:
        return Line(
            product_id=str(self.product_id or self.title),
            title=self.title,
            quantity=self.quantity,
            price_cents=to_cents(self.price),
        )


class ShopifyConsent(_Payload):
    state: str | None = None
    consent_updated_at: datetime | None = None

    def to_consent(self, channel: str) -> Consent | None:
        if not self.state:
            return None
        return Consent(granted=self.state == "subscribed", source=f"shopify:{channel}_marketing_consent", updated_at=self.consent_updated_at)


class ShopifyAddress(_Payload):
    country_code: str | None = None


class ShopifyCustomer(_Payload):
    id: int
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    tags: str | None = None
    email_marketing_consent: ShopifyConsent | None = None
    sms_marketing_consent: ShopifyConsent | None = None
    default_address: ShopifyAddress | None = None

    def to_ref(self, *, locale: str | None = None, buyer_accepts_marketing: bool = False, email: str | None = None) -> CustomerRef:
        email_consent = self.email_marketing_consent.to_consent("email") if self.email_marketing_consent else None
        return CustomerRef(
            customer_id=str(self.id),
            email=self.email or email,
            phone=self.phone or None,
            first_name=self.first_name,
            last_name=self.last_name,
            locale=locale,
            country=self.default_address.country_code if self.default_address else None,
            tags=[tag.strip() for tag in self.tags.split(",") if tag.strip()] if self.tags is not None else None,
            accepts_email_marketing=email_consent.granted if email_consent else buyer_accepts_marketing,
            email_consent=email_consent,
            sms_consent=self.sms_marketing_consent.to_consent("sms") if self.sms_marketing_consent else None,
        )


class ShopifyCustomerRecord(ShopifyCustomer):
    """customers/create|update: the customer is the whole payload."""

    created_at: datetime | None = None
    updated_at: datetime


class ShopifyCart(_Payload):
    token: str = Field(min_length=1)
    line_items: list[ShopifyLineItem]
    updated_at: datetime


class ShopifyCheckout(_Payload):
    token: str = Field(min_length=1)
    cart_token: str | None = None
    email: str | None = None
    customer: ShopifyCustomer | None = None
    customer_locale: str | None = None
    buyer_accepts_marketing: bool = False
    currency: str
    line_items: list[ShopifyLineItem]
    abandoned_checkout_url: str | None = None
    updated_at: datetime


class ShopifyFulfillment(_Payload):
    order_id: int
    status: str | None = None
    shipment_status: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    updated_at: datetime


class ShopifyOrderStatus(_Payload):
    """orders/paid|fulfilled|cancelled carry the whole order; only these fields matter."""

    id: int
    customer: ShopifyCustomer | None = None
    fulfillments: list[ShopifyFulfillment] = []
    updated_at: datetime
    cancelled_at: datetime | None = None


class ShopifyVariant(_Payload):
    price: str | None = None
    inventory_quantity: int | None = None


class ShopifyImage(_Payload):
    src: str


class ShopifyProduct(_Payload):
    id: int
    title: str
    handle: str | None = None
    product_type: str | None = None
    status: str | None = None
    variants: list[ShopifyVariant] = []
    image: ShopifyImage | None = None
    updated_at: datetime


class ShopifyPrivacyCustomer(_Payload):
    id: int
    email: str | None = None
    phone: str | None = None


class ShopifyPrivacy(_Payload):
    shop_domain: str
    customer: ShopifyPrivacyCustomer | None = None
    orders_to_redact: list[int] = []
    orders_requested: list[int] = []


class ShopifyOrder(_Payload):
    id: int
    name: str | None = None  # "#1001": the store's prefix and number, what the customer sees
    email: str | None = None
    customer: ShopifyCustomer
    customer_locale: str | None = None
    buyer_accepts_marketing: bool = False
    cart_token: str | None = None
    currency: str
    total_price: str
    line_items: list[ShopifyLineItem]
    discount_codes: list[dict] = []
    created_at: datetime
    financial_status: str | None = None
    order_status_url: str | None = None


# Shopify's financial statuses of an order that still waits for the customer's money.
UNPAID_STATUSES = {"pending", "authorized"}


def _lines(items: list[ShopifyLineItem]) -> list[Line]:
    return [item.to_line() for item in items if item.quantity > 0]


def cart_event(payload: dict, *, store_id: str, event_id: str, topic: str) -> CartUpdated:
    cart = ShopifyCart.model_validate(payload)
    currencies = {item.price_set.presentment_money.currency_code for item in cart.line_items if item.price_set}
    return CartUpdated(
        event_id=event_id,
        store_id=store_id,
        occurred_at=cart.updated_at,
        source=f"shopify:{topic}",
        cart_id=cart.token,
        currency=currencies.pop() if len(currencies) == 1 else None,
        lines=_lines(cart.line_items),
    )


def checkout_event(payload: dict, *, store_id: str, event_id: str, topic: str) -> CartUpdated:
    checkout = ShopifyCheckout.model_validate(payload)
    customer = None
    if checkout.customer:
        customer = checkout.customer.to_ref(
            locale=checkout.customer_locale,
            buyer_accepts_marketing=checkout.buyer_accepts_marketing,
            email=checkout.email,
        )
    return CartUpdated(
        event_id=event_id,
        store_id=store_id,
        occurred_at=checkout.updated_at,
        source=f"shopify:{topic}",
        customer=customer,
        # The cart token is what carts/* and orders/create carry too: one cart, one journey.
        cart_id=checkout.cart_token or checkout.token,
        currency=checkout.currency,
        lines=_lines(checkout.line_items),
        recovery_url=checkout.abandoned_checkout_url,
        link_cart_to_customer=checkout.cart_token is not None,
        checkout_token=checkout.token,
    )


def order_event(payload: dict, *, store_id: str, event_id: str, topic: str) -> OrderPlaced:
    order = ShopifyOrder.model_validate(payload)
    return OrderPlaced(
        event_id=event_id,
        store_id=store_id,
        occurred_at=order.created_at,
        source=f"shopify:{topic}",
        customer=order.customer.to_ref(
            locale=order.customer_locale,
            buyer_accepts_marketing=order.buyer_accepts_marketing,
            email=order.email,
        ),
        order_id=str(order.id),
        order_name=order.name or None,
        cart_id=order.cart_token,
        currency=order.currency,
        total_cents=to_cents(order.total_price),
        lines=_lines(order.line_items),
        coupon_codes=[str(code.get("code")) for code in order.discount_codes if code.get("code")],
        paid=order.financial_status not in UNPAID_STATUSES,
        payment_url=order.order_status_url,
    )


def customer_event(payload: dict, *, store_id: str, event_id: str, topic: str) -> CustomerUpdated:
    record = ShopifyCustomerRecord.model_validate(payload)
    return CustomerUpdated(
        event_id=event_id,
        store_id=store_id,
        occurred_at=record.updated_at,
        source=f"shopify:{topic}",
        customer=record.to_ref(),
        registered=topic == "customers/create",
    )


_ORDER_STATUS_TOPICS: dict[str, OrderStatus] = {"orders/paid": "order_paid", "orders/fulfilled": "order_fulfilled", "orders/cancelled": "order_cancelled"}


def order_status_event(payload: dict, *, store_id: str, event_id: str, topic: str) -> OrderStatusChanged:
    order = ShopifyOrderStatus.model_validate(payload)
    tracked = next((f for f in order.fulfillments if f.tracking_url or f.tracking_number), None)
    return OrderStatusChanged(
        type=_ORDER_STATUS_TOPICS[topic],
        event_id=event_id,
        store_id=store_id,
        occurred_at=order.cancelled_at or order.updated_at,
        source=f"shopify:{topic}",
        order_id=str(order.id),
        customer=order.customer.to_ref() if order.customer else None,
        tracking_url=tracked.tracking_url if tracked else None,
        tracking_number=tracked.tracking_number if tracked else None,
    )


def fulfillment_event(payload: dict, *, store_id: str, event_id: str, topic: str) -> OrderStatusChanged:
    fulfillment = ShopifyFulfillment.model_validate(payload)
    return OrderStatusChanged(
        # A fulfillment update whose shipment reached the buyer is the delivery moment.
        type="order_delivered" if fulfillment.shipment_status == "delivered" else "order_fulfilled",
        event_id=event_id,
        store_id=store_id,
        occurred_at=fulfillment.updated_at,
        source=f"shopify:{topic}",
        order_id=str(fulfillment.order_id),
        tracking_url=fulfillment.tracking_url,
        tracking_number=fulfillment.tracking_number,
    )


def product_event(payload: dict, *, store_id: str, event_id: str, topic: str, shop_domain: str = "") -> ProductUpdated:
    product = ShopifyProduct.model_validate(payload)
    prices = [to_cents(variant.price) for variant in product.variants if variant.price is not None]
    stock = [variant.inventory_quantity for variant in product.variants if variant.inventory_quantity is not None]
    return ProductUpdated(
        event_id=event_id,
        store_id=store_id,
        occurred_at=product.updated_at,
        source=f"shopify:{topic}",
        product_id=str(product.id),
        title=product.title,
        product_type=product.product_type or None,
        category=product.product_type or None,
        price_cents=min(prices) if prices else None,
        in_stock=sum(stock) > 0 if stock else None,
        url=f"https://{shop_domain}/products/{product.handle}" if shop_domain and product.handle else None,
        image_url=product.image.src if product.image else None,
        deleted=product.status == "archived",
    )


_PRIVACY_TOPICS: dict[str, PrivacyRequestType] = {
    "customers/data_request": "customer_data_requested",
    "customers/redact": "customer_redact_requested",
    "shop/redact": "shop_redact_requested",
}


def privacy_event(payload: dict, *, store_id: str, event_id: str, topic: str, triggered_at: datetime | None = None) -> PrivacyRequest:
    request = ShopifyPrivacy.model_validate(payload)
    customer = request.customer
    return PrivacyRequest(
        type=_PRIVACY_TOPICS[topic],
        event_id=event_id,
        store_id=store_id,
        # Privacy payloads carry no timestamp: Shopify's X-Shopify-Triggered-At says when.
        occurred_at=triggered_at or utcnow(),
        source=f"shopify:{topic}",
        customer=CustomerRef(customer_id=str(customer.id), email=customer.email) if customer else None,
        orders_to_redact=[str(order) for order in request.orders_to_redact or request.orders_requested],
    )


TOPICS = {
    "customers/create": customer_event,
    "customers/update": customer_event,
    "carts/create": cart_event,
    "carts/update": cart_event,
    "checkouts/create": checkout_event,
    "checkouts/update": checkout_event,
    "orders/create": order_event,
    **{topic: order_status_event for topic in _ORDER_STATUS_TOPICS},
    "fulfillments/create": fulfillment_event,
    "fulfillments/update": fulfillment_event,
    "products/create": product_event,
    "products/update": product_event,
    **{topic: privacy_event for topic in _PRIVACY_TOPICS},
}

# Topics whose payload is the whole order, with its ``test`` flag.
ORDER_TOPICS = frozenset({"orders/create", *_ORDER_STATUS_TOPICS})

# The mandatory privacy (compliance) topics are subscribed in the app's configuration
# (shopify.app.toml [webhooks.privacy_compliance]); the Admin API cannot create them.
PRIVACY_TOPICS = tuple(_PRIVACY_TOPICS)
# What `encore webhooks register` subscribes through the Admin API: every topic ingest acts on.
SUBSCRIBED_TOPICS = tuple(topic for topic in TOPICS if topic not in _PRIVACY_TOPICS)


class Shopify:
    """The Shopify platform for ``encore.ingest.accept``."""

    name = "shopify"

    def handshake(self, request: WebhookRequest):
        return None

    def store_id(self, request: WebhookRequest, parameters) -> str | None:
        shop_domain = request.header("X-Shopify-Shop-Domain")
        return store_id_from_shop_domain(shop_domain) if shop_domain else None

    def verify(self, request: WebhookRequest, secret: str) -> None:
        signatures.verify(signatures.sign_base64(secret, request.body), request.header("X-Shopify-Hmac-Sha256"))

    def parse(self, request: WebhookRequest, payload: dict, store_id: str) -> Parsed:
        topic = request.header("X-Shopify-Topic") or ""
        webhook_id = request.header("X-Shopify-Webhook-Id")
        if not webhook_id:
            raise InvalidPayload("missing X-Shopify-Webhook-Id header", [{"field": "X-Shopify-Webhook-Id", "problem": "required"}])
        normalise = TOPICS.get(topic)
        if normalise is None:
            # Platforms retry any non-2xx: an unknown topic is acknowledged and ignored.
            return Parsed(ignored=[webhook_id])
        extra = {}
        if normalise is product_event:
            extra["shop_domain"] = request.header("X-Shopify-Shop-Domain") or ""
        triggered_at = request.header("X-Shopify-Triggered-At")
        if normalise is privacy_event and triggered_at:
            extra["triggered_at"] = validated(lambda: parse_iso(triggered_at))
        event_id = dedupe_key(topic, request.header("X-Shopify-Event-Id"), webhook_id)
        if topic in ORDER_TOPICS and payload.get("test") is True:
            # The admin's "Send test notification" (and an order placed with the Bogus test
            # gateway): answered 2xx so the admin shows success, and nothing else happens — no
            # customer, no revenue, no journey, no message.
            logger.info("shopify test order ignored", extra={"topic": topic, "order_id": str(payload.get("id")), "store": store_id})
            return Parsed(ignored=[webhook_id])
        event = validated(lambda: normalise(payload, store_id=store_id, event_id=event_id, topic=topic, **extra))
        return Parsed(events=[event])


def dedupe_key(topic: str, shopify_event_id: str | None, webhook_id: str) -> str:
    """One event of one topic, however many times and under whichever webhook ids it comes."""
    return f"{shopify_event_id.strip()}:{topic}" if shopify_event_id and shopify_event_id.strip() else webhook_id


SHOPIFY = Shopify()
