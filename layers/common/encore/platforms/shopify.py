"""Shopify webhooks, in the shapes Shopify documents, to canonical events.

Shopify signs the raw body: ``X-Shopify-Hmac-Sha256`` = base64(HMAC-SHA256(secret, body)).
``X-Shopify-Webhook-Id`` is the same on every retry of one delivery, so it is the dedupe key.
Cart webhooks carry no customer; checkouts and orders do (and link the cart token to them).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from encore.events import CartUpdated, CustomerRef, Line, OrderPlaced, to_cents

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


class ShopifyCustomer(_Payload):
    id: int
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email_marketing_consent: ShopifyConsent | None = None

    def to_ref(self, *, locale: str | None, buyer_accepts_marketing: bool, email: str | None) -> CustomerRef:
        consent = self.email_marketing_consent
        subscribed = consent.state == "subscribed" if consent and consent.state else buyer_accepts_marketing
        return CustomerRef(
            customer_id=str(self.id),
            email=self.email or email,
            first_name=self.first_name,
            last_name=self.last_name,
            locale=locale,
            accepts_email_marketing=subscribed,
        )


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


class ShopifyOrder(_Payload):
    id: int
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
        cart_id=order.cart_token,
        currency=order.currency,
        total_cents=to_cents(order.total_price),
        lines=_lines(order.line_items),
        coupon_codes=[str(code.get("code")) for code in order.discount_codes if code.get("code")],
    )


TOPICS = {
    "carts/create": cart_event,
    "carts/update": cart_event,
    "checkouts/create": checkout_event,
    "checkouts/update": checkout_event,
    "orders/create": order_event,
}
