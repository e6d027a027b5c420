"""WooCommerce webhooks (WP REST API v3 payloads) to canonical events.

The store is named in the URL the store owner configures: ``/webhooks/woocommerce/<store id>``.
Every delivery carries these headers (``WC_Webhook::deliver``):

- ``X-WC-Webhook-Source``: the store's home URL (informational only);
- ``X-WC-Webhook-Topic``: ``<resource>.<event>``, e.g. ``order.created``: picks the normaliser;
- ``X-WC-Webhook-Resource`` / ``X-WC-Webhook-Event``: the two halves of the topic;
- ``X-WC-Webhook-Signature``: base64 HMAC-SHA256 of the raw body with the webhook's secret;
- ``X-WC-Webhook-ID``: the webhook's id in the store;
- ``X-WC-Webhook-Delivery-ID``: this delivery's id, part of the dedupe key (required: 400 without it).

When a webhook is created, WooCommerce first sends an unsigned ping (``webhook_id=<n>``,
form-encoded) and keeps the webhook disabled unless it gets exactly 200.

The body is the resource as ``GET /wp-json/wc/v3/<resource>s/<id>`` returns it, built when the
delivery runs (usually seconds after the change, in the background), so an ``order.created``
often already shows ``processing``. ``*_gmt`` timestamps are UTC without an offset. A deleted
resource arrives as ``{"id": <n>}``. WooCommerce never retries a delivery, and disables a
webhook after a few non-2xx answers in a row: whatever this module does not act on is
acknowledged (202, the delivery id in ``ignored``), never rejected.

The dedupe key is the delivery id plus the resource id (and, for ``order.updated``, the
status): WooCommerce makes the delivery id as ``wp_hash(webhook id . unix second)``, so two
deliveries of one webhook within the same second (a bulk edit, two orders at once) share it.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from encore import signatures
from encore.errors import InvalidPayload
from encore.events import (
    EMAIL_PATTERN,
    CustomerRef,
    CustomerUpdated,
    Line,
    OrderPlaced,
    OrderStatus,
    OrderStatusChanged,
    ProductUpdated,
    to_cents,
)
from encore.ingest import IngestResult, Parsed, WebhookRequest, validated
from encore.sms import e164_as_written

DELIVERY_ID_HEADER = "X-WC-Webhook-Delivery-ID"
TOPIC_HEADER = "X-WC-Webhook-Topic"
SIGNATURE_HEADER = "X-WC-Webhook-Signature"

_PING = re.compile(rb"^webhook_id=\d+$")


# --- Field types -------------------------------------------------------------------------


def _as_utc(moment: datetime) -> datetime:
    """WooCommerce's ``*_gmt`` fields are UTC but carry no offset: say so."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _blank_as_none(value):
    """WooCommerce sends ``""`` for every unset text field; canonical events want None."""
    if isinstance(value, str):
        return value.strip() or None
    return value


GmtDateTime = Annotated[datetime, AfterValidator(_as_utc)]
Text = Annotated[str | None, BeforeValidator(_blank_as_none)]
Email = Annotated[Annotated[str, StringConstraints(pattern=EMAIL_PATTERN)] | None, BeforeValidator(_blank_as_none)]
# WordPress may store titles HTML-escaped ("Salt &amp; Pepper"); messages want the text.
Title = Annotated[str, AfterValidator(html.unescape)]


def country_code(country: str | None) -> str | None:
    return country.upper() if country and len(country) == 2 else None


# --- Payload models (only the fields we use; WooCommerce sends many more) -----------------


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore")


class WooAddress(_Payload):
    """An order's or customer's ``billing`` block."""

    first_name: Text = None
    last_name: Text = None
    email: Email = None
    phone: Text = None
    country: Text = None


class WooImage(_Payload):
    src: Text = None  # "" when there is no image


class WooLineItem(_Payload):
    product_id: int = 0  # 0 when the product has since been deleted
    name: Title
    quantity: int = Field(ge=0)
    price: Decimal  # a JSON number: the line total after discounts / quantity, unrounded
    image: WooImage | None = None  # only in recent WooCommerce versions

    def to_line(self) -> Line:
        return Line(
            # The parent product, never the variation: the catalogue is keyed by products.
            product_id=str(self.product_id or self.name),
            title=self.name,
            quantity=self.quantity,
            price_cents=to_cents(self.price),
            image_url=self.image.src if self.image else None,
        )


class WooCouponLine(_Payload):
    code: str


class WooRefund(_Payload):
    id: int
    total: str  # negative: "-10.00"


class WooMeta(_Payload):
    key: str = ""
    value: object = None


# The order meta key a store's checkout writes the storefront script's visitor id under
# (docs/storefront.md): the signed order webhook is what links that visitor to the buyer.
VISITOR_META_KEY = "_encore_vid"
_VISITOR_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")


class _WooOrderBase(_Payload):
    id: int
    status: str
    customer_id: int = 0  # 0: a guest checkout
    billing: WooAddress = WooAddress()
    meta_data: list[WooMeta] = []

    def visitor_id(self) -> str | None:
        for meta in self.meta_data:
            if meta.key == VISITOR_META_KEY and isinstance(meta.value, str) and _VISITOR_ID.fullmatch(meta.value):
                return meta.value
        return None

    def customer_ref(self) -> CustomerRef | None:
        """The buyer, or None for a guest who left no email (nobody to write to)."""
        if self.customer_id:
            customer_id = str(self.customer_id)
        elif self.billing.email:
            # Guests have no account id: their email is the only stable identity across orders.
            customer_id = f"guest:{self.billing.email.lower()}"
        else:
            return None
        return CustomerRef(
            customer_id=customer_id,
            email=self.billing.email,
            phone=e164_as_written(self.billing.phone),
            first_name=self.billing.first_name,
            last_name=self.billing.last_name,
            country=country_code(self.billing.country),
            anonymous_id=self.visitor_id(),
        )


class WooOrder(_WooOrderBase):
    """order.created: the whole order."""

    number: str | None = None  # what WooCommerce shows as "#<number>" (plugins renumber it)
    currency: str = Field(min_length=3, max_length=3)
    total: str
    line_items: list[WooLineItem]
    coupon_lines: list[WooCouponLine] = []
    date_created_gmt: GmtDateTime
    date_paid_gmt: GmtDateTime | None = None


class WooOrderUpdate(_WooOrderBase):
    """order.updated: only the status, its moment and refunds matter."""

    date_modified_gmt: GmtDateTime
    refunds: list[WooRefund] = []

    def refunded_cents(self) -> int | None:
        if not self.refunds:
            return None
        return sum(abs(to_cents(refund.total)) for refund in self.refunds)


class WooCustomer(_Payload):
    id: int
    email: Email = None
    first_name: Text = None
    last_name: Text = None
    billing: WooAddress = WooAddress()
    date_created_gmt: GmtDateTime
    date_modified_gmt: GmtDateTime | None = None  # null until the profile is first saved again

    def to_ref(self) -> CustomerRef:
        return CustomerRef(
            customer_id=str(self.id),
            email=self.email or self.billing.email,
            phone=e164_as_written(self.billing.phone),
            first_name=self.first_name or self.billing.first_name,
            last_name=self.last_name or self.billing.last_name,
            country=country_code(self.billing.country),
            # WooCommerce core has no marketing-consent field (newsletter opt-ins live in
            # plugins, each in its own meta_data key), so this webhook says nothing about
            # consent: None leaves whatever consent we already hold untouched, and an
            # account alone never opts anyone in to marketing email.
            accepts_email_marketing=False,
            email_consent=None,
            sms_consent=None,
        )


class WooCategory(_Payload):
    name: Title


class WooProduct(_Payload):
    id: int
    name: Title
    type: str | None = None  # simple, variable, grouped, external, variation
    status: str | None = None  # publish, draft, pending, private, trash
    permalink: Text = None
    price: Text = None  # a decimal string; "" when the product has no price yet
    stock_status: str | None = None  # instock, outofstock, onbackorder
    categories: list[WooCategory] = []
    images: list[WooImage] = []
    date_modified_gmt: GmtDateTime


# --- Normalisers: payload -> canonical events (an empty list: acknowledged, ignored) -------

# Statuses of an order that exists but was not placed: the block checkout's draft, WordPress drafts.
_NOT_PLACED = {"checkout-draft", "draft", "auto-draft"}
# An order created in one of these was paid at checkout (card): it is placed and paid at once.
_PAID_AT_CREATION = {"processing", "completed"}
# order.updated: the status an order moved to -> the lifecycle moment. Others (pending and
# on-hold await payment, failed, checkout-draft, trash, statuses added by plugins) say nothing
# a journey acts on.
_STATUS_EVENTS: dict[str, OrderStatus] = {
    "processing": "order_paid",
    "completed": "order_fulfilled",  # WooCommerce's "completed" means shipped / fulfilled
    "cancelled": "order_cancelled",
    "refunded": "order_refunded",
}


def order_created_events(payload: dict, *, store_id: str, delivery_id: str, topic: str) -> list:
    order = WooOrder.model_validate(payload)
    customer = order.customer_ref()
    if order.status in _NOT_PLACED or customer is None:
        return []
    placed = OrderPlaced(
        event_id=f"{delivery_id}:{order.id}",
        store_id=store_id,
        occurred_at=order.date_created_gmt,
        source=f"woocommerce:{topic}",
        customer=customer,
        order_id=str(order.id),
        order_name=f"#{order.number}" if order.number else None,
        cart_id=None,  # WooCommerce has no cart token (cart_hash changes with the contents)
        currency=order.currency.upper(),
        total_cents=to_cents(order.total),
        lines=[item.to_line() for item in order.line_items if item.quantity > 0],
        coupon_codes=[coupon.code for coupon in order.coupon_lines if coupon.code],
        paid=order.status in _PAID_AT_CREATION,
    )
    if order.status not in _PAID_AT_CREATION:
        return [placed]
    paid = OrderStatusChanged(
        type="order_paid",
        event_id=f"{delivery_id}:{order.id}:paid",  # one delivery, two events: each needs its own key
        store_id=store_id,
        occurred_at=order.date_paid_gmt or order.date_created_gmt,
        source=f"woocommerce:{topic}",
        order_id=str(order.id),
        customer=customer,
    )
    return [placed, paid]


def order_updated_events(payload: dict, *, store_id: str, delivery_id: str, topic: str) -> list:
    order = WooOrderUpdate.model_validate(payload)
    event_type = _STATUS_EVENTS.get(order.status)
    if event_type is None:
        return []
    return [
        OrderStatusChanged(
            type=event_type,
            event_id=f"{delivery_id}:{order.id}:{order.status}",
            store_id=store_id,
            occurred_at=order.date_modified_gmt,
            source=f"woocommerce:{topic}",
            order_id=str(order.id),
            customer=order.customer_ref(),
            refunded_cents=order.refunded_cents() if event_type == "order_refunded" else None,
        )
    ]


def customer_events(payload: dict, *, store_id: str, delivery_id: str, topic: str) -> list:
    customer = WooCustomer.model_validate(payload)
    return [
        CustomerUpdated(
            event_id=f"{delivery_id}:{customer.id}",
            store_id=store_id,
            occurred_at=customer.date_modified_gmt or customer.date_created_gmt,
            source=f"woocommerce:{topic}",
            customer=customer.to_ref(),
            registered=topic == "customer.created",
        )
    ]


def product_events(payload: dict, *, store_id: str, delivery_id: str, topic: str) -> list:
    product = WooProduct.model_validate(payload)
    if product.type == "variation":
        # product.updated also fires for a variation (payload: the variation). Orders name
        # the parent product, whose own webhook carries the catalogue entry.
        return []
    return [
        ProductUpdated(
            event_id=f"{delivery_id}:{product.id}",
            store_id=store_id,
            occurred_at=product.date_modified_gmt,
            source=f"woocommerce:{topic}",
            product_id=str(product.id),
            title=product.name,
            category=product.categories[0].name if product.categories else None,
            price_cents=to_cents(product.price) if product.price else None,
            in_stock=product.stock_status == "instock" if product.stock_status else None,
            url=product.permalink,
            image_url=next((image.src for image in product.images if image.src), None),
            deleted=product.status == "trash",
        )
    ]


# product/customer/order.deleted carry only {"id": n}, coupon.* and order.restored are not
# marketing events: all are absent here, so they are acknowledged and ignored.
TOPICS = {
    "order.created": order_created_events,
    "order.updated": order_updated_events,
    "customer.created": customer_events,
    "customer.updated": customer_events,
    "product.created": product_events,
    "product.updated": product_events,
}

# What `encore webhooks register` creates in the store: every topic ingest acts on.
SUBSCRIBED_TOPICS = tuple(TOPICS)


class WooCommerce:
    """The WooCommerce platform for ``encore.ingest.accept``."""

    name = "woocommerce"

    def handshake(self, request: WebhookRequest) -> IngestResult | None:
        if _PING.match(request.body.strip()):
            return IngestResult(status=200)
        return None

    def store_id(self, request: WebhookRequest, parameters) -> str | None:
        return request.path_parameters.get("store_id")

    def verify(self, request: WebhookRequest, secret: str) -> None:
        signatures.verify(signatures.sign_base64(secret, request.body), request.header(SIGNATURE_HEADER))

    def parse(self, request: WebhookRequest, payload: dict, store_id: str) -> Parsed:
        delivery_id = (request.header(DELIVERY_ID_HEADER) or "").strip()
        if not delivery_id:
            raise InvalidPayload(f"missing {DELIVERY_ID_HEADER} header", [{"field": DELIVERY_ID_HEADER, "problem": "required"}])
        topic = (request.header(TOPIC_HEADER) or "").strip()
        normalise = TOPICS.get(topic)
        if normalise is None:
            return Parsed(ignored=[delivery_id])
        events = validated(lambda: normalise(payload, store_id=store_id, delivery_id=delivery_id, topic=topic))
        return Parsed(events=events) if events else Parsed(ignored=[delivery_id])


WOOCOMMERCE = WooCommerce()
