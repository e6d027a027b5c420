"""The generic events API for any other platform: Segment-style ``identify`` and ``track`` calls.

``POST /v1/events``; the body is one message or ``{"batch": [message, ...]}`` (at most 100).
The store's API key names the store (``Authorization: Bearer <key>``) and the caller signs the
raw body with the store's webhook secret: ``X-Encore-Signature: sha256=<hex HMAC-SHA256>``.
``docs/openapi.yaml`` documents the contract; this module is what enforces it.

Every message has a ``messageId`` (the dedupe key), an ISO-8601 ``timestamp`` with an offset,
a ``userId`` (the store's customer id) and/or an ``anonymousId`` (a visitor id), and optional
``context.traits``, ``context.locale`` and ``context.timezone``.

* ``identify`` (``traits``) becomes ``CustomerUpdated``; with an ``anonymousId`` as well, the
  visitor is merged into the customer.
* ``track`` (``event``, ``properties``) follows the Segment e-commerce spec's event names:

  ============================================== ====================================
  Product Viewed                                 ``ProductViewed`` (a visitor is fine)
  Product Added, Product Removed, Cart Viewed,   ``CartUpdated``: ``properties.products``
  Cart Updated, Checkout Started                 carry the whole cart after the change
  Product Added, Product Removed without         ``CartUpdated`` with a ``change``: one
  ``products`` (the e-commerce spec's own form)  line added to / removed from the cart
  Order Completed                                ``OrderPlaced``
  Order Cancelled / Order Refunded               ``OrderStatusChanged``
  Signed Up                                      ``CustomerUpdated(registered=True)``
  Product Reviewed                               ``ReviewSubmitted``
  anything else                                  acknowledged and ignored
  ============================================== ====================================

``Product Reviewed`` is how reviews reach Encore: Shopify sends no review webhooks (review
apps such as Judge.me or Yotpo post their own), so the store forwards each review here with
``product_id``, ``review_id``, ``rating`` (1–5), optional ``review_body``, ``review_title``
and ``order_id``. The review-request journey waiting for that product branches on it.

Cart, order, review, ``Signed Up`` and ``identify`` calls need a ``userId``. Every field is
validated here, so a 400 names the exact field (``batch.1.properties.order_id``) and a
message that reached the bus never fails later for its shape.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Annotated, Literal, TypedDict

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationError,
)
from pydantic_core import PydanticSerializationError

from encore import signatures
from encore.errors import InvalidPayload, PayloadTooLarge, problems_from_validation
from encore.events import (
    EMAIL_PATTERN,
    MAX_LINES,
    MAX_QUANTITY,
    CanonicalEvent,
    CartAction,
    CartChange,
    CartUpdated,
    Consent,
    CustomerRef,
    CustomerUpdated,
    Line,
    OrderPlaced,
    OrderStatus,
    OrderStatusChanged,
    ProductViewed,
    PushPlatform,
    ReviewSubmitted,
    to_cents,
)
from encore.ingest import Parsed, WebhookRequest
from encore.sms import e164_as_written

PRODUCT_VIEWED = "Product Viewed"
CART_EVENTS = {"Product Added", "Product Removed", "Cart Viewed", "Cart Updated", "Checkout Started"}
# The spec's single-product form of these (no ``products``): one line added or removed.
PRODUCT_CHANGES: dict[str, CartAction] = {"Product Added": "add", "Product Removed": "remove"}
ORDER_EVENTS = {"Order Completed"}
ORDER_STATUS_EVENTS: dict[str, OrderStatus] = {"Order Cancelled": "order_cancelled", "Order Refunded": "order_refunded"}
SIGNED_UP = "Signed Up"
PRODUCT_REVIEWED = "Product Reviewed"
KNOWN_EVENTS = {PRODUCT_VIEWED, SIGNED_UP, PRODUCT_REVIEWED, *CART_EVENTS, *ORDER_EVENTS, *ORDER_STATUS_EVENTS}

MAX_BATCH = 100
MAX_AMOUNT = Decimal(10) ** 10  # amounts are below ten billion in the currency's major unit
MAX_DWELL_SECONDS = 86_400
MAX_TAGS = 100
MAX_REVIEW_CHARACTERS = 10_000  # a long review fits; a whole essay is not a review
# EventBridge takes entries below 256 KB; an event this large is refused whole (413).
MAX_EVENT_BYTES = 256 * 1024 - 1024
# Timestamps outside these bounds are typos (or epoch zero) and break date arithmetic later.
EARLIEST = datetime(1970, 1, 1)
LATEST = datetime(2100, 1, 1)

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME_ZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}")


# ---------------------------------------------------------------------------- field types
def _whole_number(value):
    """JSON does not tell 2 from 2.0 (JSON Schema calls both integers): take 2.0 as 2."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _id_text(value):
    """Ids are strings; integers (as PHP and JS clients often send them) become strings."""
    value = _whole_number(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _blank_to_none(value):
    """An empty trait is the same as an absent one (clients send "" for unknown values)."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _amount(value) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError('must be a number or a decimal string such as "19.99"')
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError('must be a number or a decimal string such as "19.99"') from None
    if not amount.is_finite():
        raise ValueError("must be a finite amount")
    if amount < 0:
        raise ValueError("must not be negative")
    if amount >= MAX_AMOUNT:
        raise ValueError(f"must be less than {MAX_AMOUNT}")
    return amount


def _timestamp_text(value):
    if not isinstance(value, str):
        raise ValueError("must be an ISO-8601 date-time string with an offset, e.g. 2026-11-02T10:00:00Z")
    return value


def _plausible_moment(value: datetime) -> datetime:
    # The date as written (before its offset) is what is checked, so years 1 and 9999 with
    # any offset are refused without converting them (which would overflow).
    if not EARLIEST <= value.replace(tzinfo=None) < LATEST:
        raise ValueError(f"must be from {EARLIEST:%Y-%m-%d} up to {LATEST:%Y-%m-%d}")
    return value


def _phone(value):
    if not isinstance(value, str):
        return value  # pydantic names the wrong type
    normalised = e164_as_written(value)
    if normalised is None:
        raise ValueError("must be an E.164 number with its country code, e.g. +380671234567")
    return normalised


def _birthday_text(value):
    if not isinstance(value, str) or not _DATE.fullmatch(value.strip()):
        raise ValueError("must be a date string as YYYY-MM-DD")
    return value.strip()


def _plausible_birthday(value: date) -> date:
    if not date(1900, 1, 1) <= value < date(2100, 1, 1):
        raise ValueError("must be a date between 1900-01-01 and 2099-12-31")
    return value


def _tags(value):
    """A list of tags, or one comma-separated string of them (as Shopify sends tags)."""
    if isinstance(value, str):
        return [tag.strip() for tag in value.split(",") if tag.strip()]
    if isinstance(value, list):
        return [tag.strip() if isinstance(tag, str) else tag for tag in value]
    return value


@lru_cache(maxsize=1)
def _known_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _time_zone(value: str) -> str:
    known = _known_time_zones()
    # Without a time zone database (a bare runtime) the name's shape is all that is checked.
    if not _TIME_ZONE.fullmatch(value) or (known and value not in known):
        raise ValueError("must be an IANA time zone name, e.g. Europe/Kyiv")
    return value


Id = Annotated[str, BeforeValidator(_id_text), StringConstraints(min_length=1, max_length=128, pattern=r"\S")]
MessageId = Annotated[str, StringConstraints(min_length=1, max_length=256, pattern=r"\S")]
Text = Annotated[str, StringConstraints(max_length=500)]
Url = Annotated[str, StringConstraints(max_length=2048)]
Amount = Annotated[Decimal, BeforeValidator(_amount)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$"), AfterValidator(str.upper)]
Timestamp = Annotated[AwareDatetime, BeforeValidator(_timestamp_text), AfterValidator(_plausible_moment)]
Email = Annotated[str, StringConstraints(max_length=254, pattern=EMAIL_PATTERN)]
Phone = Annotated[str, BeforeValidator(_phone)]
Country = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$"), AfterValidator(str.upper)]
Birthday = Annotated[date, BeforeValidator(_birthday_text), AfterValidator(_plausible_birthday)]
Count = Annotated[StrictInt, BeforeValidator(_whole_number)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Tags = Annotated[list[Tag], BeforeValidator(_tags), Field(max_length=MAX_TAGS)]
Locale = Annotated[str, StringConstraints(max_length=35, pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$")]
TimeZone = Annotated[str, StringConstraints(max_length=64), AfterValidator(_time_zone)]


OptionalEmail = Annotated[Email | None, BeforeValidator(_blank_to_none)]
OptionalPhone = Annotated[Phone | None, BeforeValidator(_blank_to_none)]
OptionalText = Annotated[Text | None, BeforeValidator(_blank_to_none)]
OptionalBirthday = Annotated[Birthday | None, BeforeValidator(_blank_to_none)]
OptionalCountry = Annotated[Country | None, BeforeValidator(_blank_to_none)]
OptionalLocale = Annotated[Locale | None, BeforeValidator(_blank_to_none)]
OptionalTimeZone = Annotated[TimeZone | None, BeforeValidator(_blank_to_none)]
OptionalTags = Annotated[Tags | None, BeforeValidator(_blank_to_none)]  # [] clears; "" says nothing


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore")

    def problems(self, event_name: str) -> list[dict]:
        """What is wrong across fields once each field is valid (pydantic names per-field errors)."""
        return []


# ---------------------------------------------------------------------------- traits and context
class Traits(_Payload):
    """Who the customer is. ``identify`` sends them as ``traits``; every call may send them in
    ``context.traits``; ``Signed Up`` may send them in ``properties``."""

    email: OptionalEmail = None
    phone: OptionalPhone = None
    first_name: OptionalText = None
    firstName: OptionalText = None
    last_name: OptionalText = None
    lastName: OptionalText = None
    birthday: OptionalBirthday = None
    country: OptionalCountry = None
    tags: OptionalTags = None
    locale: OptionalLocale = None
    email_consent: StrictBool | None = None
    sms_consent: StrictBool | None = None
    accepts_email_marketing: StrictBool | None = None  # older form of email_consent

    def overlaid(self, other: Traits) -> Traits:
        """These traits with every trait ``other`` gives taking precedence."""
        return self.model_copy(update={name: value for name, value in other if value is not None})


class Device(_Payload):
    """Segment's ``context.device`` of a mobile app: its push token and platform."""

    token: Annotated[str, StringConstraints(min_length=1, max_length=4096)] | None = None
    type: Literal["ios", "android"] | None = None


# Segment's device types → End User Messaging Push channels.
PUSH_CHANNELS: dict[str, PushPlatform] = {"ios": "APNS", "android": "GCM"}


class Context(_Payload):
    traits: Traits = Traits()
    locale: OptionalLocale = None
    timezone: OptionalTimeZone = None
    device: Device | None = None


# ---------------------------------------------------------------------------- properties
class Product(_Payload):
    product_id: Id
    name: Text
    price: Amount
    quantity: Count = Field(default=1, ge=1, le=MAX_QUANTITY)
    url: Url | None = None
    image_url: Url | None = None

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
    """The whole cart after the change (a cart event with ``products`` replaces the cart's
    lines; the spec's single-product form is ``ProductChangeProperties``)."""

    cart_id: Id
    products: list[Product] = Field(max_length=MAX_LINES)
    currency: Currency | None = None  # None: keep the currency the cart had
    checkout_url: Url | None = None


class ProductChangeProperties(_Payload):
    """The Segment e-commerce spec's single-product ``Product Added`` / ``Product Removed``:
    the product's own fields at the top of ``properties`` (no ``products``). The line is
    named by ``product_id`` (else ``sku``); ``quantity`` is how many were added (1 when not
    given) or removed (the whole line when not given); without ``cart_id`` the change goes to
    the customer's latest open cart."""

    cart_id: Id | None = None
    product_id: Id | None = None
    sku: Id | None = None
    name: OptionalText = None
    price: Amount | None = None
    quantity: Count | None = Field(default=None, ge=1, le=MAX_QUANTITY)
    currency: Currency | None = None
    url: Url | None = None
    image_url: Url | None = None
    checkout_url: Url | None = None

    def problems(self, event_name: str) -> list[dict]:
        if self.product_id is None and self.sku is None:
            return [{"field": "properties.product_id", "problem": f"{event_name} needs a product_id or a sku (or products, the whole cart)"}]
        return []

    def to_change(self, action: CartAction) -> CartChange:
        product_id = self.product_id or self.sku
        if product_id is None:  # problems() refuses such properties before they get here
            raise ValueError("a product change names no product")
        return CartChange(
            action=action,
            product_id=product_id,
            quantity=self.quantity,
            title=self.name,
            price_cents=to_cents(self.price) if self.price is not None else None,
            url=self.url,
            image_url=self.image_url,
            to_open_cart=self.cart_id is None,
        )


def is_product_change(event_name, properties) -> bool:
    """A single-product Product Added / Removed: the spec's form, without the whole cart."""
    return isinstance(event_name, str) and event_name in PRODUCT_CHANGES and isinstance(properties, dict) and "products" not in properties


class OrderProperties(_Payload):
    order_id: Id
    cart_id: Id | None = None
    total: Amount
    currency: Currency = "USD"
    products: list[Product] = Field(default=[], max_length=MAX_LINES)
    coupon: Annotated[str, StringConstraints(max_length=100)] | None = None


class OrderStatusProperties(_Payload):
    order_id: Id
    total: Amount | None = None  # Order Refunded: the amount refunded
    currency: Currency | None = None


class ProductViewedProperties(_Payload):
    product_id: Id
    name: Text | None = None
    category: Text | None = None
    price: Amount | None = None
    url: Url | None = None
    dwell_seconds: Count | None = Field(default=None, ge=0, le=MAX_DWELL_SECONDS)


class ProductReviewedProperties(_Payload):
    """Segment's ``Product Reviewed`` (plus ``review_title`` and ``order_id``, which review
    apps know and the spec leaves out)."""

    product_id: Id
    review_id: Id
    rating: Annotated[Count, Field(ge=1, le=5)]
    review_body: Annotated[Annotated[str, StringConstraints(max_length=MAX_REVIEW_CHARACTERS)] | None, BeforeValidator(_blank_to_none)] = None
    review_title: OptionalText = None
    order_id: Id | None = None


# ---------------------------------------------------------------------------- messages
class _Message(_Payload):
    messageId: MessageId
    userId: Id | None = None
    anonymousId: Id | None = None
    timestamp: Timestamp
    context: Context = Context()

    def customer(self, traits: Traits, *, source: str) -> CustomerRef:
        """The customer this message names (its ``userId`` must be set)."""
        if self.userId is None:  # to_canonical refuses such a message before it gets here
            raise ValueError("a message without a userId names no customer")
        email_consent = Consent(granted=traits.email_consent, source=source, updated_at=self.timestamp) if traits.email_consent is not None else None
        sms_consent = Consent(granted=traits.sms_consent, source=source, updated_at=self.timestamp) if traits.sms_consent is not None else None
        return CustomerRef(
            customer_id=self.userId,
            email=traits.email,
            phone=traits.phone,
            first_name=traits.first_name or traits.firstName,
            last_name=traits.last_name or traits.lastName,
            locale=traits.locale or self.context.locale,
            time_zone=self.context.timezone,
            country=traits.country,
            birthday=traits.birthday,
            tags=traits.tags,
            accepts_email_marketing=email_consent.granted if email_consent else bool(traits.accepts_email_marketing),
            email_consent=email_consent,
            sms_consent=sms_consent,
            anonymous_id=self.anonymousId,
            push_token=self.context.device.token if self.context.device and self.context.device.type else None,
            push_platform=PUSH_CHANNELS[self.context.device.type] if self.context.device and self.context.device.token and self.context.device.type else None,
        )


class IdentifyMessage(_Message):
    type: Literal["identify"]
    traits: Traits = Traits()


class TrackMessage(_Message):
    type: Literal["track"]
    event: str = Field(min_length=1, max_length=200)
    properties: dict = {}


MESSAGE_TYPES: dict[str, type[IdentifyMessage | TrackMessage]] = {"identify": IdentifyMessage, "track": TrackMessage}


def _problems(error: ValidationError, prefix: str = "") -> list[dict]:
    problems = problems_from_validation(error)
    for problem in problems:
        problem["field"] = prefix + problem["field"]
    return problems


def _invalid(problems: list[dict]) -> InvalidPayload:
    return InvalidPayload("required fields are missing or invalid", problems)


def parse_message(raw) -> IdentifyMessage | TrackMessage:
    """One message, validated; InvalidPayload names fields relative to the message."""
    if not isinstance(raw, dict):
        raise _invalid([{"field": "", "problem": "a message must be a JSON object"}])
    kind = raw.get("type")
    model = MESSAGE_TYPES.get(kind) if isinstance(kind, str) else None
    if model is None:
        raise _invalid([{"field": "type", "problem": "must be 'identify' or 'track'"}])
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        raise _invalid(_problems(error)) from error


class _Envelope(TypedDict):
    """The fields every canonical event of one message shares."""

    event_id: str
    store_id: str
    occurred_at: datetime
    source: str


def _properties[PropertiesT: _Payload](model: type[PropertiesT], message: TrackMessage, event_name: str, problems: list[dict]) -> PropertiesT:
    """The message's properties as ``model``. InvalidPayload names every problem at once: those
    of the message found so far, then the properties' own (per field, else across fields)."""
    try:
        properties = model.model_validate(message.properties)
    except ValidationError as error:
        raise _invalid(problems + _problems(error, "properties.")) from error
    problems = problems + properties.problems(event_name)
    if problems:
        raise _invalid(problems)
    return properties


def to_canonical(message: IdentifyMessage | TrackMessage, *, store_id: str) -> CanonicalEvent | None:
    """The canonical event of one message; None for an event name this version does not act
    on (accepted and ignored). InvalidPayload names fields relative to the message."""
    event_name = "identify" if isinstance(message, IdentifyMessage) else message.event
    if isinstance(message, TrackMessage) and event_name not in KNOWN_EVENTS:
        return None
    problems: list[dict] = []
    if event_name == PRODUCT_VIEWED:
        if not message.userId and not message.anonymousId:
            problems.append({"field": "userId", "problem": "Product Viewed needs a userId or an anonymousId"})
    elif not message.userId:
        problems.append({"field": "userId", "problem": f"required for {event_name} (an anonymousId alone names no customer)"})

    source = f"api:{event_name}"
    common = _Envelope(event_id=message.messageId, store_id=store_id, occurred_at=message.timestamp, source=source)
    traits = message.context.traits
    if isinstance(message, IdentifyMessage):
        if problems:
            raise _invalid(problems)
        return CustomerUpdated(**common, customer=message.customer(traits.overlaid(message.traits), source=source))
    if event_name == SIGNED_UP:
        signed_up = _properties(Traits, message, event_name, problems)
        return CustomerUpdated(**common, customer=message.customer(traits.overlaid(signed_up), source=source), registered=True)
    if event_name == PRODUCT_VIEWED:
        viewed = _properties(ProductViewedProperties, message, event_name, problems)
        return ProductViewed(
            **common,
            customer=message.customer(traits, source=source) if message.userId else None,
            anonymous_id=message.anonymousId,
            product_id=viewed.product_id,
            title=viewed.name,
            category=viewed.category,
            price_cents=to_cents(viewed.price) if viewed.price is not None else None,
            url=viewed.url,
            dwell_seconds=viewed.dwell_seconds,
        )
    if event_name in PRODUCT_CHANGES and is_product_change(event_name, message.properties):
        change = _properties(ProductChangeProperties, message, event_name, problems)
        return CartUpdated(
            **common,
            customer=message.customer(traits, source=source),
            # Without a cart_id, the id of the cart this change starts if the customer has none open.
            cart_id=change.cart_id or message.messageId,
            currency=change.currency,
            lines=[],
            recovery_url=change.checkout_url,
            change=change.to_change(PRODUCT_CHANGES[event_name]),
        )
    if event_name in CART_EVENTS:
        cart = _properties(CartProperties, message, event_name, problems)
        return CartUpdated(
            **common,
            customer=message.customer(traits, source=source),
            cart_id=cart.cart_id,
            currency=cart.currency,
            lines=[product.to_line() for product in cart.products],
            recovery_url=cart.checkout_url,
        )
    if event_name in ORDER_EVENTS:
        order = _properties(OrderProperties, message, event_name, problems)
        return OrderPlaced(
            **common,
            customer=message.customer(traits, source=source),
            order_id=order.order_id,
            cart_id=order.cart_id,
            currency=order.currency,
            total_cents=to_cents(order.total),
            lines=[product.to_line() for product in order.products],
            coupon_codes=[order.coupon] if order.coupon else [],
        )
    if event_name == PRODUCT_REVIEWED:
        review = _properties(ProductReviewedProperties, message, event_name, problems)
        return ReviewSubmitted(
            **common,
            customer=message.customer(traits, source=source),
            product_id=review.product_id,
            order_id=review.order_id,
            rating=review.rating,
            review_id=review.review_id,
            title=review.review_title,
            body=review.review_body,
        )
    status_change = _properties(OrderStatusProperties, message, event_name, problems)
    status = ORDER_STATUS_EVENTS[event_name]
    return OrderStatusChanged(
        **common,
        type=status,
        order_id=status_change.order_id,
        customer=message.customer(traits, source=source),
        refunded_cents=to_cents(status_change.total) if status == "order_refunded" and status_change.total is not None else None,
    )


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _unencodable(payload) -> str | None:
    """The path of the first string (or key) that UTF-8 cannot encode: a lone surrogate
    such as ``"\\ud800"`` is valid JSON but no event or DynamoDB item can hold it.
    Iterative: JSON nested thousands deep must not exhaust the stack."""
    pending = [(payload, "")]
    while pending:
        value, path = pending.pop()
        if isinstance(value, str):
            if not _encodable(value):
                return path or "(body)"
        elif isinstance(value, dict):
            children = []
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                if not _encodable(key):
                    return child.encode("utf-8", "backslashreplace").decode("utf-8")
                children.append((item, child))
            pending.extend(reversed(children))
        elif isinstance(value, list):
            pending.extend(reversed([(item, f"{path}.{index}" if path else str(index)) for index, item in enumerate(value)]))
    return None


def reject_unencodable(payload) -> None:
    """InvalidPayload naming the first string UTF-8 cannot encode (see ``_unencodable``)."""
    bad_text = _unencodable(payload)
    if bad_text:
        raise _invalid([{"field": bad_text, "problem": "contains an unpaired UTF-16 surrogate (not valid Unicode text)"}])


def _event_size(event) -> int | None:
    try:
        return len(event.model_dump_json().encode("utf-8"))
    except PydanticSerializationError:
        return None


def check_batch(raw_messages, *, most: int, noun: str) -> None:
    """A ``batch`` is a non-empty list of at most ``most`` items (400 naming ``batch``): the
    one shape check of every route that takes Segment's batches (this API, the browser's)."""
    if not isinstance(raw_messages, list) or not raw_messages:
        raise InvalidPayload("batch must be a non-empty list", [{"field": "batch", "problem": "must be a non-empty list"}])
    if len(raw_messages) > most:
        raise InvalidPayload(f"a batch holds at most {most} {noun}", [{"field": "batch", "problem": f"holds at most {most} {noun}"}])


def parse_messages(raw_messages, *, store_id: str, batched: bool, acknowledged: Callable[[dict], bool] | None = None) -> Parsed:
    """Canonical events of a list of raw messages (the batch, or one message with ``batched``
    False): the one place every message sent to Encore in Segment's shape is validated.
    Messages ``acknowledged`` says yes to are listed as ignored, unvalidated (the Segment
    routes take ``page``, ``screen``, ``alias`` and ``group`` calls and act on none of them).
    InvalidPayload names every bad field (``batch.1.properties.order_id``); one bad message
    rejects the whole request."""
    check_batch(raw_messages, most=MAX_BATCH, noun="messages")
    parsed = Parsed()
    problems: list[dict] = []
    too_large: list[dict] = []
    for index, raw in enumerate(raw_messages):
        prefix = f"batch.{index}." if batched else ""
        if acknowledged is not None and isinstance(raw, dict) and acknowledged(raw):
            if isinstance(raw.get("messageId"), str) and raw["messageId"].strip():
                parsed.ignored.append(raw["messageId"])
            continue
        try:
            message = parse_message(raw)
            event = to_canonical(message, store_id=store_id)
        except InvalidPayload as error:
            problems += [{**problem, "field": (prefix + problem["field"]).rstrip(".") or "(body)"} for problem in error.problems]
            continue
        except ValidationError as error:  # a canonical model stricter than the checks above
            problems += [{**problem, "field": prefix.rstrip(".") or "(body)"} for problem in _problems(error)]
            continue
        if event is None:
            parsed.ignored.append(message.messageId)
            continue
        size = _event_size(event)
        if size is None or size > MAX_EVENT_BYTES:
            too_large.append({"field": prefix.rstrip(".") or "(body)", "problem": f"becomes an event larger than {MAX_EVENT_BYTES} bytes"})
            continue
        parsed.events.append(event)
    if problems:
        raise _invalid(problems)
    if too_large:
        raise PayloadTooLarge("a message is too large for one event", too_large)
    return parsed


# ---------------------------------------------------------------------------- platform
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
        reject_unencodable(payload)
        batched = "batch" in payload
        return parse_messages(payload["batch"] if batched else [payload], store_id=store_id, batched=batched)


GENERIC_API = GenericApi()
