"""Delivering one journey step's message: eligibility, claim, coupon, render, send, record.

A step's message is claimed with a conditional write keyed by journey and step before the
channel is called: a retried Lambda, a Step Functions Retry or a redriven execution finds
the claim and sends nothing more. Eligibility is checked just before sending, because the
customer may have ordered or opted out while the journey waited.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, Field
from pynamodb.exceptions import DoesNotExist, PutError

from encore.adapters.email import EmailSender, OutgoingEmail
from encore.clock import utcnow
from encore.models import Cart, Coupon, Customer, Message, Order, Product, PurchasedProduct, condition_failed, customer_key
from encore.observability import logger
from encore.rendering import render_email
from encore.stores import StoreSettings
from encore.unsubscribe import list_unsubscribe_headers, make_token

# Transactional messages (order confirmation, shipping) go out without marketing consent.
# Every other template is marketing: a template nobody classified must never skip consent.
# A payment reminder is about an order the customer placed and has not paid: a service
# message the customer needs to complete their own purchase, so it is transactional too.
TRANSACTIONAL_TEMPLATES: frozenset[str] = frozenset(
    {
        "registration_confirmation",
        "order_confirmation",
        "shipping_notice",
        "delivery_notice",
        "payment_reminder_1",
        "payment_reminder_2",
    }
)
CART_REMINDERS = {"cart_reminder_1", "cart_reminder_2", "cart_reminder_3"}
UNPAID_REMINDERS = {"payment_reminder_1", "payment_reminder_2"}


# Templates about one order: the step names it and the message shows it.
ORDER_TEMPLATES = TRANSACTIONAL_TEMPLATES - {"registration_confirmation"}


def is_marketing(template: str) -> bool:
    return template not in TRANSACTIONAL_TEMPLATES

COUPON_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


class CouponRequest(BaseModel):
    percent_off: int = Field(ge=1, le=100)
    valid_days: int = Field(ge=1)


class StepRequest(BaseModel):
    """What a state machine's "Send …" task passes to the send-message function."""

    store_id: str
    customer_id: str
    journey: str
    step: str
    template: str
    cart_id: str | None = None
    order_id: str | None = None
    coupon: CouponRequest | None = None
    # Catalogue products the message shows (viewed, upgrades, complements, best sellers).
    products: list[str] = []
    category: str | None = None
    # Exit rules re-checked just before sending: an order since this moment (the journey's
    # start) ends a marketing journey; so does a purchase of one of ``unless_bought``.
    skip_if_ordered_since: datetime | None = None
    unless_bought: list[str] = []


@dataclass(frozen=True)
class StepResult:
    sent: bool
    reason: str
    coupon_code: str | None = None

    def as_dict(self) -> dict:
        return {"sent": self.sent, "reason": self.reason, "coupon_code": self.coupon_code}


def _ineligible_reason(request: StepRequest, customer: Customer | None, cart: Cart | None, order: Order | None = None) -> str | None:
    if customer is None or not customer.email:
        return "no_email_address"
    if is_marketing(request.template) and not customer.accepts_email_marketing:
        return "no_marketing_consent"
    if request.template in UNPAID_REMINDERS and order is not None and (order.paid_at or order.cancelled_at):
        return "order_paid" if order.paid_at else "order_cancelled"
    if request.template in CART_REMINDERS:
        if cart is None or cart.status != "open":
            return f"cart_{cart.status if cart else 'missing'}"
        if not cart.lines:
            return "cart_empty"
    since = request.skip_if_ordered_since
    if since is not None and customer.last_order_at is not None and customer.last_order_at >= since:
        return "ordered"
    if request.unless_bought and _bought_any(customer, request.unless_bought, since):
        return "already_bought"
    return None


def _bought_any(customer: Customer, product_ids: list[str], since: datetime | None) -> bool:
    for product_id in product_ids:
        bought = _get(PurchasedProduct, customer.pk, PurchasedProduct.sort_key(product_id))
        if bought and bought.last_purchased_at and (since is None or bought.last_purchased_at >= since):
            return True
    return False


def _products(store_id: str, product_ids: list[str]) -> list[dict]:
    """The catalogue entries a message shows, in the order asked; deleted or sold-out
    products are left out (a message must not sell what cannot be bought)."""
    if not product_ids:
        return []
    keys = [Product.key(store_id, product_id) for product_id in dict.fromkeys(product_ids)]
    found = {product.product_id: product for product in Product.batch_get(keys)}
    shown = []
    for product_id in dict.fromkeys(product_ids):
        product = found.get(product_id)
        if product is None or product.deleted or product.in_stock is False:
            continue
        shown.append(
            {
                "product_id": product.product_id,
                "title": product.title,
                "category": product.category,
                "price_cents": int(product.price_cents) if product.price_cents is not None else None,
                "currency": product.currency,
                "url": product.url,
                "image_url": product.image_url,
            }
        )
    return shown


def _get(model, pk: str, sk: str):
    try:
        return model.get(pk, sk)
    except DoesNotExist:
        return None


def _new_coupon_code() -> str:
    return "-".join("".join(secrets.choice(COUPON_ALPHABET) for _ in range(4)) for _ in range(3))


def _issue_coupon(request: StepRequest, issued_at) -> Coupon:
    assert request.coupon is not None
    while True:  # codes are random: retry on the (astronomically rare) collision
        code = _new_coupon_code()
        pk, sk = Coupon.key(request.store_id, code)
        coupon = Coupon(
            pk,
            sk,
            store_id=request.store_id,
            code=code,
            customer_id=request.customer_id,
            journey=request.journey,
            percent_off=request.coupon.percent_off,
            issued_at=issued_at,
            expires_at=issued_at + timedelta(days=request.coupon.valid_days),
        )
        try:
            coupon.save(condition=Coupon.pk.does_not_exist())
            return coupon
        except PutError as error:
            if not condition_failed(error):
                raise


def _unsubscribe_headers(request: StepRequest, links: UnsubscribeLinks | None) -> tuple[tuple[str, str], ...]:
    if links is None or not is_marketing(request.template):
        return ()
    token = make_token(links.secret, request.store_id, request.customer_id)
    return list_unsubscribe_headers(links.api_url, token)


def _lines(lines) -> list[dict]:
    return [
        {"title": line.title, "quantity": int(line.quantity), "price_cents": int(line.price_cents), "url": line.url, "image_url": line.image_url}
        for line in lines
    ]


def _context(store: StoreSettings, customer: Customer, cart: Cart | None, coupon: Coupon | None, request: StepRequest, order: Order | None = None) -> dict:
    return {
        "locale": customer.locale or store.locale,
        "store": store,
        "customer": {"first_name": customer.first_name, "last_name": customer.last_name},
        "cart": {
            "lines": _lines(cart.lines),
            "total_cents": cart.total_cents,
            "currency": cart.currency,
            "recovery_url": cart.recovery_url or f"{store.storefront_url}/cart",
        }
        if cart
        else None,
        "coupon": {
            "code": coupon.code,
            "percent_off": int(coupon.percent_off),
            "expires_on": coupon.expires_at.strftime("%-d %B %Y"),
        }
        if coupon
        else None,
        "order_id": request.order_id,
        "products": _products(request.store_id, request.products),
        "category": request.category,
        "order": {
            "order_id": order.order_id,
            "lines": _lines(order.lines),
            "total_cents": int(order.total_cents or 0),
            "currency": order.currency or store.currency,
            "tracking_url": order.tracking_url,
            "tracking_number": order.tracking_number,
            "payment_url": order.payment_url or f"{store.storefront_url}/account/orders",
        }
        if order
        else None,
    }


@dataclass(frozen=True)
class UnsubscribeLinks:
    """What marketing emails need for their one-click unsubscribe link."""

    api_url: str
    secret: str


def deliver_step(request: StepRequest, *, store: StoreSettings, email: EmailSender, unsubscribe: UnsubscribeLinks | None = None) -> StepResult:
    pk = customer_key(request.store_id, request.customer_id)
    customer = _get(Customer, pk, Customer.sort_key())
    cart = _get(Cart, pk, Cart.sort_key(request.cart_id)) if request.cart_id else None
    order = _get(Order, pk, Order.sort_key(request.order_id)) if request.order_id and request.template in ORDER_TEMPLATES else None
    now = utcnow()
    message = Message(
        pk,
        Message.sort_key(request.journey, request.step),
        store_id=request.store_id,
        customer_id=request.customer_id,
        journey=request.journey,
        step=request.step,
        template=request.template,
        claimed_at=now,
    )
    reason = _ineligible_reason(request, customer, cart, order) or (
        "order_missing" if request.template in ORDER_TEMPLATES and order is None else None
    )
    message.status = "skipped" if reason else "claimed"
    message.reason = reason
    try:
        message.save(condition=Message.pk.does_not_exist())
    except PutError as error:
        if not condition_failed(error):
            raise
        existing = Message.get(pk, message.sk)
        logger.info("step already handled", extra={"journey": request.journey, "step": request.step, "status": existing.status})
        return StepResult(sent=False, reason=f"already_{existing.status}", coupon_code=existing.coupon_code)
    if reason:
        logger.info("step skipped", extra={"journey": request.journey, "step": request.step, "reason": reason})
        return StepResult(sent=False, reason=reason)

    coupon = _issue_coupon(request, now) if request.coupon else None
    rendered = render_email(request.template, _context(store, customer, cart, coupon, request, order))
    provider_id = email.send(
        OutgoingEmail(
            sender=store.sender,
            recipient=customer.email,
            subject=rendered.subject,
            html=rendered.html,
            text=rendered.text,
            sent_at=now,
            headers=_unsubscribe_headers(request, unsubscribe),
        )
    )
    message.update(
        actions=[
            Message.status.set("sent"),
            Message.subject.set(rendered.subject),
            Message.provider_message_id.set(provider_id),
            Message.sent_at.set(now),
            *([Message.coupon_code.set(coupon.code)] if coupon else []),
        ]
    )
    logger.info("message sent", extra={"journey": request.journey, "step": request.step, "template": request.template})
    return StepResult(sent=True, reason="sent", coupon_code=coupon.code if coupon else None)
