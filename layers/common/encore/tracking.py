"""Storefront events from the browser: ``POST /v1/t/{public_key}``.

A shopper's browser can keep no secret, so this endpoint takes a PUBLIC per-store key
(``pk_...``, created by ``encore tracking-key create STORE``) instead of the HMAC signature
the generic API needs, and trusts what it receives accordingly:

* Scope: only low-trust events — ``Product Viewed``, ``Product Added``, ``Cart Viewed`` and
  ``Checkout Started``. Anything else (an order, an ``identify``, a review) is refused whole
  with 403: those change money, consent or identity and need the signed API.
* Identity: a browser event never names a customer on its own say-so. ``userId``, ``traits``,
  ``context.traits`` (an email) are ignored; every event belongs to the visitor id the script
  keeps (``anonymousId``). A visitor becomes a customer only when a trusted server event says
  so: the shop's signed ``checkouts/create`` webhook carrying the same checkout token the
  browser reported (``link_checkout_to_visitor`` / ``link_checkout_to_customer``), or a
  signed generic ``identify`` naming the visitor's ``anonymousId``. So nobody can make Encore
  mail a stranger about products they never viewed.
* Effects: ``Product Viewed`` becomes the canonical ``ProductViewed`` of the visitor (counted on
  the customer once linked: browse abandonment, up-sell). ``Checkout Started`` records the
  visitor ↔ checkout token link. ``Product Added`` and ``Cart Viewed`` are accepted and
  acknowledged but change nothing yet: a cart's contents and prices come only from the shop's
  signed cart and checkout webhooks (a browser could invent any cart).
* Size: 8 KB per request, 20 events per batch (413 / 400 with the reason).
* Abuse, cheaply (HTTP APIs take no WAF): the route's own throttling in template.yaml caps
  the whole endpoint; per visitor, ``RateLimiter`` counts in the warm container's memory and
  only a visitor already over that threshold costs a DynamoDB write (see its docstring).
* Bots (known crawler user agents, headless browsers, no user agent at all) get the same 202
  a shopper gets and nothing is recorded: they learn nothing.
* CORS: ``Access-Control-Allow-Origin`` echoes only the store's own origins (its
  ``storefront_url`` setting, its myshopify domain, its WooCommerce site URL), never ``*``,
  never with credentials. An ``Origin`` from elsewhere is refused (403) — but the Origin is not
  authentication: a sandboxed pixel sends ``null`` or none, and those are accepted on the key.

Bodies may be ``text/plain`` (what ``navigator.sendBeacon`` and a ``fetch`` without custom
headers send: a CORS "simple request", no preflight) or ``application/json`` (preflighted:
``OPTIONS`` answers it). Both scripts in ``storefront/`` send ``text/plain``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from encore.adapters.bus import EventPublisher
from encore.adapters.secrets import StoreParameters
from encore.clock import utcnow
from encore.customers import link_checkout_to_visitor
from encore.errors import (
    ClientError,
    InvalidPayload,
    PayloadTooLarge,
    UnknownStore,
    UnsupportedMediaType,
    problems_from_validation,
)
from encore.events import ProductViewed, to_cents
from encore.ingest import WebhookRequest, json_object, publish_once
from encore.observability import logger
from encore.platforms.generic import Count, Id, ProductViewedProperties, check_batch
from encore.storage.processed_events import ProcessedEvents
from encore.storage.tracking_counters import DynamoTrackingCounters, TrackingCounters
from encore.stores import StoreSettings, load_store_settings

PRODUCT_VIEWED = "Product Viewed"
PRODUCT_ADDED = "Product Added"
CART_VIEWED = "Cart Viewed"
CHECKOUT_STARTED = "Checkout Started"
BROWSER_EVENTS = (PRODUCT_VIEWED, PRODUCT_ADDED, CART_VIEWED, CHECKOUT_STARTED)

MAX_BODY_BYTES = 8 * 1024  # a batch of 20 product views is ~5 KB; anything bigger is not a pixel
MAX_EVENTS = 20
MAX_DWELL_SECONDS = 3_600  # one page, one visit
PUBLIC_KEY = re.compile(r"pk_[A-Za-z0-9_-]{16,64}")
# What the scripts generate (a UUID, or Shopify's clientId); long enough not to be guessed.
VISITOR_ID = r"^[A-Za-z0-9_-]{16,64}$"
CHECKOUT_TOKEN = r"^[A-Za-z0-9_-]{8,128}$"

# Known crawlers, link previewers, HTTP libraries and headless browsers (lower case). A real
# shopper's browser matches none of these; a bot that lies about itself is left to the
# route's throttling and the per-visitor counter.
_BOT_USER_AGENT = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|mediapartners|facebookexternalhit|embedly|quora link preview|"
    r"pinterest|bingpreview|headless|phantomjs|electron/|selenium|webdriver|puppeteer|playwright|lighthouse|"
    r"pagespeed|gtmetrix|pingdom|uptimerobot|python-requests|python-urllib|aiohttp|httpx|curl/|wget/|"
    r"go-http-client|java/|okhttp|libwww-perl|node-fetch|axios/|scrapy|ahrefs|semrush|mj12|dotbot|petalbot|yandex|baiduspider"
)


class Forbidden(ClientError):
    status = 403


class TooManyRequests(ClientError):
    status = 429


# ---------------------------------------------------------------------------- request shapes
VisitorId = Annotated[str, StringConstraints(pattern=VISITOR_ID)]
MessageId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")]


class _Payload(BaseModel):
    # Unknown fields (userId, traits, context...) are ignored: a browser names no customer.
    model_config = ConfigDict(extra="ignore")


class ViewedProperties(ProductViewedProperties):
    """A view's properties as the generic API takes them, with a tighter dwell cap: the
    script measures one page in one visit, so an hour is already more than a shopper
    spends (the signed API's 24 h fits a server that sums a day's views)."""

    dwell_seconds: Count | None = Field(default=None, ge=0, le=MAX_DWELL_SECONDS)


class CheckoutProperties(_Payload):
    checkout_token: Annotated[str, StringConstraints(pattern=CHECKOUT_TOKEN)]


class CartProperties(_Payload):
    """Product Added / Cart Viewed: what the browser saw (acknowledged, not acted on)."""

    product_id: Id | None = None
    cart_id: Annotated[str, StringConstraints(max_length=256)] | None = None


class BrowserEvent(_Payload):
    type: Literal["track"] = "track"
    event: str = Field(min_length=1, max_length=64)
    messageId: MessageId
    anonymousId: VisitorId
    properties: dict = {}


BrowserProperties = ViewedProperties | CartProperties | CheckoutProperties

_PROPERTIES: dict[str, type[BrowserProperties]] = {
    PRODUCT_VIEWED: ViewedProperties,
    PRODUCT_ADDED: CartProperties,
    CART_VIEWED: CartProperties,
    CHECKOUT_STARTED: CheckoutProperties,
}


@dataclass
class TrackResponse:
    status: int
    body: dict | None = None
    headers: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------- CORS
def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url if "//" in url else f"https://{url}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default_port = {"http": 80, "https": 443}[parts.scheme]
    port = f":{parts.port}" if parts.port and parts.port != default_port else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


def allowed_origins(settings: StoreSettings, shop: dict) -> frozenset[str]:
    """The store's own origins: its storefront, its myshopify domain, its WooCommerce site."""
    candidates = [settings.storefront_url, shop.get("site_url")]
    if shop.get("shop_domain"):
        candidates.append(f"https://{shop['shop_domain']}")
    return frozenset(origin for origin in map(_origin, candidates) if origin)


def cors_headers(origin: str | None, allowed: frozenset[str]) -> dict[str, str]:
    """Echo an allowed Origin (and say the answer varies with it); nothing for any other.
    Never ``Access-Control-Allow-Credentials``: the scripts send no cookies to Encore."""
    if origin and origin.lower() in allowed:
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
    return {"Vary": "Origin"}


def _check_origin(origin: str | None, allowed: frozenset[str]) -> None:
    # A browser on another site using a copied key is refused; a sandboxed pixel (Origin
    # "null") or a client that sends none passes on the key alone: the Origin is a browser's
    # courtesy, not a credential, and the key's scope is what limits the damage.
    if origin is None or origin == "null":
        return
    if origin.lower() not in allowed:
        raise Forbidden("this origin is not one of the store's storefront origins", [{"field": "Origin", "problem": "not an origin of this store"}])


# ---------------------------------------------------------------------------- bots and rate
def is_bot(user_agent: str | None) -> bool:
    return not user_agent or not user_agent.strip() or _BOT_USER_AGENT.search(user_agent.lower()) is not None


class RateLimiter:
    """Requests per visitor and minute, counted where it is cheap.

    Every request is counted in this container's memory (free). A shopper sends a few events
    a minute and never reaches ``soft_limit``; only a visitor past it costs one DynamoDB
    UpdateItem per request (the count across every warm container, kept two minutes by TTL),
    and past ``hard_limit`` there the request is refused with 429. Counting every request in
    DynamoDB would cost $1.25 per million requests on top of the HTTP API's $1.00 — more than
    doubling the endpoint's price to catch the rare abuser; this way normal traffic costs
    nothing extra. The route's throttling (template.yaml) bounds everything above this.
    """

    def __init__(self, soft_limit: int = 30, hard_limit: int = 120, max_tracked: int = 10_000, *, counters: TrackingCounters | None = None):
        self.counters = counters or DynamoTrackingCounters()  # the shared counts (in memory in domain tests)
        self.soft_limit = soft_limit
        self.hard_limit = hard_limit
        self.max_tracked = max_tracked
        self._counts: dict[tuple[str, str, str], int] = {}
        self._shared: dict[tuple[str, str, str], int] = {}  # how much of each count DynamoDB has
        self.shared_checks = 0  # DynamoDB writes made (what the cost comment is about)

    def allow(self, store_id: str, visitor_id: str, now: datetime) -> bool:
        minute = now.strftime("%Y%m%d%H%M")
        key = (store_id, visitor_id, minute)
        if len(self._counts) >= self.max_tracked:  # a new minute (or a flood of visitor ids)
            self._counts = {k: v for k, v in self._counts.items() if k[2] == minute}
            self._shared = {k: v for k, v in self._shared.items() if k in self._counts}
            if len(self._counts) >= self.max_tracked:
                self._counts.clear()
                self._shared.clear()
        self._counts[key] = self._counts.get(key, 0) + 1
        if self._counts[key] <= self.soft_limit:
            return True
        # Over the threshold: the shared count gets everything this container saw this minute
        # (the first time) or this request (after), so it is the visitor's whole minute.
        self.shared_checks += 1
        unshared = self._counts[key] - self._shared.get(key, 0)
        requests = self.counters.count_visitor_requests(store_id, visitor_id, minute, unshared, now + timedelta(minutes=2))
        self._shared[key] = self._counts[key]
        return requests <= self.hard_limit


RATE_LIMITER = RateLimiter()  # one per warm container


# ---------------------------------------------------------------------------- parsing
def _problems(error: ValidationError, prefix: str) -> list[dict]:
    return [{**problem, "field": (prefix + problem["field"]).rstrip(".")} for problem in problems_from_validation(error)]


def parse_events(payload: dict) -> list[tuple[BrowserEvent, BrowserProperties]]:
    """``{"batch": [event, ...]}`` or one event; each validated. Raises 403 for an event
    outside the key's scope (named), 400 for anything malformed (named)."""
    batched = "batch" in payload
    raw_events = payload["batch"] if batched else [payload]
    check_batch(raw_events, most=MAX_EVENTS, noun="events")
    out_of_scope, problems, parsed = [], [], []
    for index, raw in enumerate(raw_events):
        prefix = f"batch.{index}." if batched else ""
        if not isinstance(raw, dict):
            problems.append({"field": prefix.rstrip(".") or "(body)", "problem": "an event must be a JSON object"})
            continue
        kind, name = raw.get("type", "track"), raw.get("event")
        if kind != "track" or name not in BROWSER_EVENTS:
            what = f"{kind} calls" if kind != "track" else repr(name)
            out_of_scope.append({"field": f"{prefix}{'type' if kind != 'track' else 'event'}", "problem": f"{what} need the signed events API"})
            continue
        try:
            event = BrowserEvent.model_validate(raw)
        except ValidationError as error:
            problems += _problems(error, prefix)
            continue
        try:
            properties = _PROPERTIES[name].model_validate(event.properties)
        except ValidationError as error:
            problems += _problems(error, f"{prefix}properties.")
            continue
        parsed.append((event, properties))
    if out_of_scope:
        raise Forbidden(f"a public tracking key may send only {', '.join(BROWSER_EVENTS)}", out_of_scope)
    if problems:
        raise InvalidPayload("required fields are missing or invalid", problems)
    return parsed


def _view(event: BrowserEvent, properties: ViewedProperties, *, store_id: str, received_at: datetime) -> ProductViewed:
    return ProductViewed(
        # Namespaced: a browser cannot take the dedupe key of a server event (a webhook's id)
        # and so suppress it, nor collide with another visitor's ids.
        event_id=f"browser:{event.anonymousId}:{event.messageId}",
        store_id=store_id,
        # The server's clock, not the browser's: a script posts at once, and a browser's
        # timestamp could move a view into a visit it never had.
        occurred_at=received_at,
        source=f"browser:{PRODUCT_VIEWED}",
        customer=None,
        anonymous_id=event.anonymousId,
        product_id=properties.product_id,
        title=properties.name,
        category=properties.category,
        price_cents=to_cents(properties.price) if properties.price is not None else None,
        url=properties.url,
        dwell_seconds=properties.dwell_seconds,
    )


# ---------------------------------------------------------------------------- the endpoint
def _problem(error: ClientError) -> dict:
    return {"title": error.reason, "status": error.status, "invalid_fields": error.problems}


def _store(request: WebhookRequest, parameters: StoreParameters) -> str:
    public_key = request.path_parameters.get("public_key") or ""
    if not PUBLIC_KEY.fullmatch(public_key):
        raise UnknownStore("not a tracking key (pk_...)")
    store_id = parameters.store_for_tracking_key(public_key)
    if not store_id:
        raise UnknownStore("unknown tracking key")
    return store_id


def preflight(request: WebhookRequest, *, parameters: StoreParameters) -> TrackResponse:
    """``OPTIONS``: a JSON POST from an allowed origin may follow; anything else gets no
    CORS headers (the browser then does not send it)."""
    try:
        store_id = _store(request, parameters)
    except UnknownStore as error:
        return TrackResponse(error.status, _problem(error))
    allowed = allowed_origins(load_store_settings(parameters, store_id), parameters.shop(store_id))
    origin = request.header("origin")
    headers = cors_headers(origin, allowed)
    if "Access-Control-Allow-Origin" not in headers:
        return TrackResponse(403, None, headers)
    return TrackResponse(
        204,
        None,
        {**headers, "Access-Control-Allow-Methods": "POST", "Access-Control-Allow-Headers": "Content-Type", "Access-Control-Max-Age": "86400"},
    )


def accept(
    request: WebhookRequest,
    *,
    parameters: StoreParameters,
    publisher: EventPublisher,
    limiter: RateLimiter | None = None,
    storage: ProcessedEvents | None = None,
) -> TrackResponse:
    """One browser request: the answer (status, JSON body, CORS headers). Nothing is written
    unless the whole request is valid. The views' dedupe records are on DynamoDB unless
    ``storage`` says otherwise (domain tests)."""
    headers: dict[str, str] = {"Vary": "Origin"}
    try:
        if len(request.body) > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"body is larger than {MAX_BODY_BYTES} bytes")
        store_id = _store(request, parameters)
        allowed = allowed_origins(load_store_settings(parameters, store_id), parameters.shop(store_id))
        origin = request.header("origin")
        headers = cors_headers(origin, allowed)
        _check_origin(origin, allowed)
        if request.media_type not in ("text/plain", "application/json"):
            raise UnsupportedMediaType(f"content type must be text/plain or application/json, not {request.media_type or 'missing'}")
        events = parse_events(json_object(request.body))
        if is_bot(request.header("user-agent")):
            logger.info("browser events from a bot dropped", extra={"events": len(events)})
            return TrackResponse(202, {"accepted": len(events)}, headers)
        now = utcnow()
        visitors = {event.anonymousId for event, _ in events}
        limiter = limiter or RATE_LIMITER
        if not all(limiter.allow(store_id, visitor, now) for visitor in sorted(visitors)):
            raise TooManyRequests("too many events from this visitor; try again in a minute")
        return TrackResponse(202, _apply(events, store_id=store_id, publisher=publisher, now=now, storage=storage), headers)
    except ClientError as error:
        logger.info("browser events rejected", extra={"reason": error.reason, "status": error.status})
        extra = {"Retry-After": "60"} if error.status == 429 else {}
        return TrackResponse(error.status, _problem(error), {**headers, **extra})


def _apply(
    events: list[tuple[BrowserEvent, BrowserProperties]], *, store_id: str, publisher: EventPublisher, now: datetime, storage: ProcessedEvents | None
) -> dict:
    views, linked, acknowledged = [], 0, 0
    for event, properties in events:
        # Each event name has its own properties model (_PROPERTIES): the model says which event it is.
        if isinstance(properties, ViewedProperties):
            views.append(_view(event, properties, store_id=store_id, received_at=now))
        elif isinstance(properties, CheckoutProperties):
            linked += link_checkout_to_visitor(store_id, properties.checkout_token, event.anonymousId, now) is not None
            acknowledged += 1
        else:
            acknowledged += 1
    result = publish_once(views, publisher, storage=storage) if views else None
    accepted = acknowledged + (len(result.accepted) if result else 0)
    logger.info("browser events accepted", extra={"views": len(views), "acknowledged": acknowledged, "merged": linked})
    return {"accepted": accepted, "duplicates": len(result.duplicates) if result else 0}
