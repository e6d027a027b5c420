"""Segment's HTTP Tracking API, so server-side Segment and RudderStack SDKs work unchanged.

``POST /v1/batch`` (``{"batch": [...], "sentAt": ..., "context"?: ..., "writeKey"?: ...}``),
``/v1/track`` and ``/v1/identify`` (one message; ``type`` may be left out), and ``/v1/page``,
``/v1/screen``, ``/v1/alias``, ``/v1/group`` (acknowledged, not acted on; in a batch too).
What this module does is only what makes Segment's requests differ from the generic events
API (``encore.platforms.generic``, which validates and maps every message, one home):

* **Authentication.** The write key is the store's API key, sent as the HTTP Basic user name
  with an empty password (``Authorization: Basic base64("<key>:")``) or as ``writeKey`` in the
  body (some clients); both, when both are sent, must agree. Segment's clients cannot sign a
  body, so these routes take the key alone: it is a server-side secret, trusted like the
  generic API's ``Bearer`` key. Only a full API key (``{prefix}/api-keys/<sha256>``) names a
  store here; a browser-safe public key (the storefront tracking endpoint's) is never stored
  there, so it is refused (401) like any unknown key.
* **gzip.** ``Content-Encoding: gzip`` bodies are decompressed with a cap on the output (a
  zip bomb is refused with 413 after at most the cap is inflated).
* **Segment's limits.** 500 KB per batch (the decompressed body), 32 KB per message (and per
  body on the single-message routes): 413 naming the limit. At most 100 messages per batch
  (the generic limit; Segment's own SDKs send 100 by default).
* **Timestamps.** ``timestamp`` as sent; without it, ``originalTimestamp`` corrected for the
  sender's clock skew (``sentAt`` against the time received), as Segment computes it; without
  either, the time received.
* **The e-commerce spec's own shapes.** ``Checkout Started`` without ``cart_id`` takes its
  ``order_id`` as the cart's id (the spec names the order being checked out); ``Order
  Completed`` without ``total`` takes ``revenue``; a single-product ``Product Added`` /
  ``Product Removed`` (no ``products``) adds or removes that line of the customer's cart
  (the generic API maps it, one home). Sent by a visitor alone (no ``userId``) it is
  acknowledged and not acted on (Encore keeps customers' carts), rather than a 400 that
  would make the SDK drop its whole batch.
* **Answers.** 200 when accepted (RudderStack's SDK takes only 200 as success, Segment's any
  2xx), with the generic body (``accepted`` / ``duplicates`` / ``ignored``); an error body
  adds Segment's ``code`` and ``message`` (what the SDKs log). Segment's SDKs drop a batch on
  400/401/413/415 and retry 429 and 5xx: a message another request is publishing right now
  (the generic API's 409, which they would drop) is answered 503 with ``Retry-After``.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from datetime import datetime

from encore.clock import utcnow
from encore.errors import ClientError, InvalidPayload, MalformedPayload, PayloadTooLarge, UnknownStore, UnsupportedMediaType
from encore.ingest import IngestResult, Parsed, WebhookRequest
from encore.platforms.generic import is_product_change, parse_messages, reject_unencodable

KB = 1024
MAX_BATCH_BYTES = 500 * KB  # Segment's limit per batch request (decompressed)
MAX_MESSAGE_BYTES = 32 * KB  # Segment's limit per message, and per body of a single call
ACTED_ON = ("track", "identify")
ACKNOWLEDGED = frozenset({"page", "screen", "alias", "group"})  # Segment calls Encore has no use for
CALLS = ("batch", *ACTED_ON, *sorted(ACKNOWLEDGED))
RETRY_AFTER_SECONDS = 5  # another request holds the message for at most the ingest function's run

# Segment's error "code" per status (the SDKs log "[Segment] <code>: <message> (<status>)").
_CODES = {400: "invalid_request", 401: "unauthorized", 413: "payload_too_large", 415: "unsupported_media_type"}


def _kb(size: int) -> str:
    return f"{size // KB} KB"


# ---------------------------------------------------------------------------- the request
def body_limit(call: str) -> int:
    return MAX_BATCH_BYTES if call == "batch" else MAX_MESSAGE_BYTES


def _limit_reason(call: str) -> str:
    if call == "batch":
        return f"body is larger than {_kb(MAX_BATCH_BYTES)} (Segment's batch limit)"
    return f"body is larger than {_kb(MAX_MESSAGE_BYTES)} (Segment's limit per message)"


def gunzip(data: bytes, limit: int) -> bytes:
    """The decompressed bytes of one or more gzip members, never inflating more than
    ``limit`` + 1 bytes: PayloadTooLarge past the limit, MalformedPayload for bad gzip."""
    out = bytearray()
    while data:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip header and trailer
        try:
            out += inflater.decompress(data, limit + 1 - len(out))
        except zlib.error as error:
            raise MalformedPayload(f"body is not valid gzip: {error}") from error
        if len(out) > limit:
            raise PayloadTooLarge(f"decompressed body is larger than {_kb(limit)}")
        if not inflater.eof:
            raise MalformedPayload("body is not valid gzip: it ends before the compressed data does")
        data = inflater.unused_data
    return bytes(out)


def decoded(request: WebhookRequest, call: str) -> WebhookRequest:
    """The request with its body as the JSON the client wrote: gzip undone, Segment's size
    limit applied (before and after decompression)."""
    limit = body_limit(call)
    if len(request.body) > limit:
        raise PayloadTooLarge(_limit_reason(call))
    encoding = (request.header("content-encoding") or "identity").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        try:
            body = gunzip(request.body, limit)
        except PayloadTooLarge as error:
            raise PayloadTooLarge(_limit_reason(call) + " once decompressed") from error
    elif encoding in ("identity", ""):
        body = request.body
    else:
        raise UnsupportedMediaType(f"content encoding must be gzip or none, not {encoding}")
    headers = {name: value for name, value in request.headers.items() if name != "content-encoding"}
    return WebhookRequest(headers=headers, body=body, path_parameters=request.path_parameters)


def _basic_user(header: str) -> str:
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "basic":
        raise UnknownStore("Authorization must be HTTP Basic with the write key as user name and an empty password")
    try:
        user, _, _password = base64.b64decode(credentials.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError) as error:
        raise UnknownStore("Authorization: Basic credentials are not base64 of '<write key>:'") from error
    if not user.strip():
        raise UnknownStore("the write key (the HTTP Basic user name) is empty")
    return user.strip()


def _body_write_key(body: bytes) -> str | None:
    try:
        payload = json.loads(body)
    except (RecursionError, UnicodeDecodeError, ValueError):
        return None  # the body's own problem is reported once the caller is known
    key = payload.get("writeKey") if isinstance(payload, dict) else None
    return key.strip() if isinstance(key, str) and key.strip() else None


def write_key(request: WebhookRequest) -> str | None:
    """The write key: the HTTP Basic user name, else ``writeKey`` in the body; None when the
    request carries neither. UnknownStore (401) when they disagree or the header is not Basic."""
    header = request.header("authorization")
    from_header = _basic_user(header) if header and header.strip() else None
    from_body = _body_write_key(request.body)
    if from_header and from_body and from_body != from_header:
        raise UnknownStore("the writeKey in the body is not the write key of the Authorization header")
    return from_header or from_body


# ---------------------------------------------------------------------------- the messages
def _moment(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def _with_timestamp(message: dict, sent_at, received_at: datetime) -> dict:
    """Segment's rule for when it happened: ``timestamp`` as sent; else ``originalTimestamp``
    moved by the sender's clock skew (``sentAt`` is the sender's clock at sending); else now."""
    if message.get("timestamp") is not None:
        return message
    original = message.get("originalTimestamp")
    if original is None:
        return {**message, "timestamp": received_at.isoformat()}
    original_moment, sent_moment = _moment(original), _moment(message.get("sentAt", sent_at))
    if original_moment and sent_moment:
        return {**message, "timestamp": (received_at - (sent_moment - original_moment)).isoformat()}
    return {**message, "timestamp": original}  # validated (and named) as the timestamp it stands for


def _acknowledged(message: dict) -> bool:
    """Calls taken and not acted on: page, screen, alias, group; and the spec's single-product
    ``Product Added`` / ``Product Removed`` of a visitor alone (no ``userId``): Encore keeps
    the carts of customers, and a 400 would drop the SDK's whole batch. With a ``userId``
    they change that customer's cart."""
    kind = message.get("type")
    if isinstance(kind, str) and kind in ACKNOWLEDGED:
        return True
    # Any JSON at all until the message is validated.
    return kind == "track" and message.get("userId") in (None, "") and is_product_change(message.get("event"), message.get("properties"))


def _spec_shaped(message: dict) -> dict:
    """The Segment e-commerce spec's own shapes, in the generic API's terms: its ``Checkout
    Started`` names the order being checked out (``order_id``), not a cart, so that id is the
    cart's; its ``Order Completed`` may give ``revenue`` without ``total``."""
    properties = message.get("properties")
    if message.get("type") != "track" or not isinstance(properties, dict):
        return message
    event = message.get("event")
    if event == "Checkout Started" and properties.get("cart_id") is None and properties.get("order_id") is not None:
        return {**message, "properties": {**properties, "cart_id": properties["order_id"]}}
    if event == "Order Completed" and properties.get("total") is None and properties.get("revenue") is not None:
        return {**message, "properties": {**properties, "total": properties["revenue"]}}
    return message


def _with_context(message: dict, shared: dict) -> dict:
    if not shared:
        return message
    own = message.get("context", {})
    return {**message, "context": {**shared, **own}} if isinstance(own, dict) else message  # a bad context is named by validation


def _too_large(messages: list, batched: bool) -> list[dict]:
    too_large = []
    for index, message in enumerate(messages):
        # Measured compact and unescaped: never more than the SDKs' own measure of the message.
        size = len(json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass"))
        if size > MAX_MESSAGE_BYTES:
            field = f"batch.{index}" if batched else "(body)"
            too_large.append({"field": field, "problem": f"is {size} bytes, more than {_kb(MAX_MESSAGE_BYTES)} (Segment's limit per message)"})
    return too_large


class SegmentApi:
    """One Segment call (``batch``, ``track``, ...) for ``encore.ingest.accept``; the request
    reaches it through ``decoded`` (gzip undone, size limits applied)."""

    name = "segment"

    def __init__(self, call: str):
        if call not in CALLS:
            raise ValueError(f"not a Segment call: {call}")
        self.call = call

    def handshake(self, request: WebhookRequest):
        return None

    def store_id(self, request: WebhookRequest, parameters) -> str | None:
        key = write_key(request)
        if not key:
            raise UnknownStore("no write key: send the store's API key as the HTTP Basic user name")
        store_id = parameters.store_for_api_key(key)
        if not store_id:
            raise UnknownStore("the write key is not the API key of any store")
        return store_id

    def verify(self, request: WebhookRequest, secret: str) -> None:
        """Nothing to verify: Segment's clients do not sign, the write key authenticated."""

    def parse(self, request: WebhookRequest, payload: dict, store_id: str) -> Parsed:
        reject_unencodable(payload)
        received_at = utcnow()
        if self.call != "batch":
            kind = payload.get("type", self.call)
            if kind != self.call:
                raise InvalidPayload(
                    f"a {kind!r} call sent to /v1/{self.call}", [{"field": "type", "problem": f"must be '{self.call}' on /v1/{self.call}, or left out"}]
                )
            message = _spec_shaped(_with_timestamp({**payload, "type": self.call}, None, received_at))
            too_large = _too_large([message], batched=False)
            if too_large:
                raise PayloadTooLarge(f"a message is larger than {_kb(MAX_MESSAGE_BYTES)}", too_large)
            return parse_messages([message], store_id=store_id, batched=False, acknowledged=_acknowledged)

        raw = payload.get("batch")
        if not isinstance(raw, list) or not raw:
            raise InvalidPayload("batch must be a non-empty list", [{"field": "batch", "problem": "must be a non-empty list"}])
        # The batch's own context is merged into each message's (the message's fields win).
        context = payload.get("context")
        shared = context if isinstance(context, dict) else {}
        messages = [
            _spec_shaped(_with_timestamp(_with_context(message, shared), payload.get("sentAt"), received_at)) if isinstance(message, dict) else message
            for message in raw
        ]
        too_large = _too_large(messages, batched=True)
        if too_large:
            raise PayloadTooLarge(f"a message is larger than {_kb(MAX_MESSAGE_BYTES)}", too_large)
        return parse_messages(messages, store_id=store_id, batched=True, acknowledged=_acknowledged)


SEGMENT_CALLS = {call: SegmentApi(call) for call in CALLS}


# ---------------------------------------------------------------------------- the answer
def answer(result: IngestResult) -> tuple[int, dict[str, str]]:
    """Status and extra headers for an accepted request, as Segment's clients read them."""
    if result.in_progress:
        return 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return 200, {}


def problem(error: ClientError) -> dict:
    """The problem body of the generic API plus Segment's ``code`` and ``message``."""
    return {
        "title": error.reason,
        "status": error.status,
        "invalid_fields": error.problems,
        "code": _CODES.get(error.status, "invalid_request"),
        "message": error.reason,
    }
