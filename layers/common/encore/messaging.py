"""Delivering one journey step's message: eligibility, claim, coupon, render, send, record.

A step's message is claimed with a conditional write keyed by journey and step before the
channel is called: a retried Lambda, a Step Functions Retry or a redriven execution finds
the claim and sends nothing more. Eligibility is checked just before sending, because the
customer may have ordered or opted out while the journey waited.

When the channel fails, what it did decides: a refusal (throttling, a 4xx, no connection)
gives the claim back so the state's Retry sends it; a failure after the request went out (a
read timeout, a 5xx) may hide an accepted message, so the step is recorded ``uncertain`` and
never sent again; the channel's events settle it (``deliverability``), and one no event
settles within ``UNCONFIRMED_AFTER`` is shown to the operator as ``unconfirmed``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol
from datetime import datetime, time, timedelta

from pydantic import BaseModel, Field
from pynamodb.exceptions import DeleteError, PutError, UpdateError

from encore.adapters.aws import maybe_applied
from encore.adapters.shop_http import ShopAdminError
from encore.coupons import CouponUnavailable, failure_reason as coupon_failure_reason

from encore.adapters.email import EmailSender, OutgoingEmail
from encore.adapters.push import OutgoingPush, PushSender, PushTokenRejected
from encore.adapters.sms import OutgoingSms, SmsSender
from encore.channels import ChannelName, CustomerCapabilities, choose_channels, enabled_channels
from encore.guards import ALLOW, SentMarketing, Verdict, check_marketing, customer_zone, scenario_of
from encore.clock import iso, utcnow
from encore.models import Cart, Coupon, Customer, Message, Order, Product, PurchasedProduct, condition_failed, customer_key, get_or_none, order_display_name, save_owned
from encore.observability import logger
from encore.rendering import TEMPLATES_DIR, render_email, render_text
from encore.sms import segments
from encore.stores import StoreSettings
from encore.unsubscribe import UnsubscribeKeys, list_unsubscribe_headers, make_token, preferences_url, unsubscribe_url

# Each scenario classifies its own messages (encore.scenarios.registry). Transactional ones
# (order confirmation, shipping, payment reminders) go out without marketing consent; every
# other template is marketing: a template nobody classified must never skip consent.
from encore.scenarios import cart_abandonment, registry  # noqa: E402 (kept with the definitions it serves)

TRANSACTIONAL_TEMPLATES: frozenset[str] = registry.transactional_templates()
CART_REMINDERS = registry.templates_exiting_on("cart_closed", scenario_name=cart_abandonment.NAME)
UNPAID_REMINDERS = registry.templates_exiting_on("order_settled")


# Templates about one order: the step names it and the message shows it.
ORDER_TEMPLATES = registry.order_templates()


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
    # A coupon an earlier step of the journey issued, shown again (an expiry reminder).
    coupon_code: str | None = None
    # Catalogue products the message shows (viewed, upgrades, complements, best sellers).
    products: list[str] = []
    category: str | None = None
    # Exit rules re-checked just before sending: an order since this moment (the journey's
    # start) ends a marketing journey; so does a purchase of one of ``unless_bought``.
    skip_if_ordered_since: datetime | None = None
    unless_bought: list[str] = []
    # The step's channels in order of preference; the first the store switched on and the
    # customer can receive (address, consent, not suppressed) wins.
    channels: list[ChannelName] = ["email"]


class ChannelUnavailable(RuntimeError):
    """The channel failed to take the message; nothing was sent and the claim was given back.
    State machines retry this error by name."""

    retried_by_name = True  # runtime.retry_transient keeps the name (its own Retry, 60 s apart)


@dataclass(frozen=True)
class StepResult:
    sent: bool
    reason: str
    coupon_code: str | None = None
    # Set when a guard (quiet hours, send window, frequency cap) holds the message back: the
    # journey waits until then and asks again (ASL: "Wait until … may be sent").
    deferred_until: str | None = None

    def as_dict(self) -> dict:
        return {"sent": self.sent, "reason": self.reason, "coupon_code": self.coupon_code, "deferred_until": self.deferred_until}


def _ineligible_reason(request: StepRequest, customer: Customer | None, cart: Cart | None, order: Order | None = None, store: StoreSettings | None = None) -> str | None:
    if request.template in UNPAID_REMINDERS and order is not None and (order.paid_at or order.cancelled_at):
        return "order_paid" if order.paid_at else "order_cancelled"
    if request.template in CART_REMINDERS or request.template == "cart_threshold_nudge":
        if cart is None or cart.status != "open":
            return f"cart_{cart.status if cart else 'missing'}"
        if not cart.lines:
            return "cart_empty"
    # A free-delivery nudge only while the cart is still below the threshold.
    if request.template == "cart_threshold_nudge" and store is not None and cart.total_cents >= store.cart_threshold_nudge.threshold_cents:
        return "cart_reached_threshold"
    since = request.skip_if_ordered_since
    if since is not None and customer.last_order_at is not None and customer.last_order_at >= since:
        return "ordered"
    if request.unless_bought and _bought_any(customer, request.unless_bought, since):
        return "already_bought"
    return None


def _bought_any(customer: Customer, product_ids: list[str], since: datetime | None) -> bool:
    for product_id in product_ids:
        bought = get_or_none(PurchasedProduct, customer.pk, PurchasedProduct.sort_key(product_id))
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


# Templates that need a code; without one the step sends this template instead (its plain
# counterpart), so "send without the code" never renders an empty coupon box.
WITHOUT_COUPON = {"cart_reminder_3": "cart_reminder_2"}


class CouponIssuer(Protocol):
    """Hands a step a code its shop accepted (``encore.coupons.issue`` bound to the store's
    shop), or raises CouponUnavailable."""

    def issue(self, request: StepRequest, customer: Customer, now: datetime) -> Coupon: ...


def _step_coupon(request: StepRequest, customer: Customer, now: datetime, coupons: CouponIssuer | None) -> tuple[Coupon | None, str | None]:
    """(the step's coupon, None) or (None, why there is none)."""
    if coupons is None:
        return None, "no_coupon_shop"
    try:
        return coupons.issue(request, customer, now), None
    except CouponUnavailable as unavailable:
        return None, unavailable.reason
    except ShopAdminError as error:
        return None, coupon_failure_reason(error)


def _issued_coupon(request: StepRequest) -> Coupon | None:
    """The earlier step's coupon the message shows again; only the customer's own."""
    if not request.coupon_code:
        return None
    coupon = get_or_none(Coupon, *Coupon.key(request.store_id, request.coupon_code))
    return coupon if coupon is not None and coupon.customer_id == request.customer_id else None


def _unsubscribe_token(request: StepRequest, links: UnsubscribeLinks | None) -> str | None:
    """The signed token of a marketing message's unsubscribe and preferences links. Tokens
    are deterministic, so the header and the footer's visible link carry the same one."""
    if links is None or links.keys is None or not is_marketing(request.template):
        return None
    return make_token(links.keys, request.store_id, request.customer_id)


def _unsubscribe_headers(request: StepRequest, links: UnsubscribeLinks | None) -> tuple[tuple[str, str], ...]:
    token = _unsubscribe_token(request, links)
    return () if token is None else list_unsubscribe_headers(links.api_url, token)


def _footer(request: StepRequest, links: UnsubscribeLinks | None) -> dict:
    """The footer's links (templates/email/_footer.*; the why-sentence is the template's,
    ``encore.footer``): on marketing email the visible unsubscribe link, the header's very
    URL, and the preferences page; none on transactional email."""
    token = _unsubscribe_token(request, links)
    return {
        "unsubscribe_url": unsubscribe_url(links.api_url, token) if token else None,
        "preferences_url": preferences_url(links.api_url, token) if token else None,
    }


def _no_unsubscribe_link(request: StepRequest, channel: ChannelName | None, links: UnsubscribeLinks | None, store: StoreSettings | None = None) -> str | None:
    """Marketing email must carry a working one-click unsubscribe link (RFC 8058; Gmail and
    Yahoo require it of bulk senders): without the store's unsubscribe key it is not sent.
    Nor without the store's postal address (CAN-SPAM), which settings loaded before it was
    required may lack (``stores.load_store_settings``)."""
    if channel == "email" and is_marketing(request.template) and (links is None or links.keys is None):
        return "no_unsubscribe_key"
    if channel == "email" and is_marketing(request.template) and store is not None and not store.postal_address:
        return "no_postal_address"
    return None


def _lines(lines) -> list[dict]:
    return [
        {"title": line.title, "quantity": int(line.quantity), "price_cents": int(line.price_cents), "url": line.url, "image_url": line.image_url}
        for line in lines
    ]


def _context(
    store: StoreSettings, customer: Customer, cart: Cart | None, coupon: Coupon | None, request: StepRequest, order: Order | None = None, links: UnsubscribeLinks | None = None
) -> dict:
    return {
        **_footer(request, links),
        "locale": customer.locale or store.locale,
        "store": store,
        "utm_campaign": scenario_of(request.journey) or request.template,
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
            "expires_on": coupon.expires_at,  # formatted per locale by the templates' date filter
        }
        if coupon
        else None,
        "order_id": request.order_id,
        # The order as the shop names it ("#1001"), for every template that mentions one.
        "order_name": order.display_name if order else order_display_name(request.order_id, None) if request.order_id else None,
        "products": _products(request.store_id, request.products),
        "category": request.category,
        "order": {
            "order_id": order.order_id,
            "name": order.display_name,
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
    """What marketing emails need for their one-click unsubscribe link: the HTTP API's URL
    and the store's unsubscribe keys (None when the store has none: no marketing email)."""

    api_url: str
    keys: UnsubscribeKeys | None


def _has_template(channel: ChannelName, template: str) -> bool:
    suffix = ".subject.txt" if channel == "email" else ".txt"
    return (TEMPLATES_DIR / channel / f"{template}{suffix}").is_file()


def _reach(customer: Customer) -> dict[ChannelName, tuple[bool, str | None, bool]]:
    """Per channel: an address to send to, why it is suppressed (if it is), marketing consent.
    A push token means the app asked the OS for permission and the customer said yes."""
    return {
        "email": (bool(customer.email), customer.email_suppressed_reason, bool(customer.accepts_email_marketing)),
        "sms": (bool(customer.phone), customer.sms_suppressed_reason, bool(customer.sms_consent and customer.sms_consent.granted)),
        "push": (bool(customer.push_token), None, bool(customer.push_token)),
    }


def _unreachable_reason(channel: ChannelName, reach: tuple[bool, str | None, bool], marketing: bool) -> str:
    """Why the step's first channel cannot carry it (what the record shows)."""
    address, suppressed, consent = reach
    if not address:
        return "no_email_address" if channel == "email" else f"no_{channel}_address"
    if suppressed:
        return f"suppressed_{suppressed}" if channel == "email" else f"{channel}_suppressed_{suppressed}"
    if marketing and not consent:
        return "no_marketing_consent" if channel == "email" else f"no_{channel}_marketing_consent"
    return f"{channel}_not_available"  # switched off for the store, or no template for it


def _channel(request: StepRequest, customer: Customer | None, store: StoreSettings) -> tuple[ChannelName | None, str | None]:
    """The channel this step goes out on, or why it cannot go out at all. Hard suppression
    (bounce, complaint, STOP) closes a channel for every message, transactional ones too."""
    if customer is None:
        return None, "no_email_address"
    marketing = is_marketing(request.template)
    reach = _reach(customer)
    reachable = {channel: address and not suppressed for channel, (address, suppressed, _) in reach.items()}
    capabilities = CustomerCapabilities(
        email_address=reachable["email"],
        phone=reachable["sms"],
        push_token=reachable["push"],
        marketing_consent=frozenset(channel for channel, (_, _, consent) in reach.items() if consent),
    )
    usable = [
        channel
        for channel in choose_channels(request.channels, capabilities, enabled_channels(store.channels), marketing=marketing)
        if _has_template(channel, request.template)
    ]
    if usable:
        return usable[0], None
    first = request.channels[0]
    return None, _unreachable_reason(first, reach[first], marketing)


# Records that count against the frequency cap: sent, and those that may have gone out (a
# claim whose record a crash cut short, an uncertain send): over-counting holds one message
# back, under-counting mails a customer more than the store promised.
_CAPPED_STATUSES = frozenset({"sent", "claimed", "uncertain"})


def _sent_marketing(pk: str, now: datetime, window: timedelta) -> list[SentMarketing]:
    """The customer's marketing messages within the cap's window (one Query on their partition)."""
    since = now - window
    return [
        SentMarketing(message.journey, message.sent_at or message.claimed_at)
        for message in Message.query(pk, Message.sk.startswith("MESSAGE#"), filter_condition=(Message.sent_at >= since) | (Message.claimed_at >= since))
        if message.status in _CAPPED_STATUSES and is_marketing(message.template)
    ]


def _guard(request: StepRequest, store: StoreSettings, customer: Customer, now: datetime, first_attempt_at: datetime) -> Verdict:
    if not is_marketing(request.template):
        return ALLOW  # transactional: no cap, no quiet hours
    delivery = store.delivery
    window = timedelta(days=delivery.window_days)
    return check_marketing(
        request.journey,
        _sent_marketing(customer.pk, now, window),
        now=now,
        zone=customer_zone(customer.time_zone, store.time_zone),
        window=window,
        max_journeys=delivery.max_journeys_per_window,
        priorities=delivery.priorities,
        quiet_start=time.fromisoformat(delivery.quiet_hours_start),
        quiet_end=time.fromisoformat(delivery.quiet_hours_end),
        stale_after=timedelta(hours=delivery.stale_after(scenario_of(request.journey))),
        first_attempt_at=first_attempt_at,
    )


# A step may be (re)claimed while nothing was sent for it yet: first try, or after a deferral.
# "awaiting_coupon": the shop gave no code and the scenario retries (on_coupon_failure).
_CLAIMABLE = Message.pk.does_not_exist() | (Message.status == "deferred") | (Message.status == "awaiting_coupon")
# A step found in one of these went out, or may have: the journey goes on as if it was sent.
_PROBABLY_SENT = frozenset({"sent", "claimed", "uncertain"})
UNCONFIRMED_AFTER = timedelta(hours=24)  # an uncertain send no channel event settled by then


def delivery_state(message: Message, now: datetime) -> str:
    """What the operator sees for a step: its status, except that an uncertain send no event
    settled within UNCONFIRMED_AFTER is ``unconfirmed`` (never re-sent automatically)."""
    since = message.uncertain_since or message.claimed_at
    if message.status == "uncertain" and since is not None and now - since >= UNCONFIRMED_AFTER:
        return "unconfirmed"
    return message.status


def unconfirmed_messages(store_id: str, customer_id: str, now: datetime) -> list[Message]:
    """A customer's sends that may or may not have reached them (one Query on their partition)."""
    pk = customer_key(store_id, customer_id)
    return [message for message in Message.query(pk, Message.sk.startswith("MESSAGE#"), filter_condition=Message.status == "uncertain") if delivery_state(message, now) == "unconfirmed"]


def _handled(existing: Message, request: StepRequest) -> StepResult:
    logger.info("step already handled", extra={"journey": request.journey, "step": request.step, "status": existing.status})
    return StepResult(sent=existing.status in _PROBABLY_SENT, reason=f"already_{existing.status}", coupon_code=existing.coupon_code)


def deliver_step(
    request: StepRequest,
    *,
    store: StoreSettings,
    email: EmailSender,
    unsubscribe: UnsubscribeLinks | None = None,
    sms: SmsSender | None = None,
    push: PushSender | None = None,
    coupons: CouponIssuer | None = None,
) -> StepResult:
    pk = customer_key(request.store_id, request.customer_id)
    sk = Message.sort_key(request.journey, request.step)
    existing = get_or_none(Message, pk, sk)
    if existing is not None and existing.status not in ("deferred", "awaiting_coupon"):
        return _handled(existing, request)
    customer = get_or_none(Customer, pk, Customer.sort_key())
    cart = get_or_none(Cart, pk, Cart.sort_key(request.cart_id)) if request.cart_id else None
    # Marketing templates that mention an order (cross-sell, review request) need its name too.
    order = get_or_none(Order, pk, Order.sort_key(request.order_id)) if request.order_id else None
    now = utcnow()
    first_attempt_at = existing.first_attempt_at if existing is not None and existing.first_attempt_at else now
    message = Message(
        pk,
        sk,
        store_id=request.store_id,
        customer_id=request.customer_id,
        journey=request.journey,
        step=request.step,
        template=request.template,
        claimed_at=now,
        first_attempt_at=first_attempt_at,
        claim_attempt=uuid.uuid4().hex,
    )
    if existing is not None:  # held back before: keep the record of why and until when
        message.deferred_reason, message.deferred_until = existing.deferred_reason, existing.deferred_until
        message.coupon_failure_reason = existing.coupon_failure_reason  # an earlier try the shop gave no code
    channel, reason = _channel(request, customer, store)
    reason = reason or _ineligible_reason(request, customer, cart, order, store) or (
        "order_missing" if request.template in ORDER_TEMPLATES and order is None else None
    ) or _no_unsubscribe_link(request, channel, unsubscribe, store)
    message.channel = channel or request.channels[0]
    verdict = _guard(request, store, customer, now, first_attempt_at) if reason is None else None
    if verdict is not None and verdict.deferred:
        message.status, message.reason = "deferred", verdict.reason
        message.deferred_reason, message.deferred_until = verdict.reason, verdict.defer_until
    elif verdict is not None and not verdict.allowed:
        reason = verdict.reason
    if message.status != "deferred":
        message.status = "skipped" if reason else "claimed"
        message.reason = reason
    try:
        claimed = save_owned(message, condition=_CLAIMABLE, attempt_attribute="claim_attempt")
    except Exception:
        # The put may have been applied before the failure (its read-back was throttled, say):
        # a claim left behind would read as "sent" to the retry, which would then send nothing.
        if message.status == "claimed":
            _give_back(message)
        raise
    if not claimed:
        return _handled(Message.get(pk, sk, consistent_read=True), request)
    if message.status == "deferred":
        logger.info("step held back", extra={"scenario": scenario_of(request.journey), "journey": request.journey, "step": request.step, "reason": message.reason})
        return StepResult(sent=False, reason=message.reason, deferred_until=iso(message.deferred_until))
    if reason:
        logger.info("step skipped", extra={"scenario": scenario_of(request.journey), "journey": request.journey, "step": request.step, "reason": reason})
        return StepResult(sent=False, reason=reason)

    try:
        # Everything between the claim and the send request: a failure here (a throttled
        # read, the shop's coupon call) sent nothing, so the claim goes back and the state's
        # Retry tries again. Left in place, the retry would take the step for sent.
        coupon, coupon_failure = _step_coupon(request, customer, now, coupons) if request.coupon else (_issued_coupon(request), None)
        if coupon_failure is not None:
            logger.warning("no coupon for the step", extra={"scenario": scenario_of(request.journey), "journey": request.journey, "step": request.step, "reason": coupon_failure})
            if store.on_coupon_failure(scenario_of(request.journey)) == "retry":
                # The store wants the code in the message: give the claim back (recording why)
                # and let the state's Retry (ChannelUnavailable, 60 s and longer apart) try again.
                try:
                    message.update(
                        actions=[Message.status.set("awaiting_coupon"), Message.reason.set(coupon_failure), Message.coupon_failure_reason.set(coupon_failure)],
                        condition=Message.status == "claimed",
                    )
                except UpdateError as refused:
                    if not condition_failed(refused):
                        raise
                raise ChannelUnavailable(f"{request.template}: no coupon ({coupon_failure})")
            message.update(actions=[Message.coupon_failure_reason.set(coupon_failure)])
        if coupon is None and request.coupon and request.template in WITHOUT_COUPON:
            request = request.model_copy(update={"template": WITHOUT_COUPON[request.template]})
        context = _context(store, customer, cart, coupon, request, order, unsubscribe)
    except ChannelUnavailable:
        raise  # the coupon's own retry: the step is already marked awaiting_coupon
    except Exception:
        _give_back(message)
        raise
    try:
        if channel == "sms":
            subject, provider_id, details = _send_sms(request, store, customer, context, now, sms)
        elif channel == "push":
            subject, provider_id, details = _send_push(request, customer, context, now, push)
        else:
            subject, provider_id, details = _send_email(request, store, customer, context, now, email, unsubscribe)
    except Exception as error:
        issued = [Message.coupon_code.set(coupon.code)] if coupon and request.coupon else []
        if maybe_applied(error):
            # The request went out and no answer came back: the channel may have taken it.
            # Sending again could mail the customer twice, so the step stays taken.
            try:
                message.update(
                    actions=[Message.status.set("uncertain"), Message.reason.set(f"{channel}: {type(error).__name__}"), Message.uncertain_since.set(now), *issued],
                    condition=Message.status == "claimed",
                )
            except UpdateError as refused:
                # Applied but answered "condition failed" on the SDK's retry, or an event
                # already settled it: either way the step is taken, which is all that matters.
                if not condition_failed(refused):
                    raise
            logger.warning("send uncertain", extra={"scenario": scenario_of(request.journey), "journey": request.journey, "step": request.step, "channel": channel, "error": type(error).__name__})
            return StepResult(sent=True, reason="uncertain", coupon_code=coupon.code if issued else None)
        # The channel refused (throttling, a 4xx, no connection): nothing went out. Give
        # the claim back so the state's Retry sends it. A crash between an accepted send and
        # the record below leaves the claim: the step is not sent again and counts as sent.
        _give_back(message)
        raise ChannelUnavailable(f"{request.template} by {channel}: {type(error).__name__}") from error
    message.update(
        actions=[
            Message.status.set("sent"),
            Message.subject.set(subject),
            Message.provider_message_id.set(provider_id),
            Message.sent_at.set(now),
            *details,
            # Only the step that issued a coupon records it (erasure deletes it through it).
            *([Message.coupon_code.set(coupon.code)] if coupon and request.coupon else []),
        ]
    )
    logger.info("message sent", extra={"scenario": scenario_of(request.journey), "journey": request.journey, "step": request.step, "template": request.template, "channel": channel})
    return StepResult(sent=True, reason="sent", coupon_code=coupon.code if coupon and request.coupon else None)


def _give_back(message: Message) -> None:
    """Release this invocation's claim (only its own): nothing went out for the step."""
    try:
        message.delete(condition=(Message.status == "claimed") & (Message.claim_attempt == message.claim_attempt))
    except DeleteError as refused:
        if not condition_failed(refused):  # already given back (our own retried delete)
            raise


def _send_email(request, store, customer, context, now, email: EmailSender, unsubscribe) -> tuple[str, str, list]:
    rendered = render_email(request.template, context)
    provider_id = email.send(
        OutgoingEmail(
            sender=store.sender,
            recipient=customer.email,
            subject=rendered.subject,
            html=rendered.html,
            text=rendered.text,
            sent_at=now,
            headers=_unsubscribe_headers(request, unsubscribe),
            tags=_tags(request),
        )
    )
    return rendered.subject, provider_id, []


def _send_push(request, customer, context, now, push: PushSender | None) -> tuple[str, str, list]:
    if push is None:
        raise RuntimeError("no push application configured")
    title, _, body = render_text("push", request.template, context).partition("\n")
    try:
        receipt = push.send(
            OutgoingPush(
                device_token=customer.push_token,
                platform=customer.push_platform,
                title=title.strip(),
                body=body.strip(),
                sent_at=now,
                url=(context.get("cart") or {}).get("recovery_url"),
            )
        )
    except PushTokenRejected:
        # The app was uninstalled or the token expired: forget it, so the retry falls back
        # to the step's next channel.
        customer.update(actions=[Customer.push_token.remove(), Customer.push_platform.remove()])
        raise
    if receipt.updated_token:  # the provider rotated the token (FCM): keep the new one
        customer.update(actions=[Customer.push_token.set(receipt.updated_token)])
    return title.strip(), receipt.message_id, []


def _send_sms(request, store, customer, context, now, sms: SmsSender | None) -> tuple[str, str, list]:
    if sms is None:
        raise RuntimeError("no SMS sender configured")
    body = render_text("sms", request.template, context)
    provider_id = sms.send(
        OutgoingSms(
            recipient=customer.phone,
            body=body,
            sent_at=now,
            message_type="PROMOTIONAL" if is_marketing(request.template) else "TRANSACTIONAL",
            origination=store.sms_origination,
        )
    )
    # What the text costs: carriers bill per segment, and Cyrillic or Hebrew halve its size.
    counted = segments(body)
    return body[:78], provider_id, [Message.sms_encoding.set(counted.encoding), Message.sms_segments.set(counted.segments)]


def _tags(request: StepRequest) -> tuple[tuple[str, str], ...]:
    """SES message tags: its configuration-set events come back carrying them, which is how
    a bounce or an open finds its customer and step without any look-up."""
    return (("store", request.store_id), ("customer", request.customer_id), ("journey", request.journey), ("step", request.step))
