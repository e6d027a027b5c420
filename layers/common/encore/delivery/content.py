"""Content: the coupon, the template's context and the rendered message for the chosen
channel. Rendering happens here, before any channel is called: a template that fails to
render (a jinja2 error, a missing file) raises ``TemplateRenderError``, which no state
retries (it is no outage: the same template fails the same way) and which ends the journey
at its named failure ending, with the claim given back and nothing sent."""

from __future__ import annotations

from dataclasses import dataclass

from jinja2 import TemplateError

from encore.catalogue import sellable
from encore.channels import ChannelName
from encore.delivery.coupon import StepCoupon, step_coupon
from encore.delivery.load import LoadedStep
from encore.delivery.request import CouponIssuer, StepRequest, UnsubscribeLinks
from encore.guards import scenario_of
from encore.messaging import is_marketing
from encore.rendering import TemplateRenderError, render_email, render_text
from encore.storage.catalogue import Catalogue
from encore.storage.delivery import DeliveryStorage
from encore.storage.records import Cart, Coupon, Message, Order, Product, order_display_name
from encore.stores import StoreSettings
from encore.unsubscribe import list_unsubscribe_headers, make_token, preferences_url, unsubscribe_url


@dataclass(frozen=True)
class Content:
    """A message ready for its channel: email (subject, text, html, headers), SMS (text) or
    push (subject as title, text as body, url opened on tap)."""

    request: StepRequest  # the step as it goes out (its template may be the coupon-less one)
    channel: ChannelName
    subject: str
    text: str
    html: str = ""  # email only
    headers: tuple[tuple[str, str], ...] = ()
    url: str | None = None
    issued_coupon_code: str | None = None


def compose(
    step: LoadedStep,
    message: Message,
    channel: ChannelName,
    store: StoreSettings,
    links: UnsubscribeLinks | None,
    coupons: CouponIssuer | None,
    storage: DeliveryStorage,
) -> Content:
    chosen = step_coupon(step, message, store, coupons, storage)
    context = template_context(step, chosen, store, links, storage.catalogue)
    return render(chosen, channel, context, unsubscribe_headers(chosen.request, links))


def render(chosen: StepCoupon, channel: ChannelName, context: dict, headers: tuple[tuple[str, str], ...]) -> Content:
    request, code = chosen.request, chosen.issued_code
    try:
        if channel == "email":
            email = render_email(request.template, context)
            return Content(request, channel, email.subject, email.text, email.html, headers, issued_coupon_code=code)
        text = render_text(channel, request.template, context)
    except TemplateError as error:
        raise TemplateRenderError(request.template, channel, error) from error
    if channel == "push":
        title, _, body = text.partition("\n")
        return Content(request, channel, title.strip(), body.strip(), url=(context.get("cart") or {}).get("recovery_url"), issued_coupon_code=code)
    return Content(request, channel, text[:78], text, issued_coupon_code=code)


def unsubscribe_token(request: StepRequest, links: UnsubscribeLinks | None) -> str | None:
    """The signed token of a marketing message's unsubscribe and preferences links. Tokens
    are deterministic, so the header and the footer's visible link carry the same one."""
    if links is None or links.keys is None or not is_marketing(request.template):
        return None
    return make_token(links.keys, request.store_id, request.customer_id)


def unsubscribe_headers(request: StepRequest, links: UnsubscribeLinks | None) -> tuple[tuple[str, str], ...]:
    token = unsubscribe_token(request, links)
    return () if token is None or links is None else list_unsubscribe_headers(links.api_url, token)


def footer(request: StepRequest, links: UnsubscribeLinks | None) -> dict:
    """The footer's links (templates/email/_footer.*; the why-sentence is the template's,
    ``encore.footer``): on marketing email the visible unsubscribe link, the header's very
    URL, and the preferences page; none on transactional email."""
    token = unsubscribe_token(request, links)
    if token is None or links is None:
        return {"unsubscribe_url": None, "preferences_url": None}
    return {"unsubscribe_url": unsubscribe_url(links.api_url, token), "preferences_url": preferences_url(links.api_url, token)}


def template_context(step: LoadedStep, chosen: StepCoupon, store: StoreSettings, links: UnsubscribeLinks | None, catalogue: Catalogue) -> dict:
    request, customer, order = chosen.request, step.known_customer, step.order
    return {
        **footer(request, links),
        "locale": customer.locale or store.locale,
        "store": store,
        "utm_campaign": scenario_of(request.journey) or request.template,
        "customer": {"first_name": customer.first_name, "last_name": customer.last_name},
        "cart": cart_context(step.cart, store),
        "coupon": coupon_context(chosen.coupon),
        "order_id": request.order_id,
        # The order as the shop names it ("#1001"), for every template that mentions one.
        "order_name": order.display_name if order else order_display_name(request.order_id, None) if request.order_id else None,
        "products": shown_products(catalogue, request.store_id, request.products),
        "category": request.category,
        "order": order_context(order, store),
    }


def lines_context(lines) -> list[dict]:
    return [
        {"title": line.title, "quantity": int(line.quantity), "price_cents": int(line.price_cents), "url": line.url, "image_url": line.image_url}
        for line in lines
    ]


def cart_context(cart: Cart | None, store: StoreSettings) -> dict | None:
    if cart is None:
        return None
    recovery_url = cart.recovery_url or f"{store.storefront_url}/cart"
    return {"lines": lines_context(cart.lines), "total_cents": cart.total_cents, "currency": cart.currency, "recovery_url": recovery_url}


def coupon_context(coupon: Coupon | None) -> dict | None:
    if coupon is None:
        return None
    # expires_on is formatted per locale by the templates' date filter.
    return {"code": coupon.code, "percent_off": int(coupon.percent_off), "expires_on": coupon.expires_at}


def order_context(order: Order | None, store: StoreSettings) -> dict | None:
    if order is None:
        return None
    return {
        "order_id": order.order_id,
        "name": order.display_name,
        "lines": lines_context(order.lines),
        "total_cents": int(order.total_cents or 0),
        "currency": order.currency or store.currency,
        "tracking_url": order.tracking_url,
        "tracking_number": order.tracking_number,
        "payment_url": order.payment_url or f"{store.storefront_url}/account/orders",
    }


def shown_products(catalogue: Catalogue, store_id: str, product_ids: list[str]) -> list[dict]:
    """The catalogue entries a message shows, in the order asked; deleted or sold-out
    products are left out (a message must not sell what cannot be bought)."""
    if not product_ids:
        return []
    found = catalogue.products(store_id, product_ids)
    shown = (found.get(product_id) for product_id in dict.fromkeys(product_ids))
    return [product_context(product) for product in shown if sellable(product)]


def product_context(product: Product) -> dict:
    return {
        "product_id": product.product_id,
        "title": product.title,
        "category": product.category,
        "price_cents": int(product.price_cents) if product.price_cents is not None else None,
        "currency": product.currency,
        "url": product.url,
        "image_url": product.image_url,
    }
