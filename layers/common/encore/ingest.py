"""Ingest: authenticate, parse, validate, normalise and dedupe a webhook, then publish it.

Each platform (``encore.platforms.*``) knows how its requests name the store, how they are
signed and how its payloads become canonical events; everything else is common and lives
here. Order matters: nothing is written until the whole request has proven valid, so a
rejected request changes no state.

The dedupe record is an idempotency record: one conditional put (``in_progress``, with this
request's attempt id) before publishing, one update (``done``) after. A put applied but
answered ConditionalCheckFailed on the SDK's retry is recognised as this request's own; a
record left ``in_progress`` by a request that died is taken over once its time is up (the
Lambda's remaining time); while another request holds it, the answer is 409 so the platform
sends it again. If publishing fails the records are removed, so the retry is accepted.
Powertools Idempotency keeps the same states, but cannot tell its own applied put from
another request's (its record has no owner) and would answer "in progress" until expiry:
a platform that never retries (WooCommerce) would lose the event.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from pydantic import ValidationError

from encore import signals
from encore.adapters.bus import EventPublisher
from encore.adapters.secrets import StoreParameters
from encore.clock import utcnow
from encore.errors import (
    ClientError,
    InvalidPayload,
    MalformedPayload,
    PayloadTooLarge,
    UnknownStore,
    UnsupportedMediaType,
    problems_from_validation,
)
from encore.events import CanonicalEvent
from encore.observability import logger
from encore.storage.processed_events import DedupeClaim, DynamoProcessedEvents, ProcessedEvents

DEDUPE_RETENTION = timedelta(days=30)  # longer than any platform retries a delivery
IN_PROGRESS_FOR = timedelta(seconds=30)  # the ingest function's timeout: a dead request's record is free after it
MAX_BODY_BYTES = 2 * 1024 * 1024  # far above any real order payload, far below Lambda's 6 MB


@dataclass(frozen=True)
class WebhookRequest:
    """An HTTP request to Encore's API: a platform's webhook, a generic API call, or the
    browser's storefront events (whose public key is the ``public_key`` path parameter)."""

    headers: Mapping[str, str]  # lower-case names, as HTTP API payload 2.0 gives them
    body: bytes
    path_parameters: Mapping[str, str] = field(default_factory=dict)
    method: str = "POST"

    @classmethod
    def from_http_api(cls, event: Mapping) -> WebhookRequest:
        """The request an HTTP API (payload format 2.0) event carries."""
        body = event.get("body") or ""
        return cls(
            headers={name.lower(): value for name, value in (event.get("headers") or {}).items()},
            # The bytes the sender signed: never decoded before the signature is checked.
            body=base64.b64decode(body) if event.get("isBase64Encoded") else body.encode("utf-8"),
            path_parameters=event.get("pathParameters") or {},
            method=(event.get("requestContext") or {}).get("http", {}).get("method", "POST"),
        )

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def media_type(self) -> str:
        return (self.header("content-type") or "").split(";")[0].strip().lower()


@dataclass
class Parsed:
    """What a platform found in a request: canonical events, and ids it acknowledges but
    does not act on (unknown topics, event names this version ignores)."""

    events: list = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


@dataclass
class IngestResult:
    accepted: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    in_progress: list[str] = field(default_factory=list)  # another request is publishing these right now
    status: int = 202

    def as_body(self) -> dict:
        body = {"accepted": self.accepted, "duplicates": self.duplicates, "ignored": self.ignored}
        return {**body, "in_progress": self.in_progress} if self.in_progress else body


class Platform(Protocol):
    name: str

    def handshake(self, request: WebhookRequest) -> IngestResult | None:
        """A platform's set-up ping (answered before anything else), or None."""

    def store_id(self, request: WebhookRequest, parameters: StoreParameters) -> str | None:
        """Which store sent this; None when the request names no known store."""

    def verify(self, request: WebhookRequest, secret: str) -> None:
        """Raise SignatureMismatch unless the raw body carries the store's signature."""

    def parse(self, request: WebhookRequest, payload: dict, store_id: str) -> Parsed:
        """Canonical events from a JSON object; raise InvalidPayload naming bad fields."""


def json_object(body: bytes) -> dict:
    try:
        payload = json.loads(body)
    except RecursionError as error:
        raise MalformedPayload("body is not valid JSON: nested too deeply") from error
    except (UnicodeDecodeError, ValueError) as error:  # JSONDecodeError, and integers over 4300 digits
        raise MalformedPayload(f"body is not valid JSON: {error}") from error
    if not isinstance(payload, dict):
        raise MalformedPayload("body must be a JSON object")
    # Escaped lone surrogates ("\ud800") parse, but no UTF-8 event or item can carry them.
    bad = _not_unicode(payload)
    if bad:
        raise InvalidPayload("text that is not valid Unicode", [{"field": path, "problem": "not valid Unicode"} for path in bad])
    return payload


def _not_unicode(payload: dict) -> list[str]:
    """Paths of strings that cannot be UTF-8 (iterative: bodies may nest thousands deep)."""
    bad: list[str] = []
    pending: list[tuple[str, object]] = [("", payload)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                bad.append(path or "(body)")
        elif isinstance(value, dict):
            pending.extend((f"{path}.{key}" if path else str(key), item) for key, item in value.items())
        elif isinstance(value, list):
            pending.extend((f"{path}.{index}" if path else str(index), item) for index, item in enumerate(value))
    return sorted(bad)


def validated(build: Callable, prefix: str = ""):
    """Run a normaliser; turn pydantic's errors into InvalidPayload naming each field."""
    try:
        return build()
    except ValidationError as error:
        problems = problems_from_validation(error)
        for problem in problems:
            problem["field"] = prefix + problem["field"]
        raise InvalidPayload("required fields are missing or invalid", problems) from error
    except ValueError as error:
        raise InvalidPayload(str(error)) from error


def accept(
    platform: Platform,
    request: WebhookRequest,
    *,
    parameters: StoreParameters,
    publisher: EventPublisher,
    in_progress_for: timedelta = IN_PROGRESS_FOR,
    storage: ProcessedEvents | None = None,
) -> IngestResult:
    """Verify, parse, dedupe and publish one request; counted per platform (encore.signals).
    The dedupe records are on DynamoDB unless ``storage`` says otherwise (domain tests)."""
    try:
        result = _accept(
            platform, request, parameters=parameters, publisher=publisher, in_progress_for=in_progress_for, storage=storage or DynamoProcessedEvents()
        )
    except ClientError as error:
        signals.count("EventsRejected", platform.name, reason=error.reason, status=error.status)
        raise
    count_taken(platform.name, result)
    return result


def count_taken(source: str, result: IngestResult) -> None:
    signals.count("EventsAccepted", source, len(result.accepted))
    signals.count("EventsDuplicate", source, len(result.duplicates))


def _accept(
    platform: Platform, request: WebhookRequest, *, parameters: StoreParameters, publisher: EventPublisher, in_progress_for: timedelta, storage: ProcessedEvents
) -> IngestResult:
    handshake = platform.handshake(request)
    if handshake is not None:
        return handshake
    if len(request.body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"body is larger than {MAX_BODY_BYTES} bytes")
    store_id = platform.store_id(request, parameters)
    if not store_id:
        raise UnknownStore("the request names no store")
    secret = parameters.webhook_secret(store_id)
    if not secret:
        raise UnknownStore("unknown store")
    platform.verify(request, secret)
    if request.media_type != "application/json":
        raise UnsupportedMediaType(f"content type must be application/json, not {request.media_type or 'missing'}")
    parsed = platform.parse(request, json_object(request.body), store_id)
    result = _dedupe_and_publish(parsed.events, publisher, in_progress_for, storage)
    result.ignored.extend(parsed.ignored)
    if result.in_progress:
        result.status = 409  # not ours to finish: the platform's retry finds it done (or free)
    elif not result.accepted and not result.duplicates:
        result.status = 200  # nothing this version acts on: acknowledged, nothing queued
    return result


def publish_once(
    events: list, publisher: EventPublisher, in_progress_for: timedelta = IN_PROGRESS_FOR, *, storage: ProcessedEvents | None = None
) -> IngestResult:
    """Dedupe and publish canonical events another entry point already validated (the
    browser tracking endpoint, encore.tracking): the same records and states as webhooks."""
    result = _dedupe_and_publish(events, publisher, in_progress_for, storage or DynamoProcessedEvents())
    count_taken("browser", result)
    return result


def _dedupe_and_publish(events: list, publisher: EventPublisher, in_progress_for: timedelta, storage: ProcessedEvents) -> IngestResult:
    result = IngestResult()
    fresh: list[tuple[DedupeClaim, CanonicalEvent]] = []
    now = utcnow()
    attempt = uuid.uuid4().hex
    seen: set[str] = set()
    for event in events:
        if event.event_id in seen:
            # The same message twice in one batch: this request's own record would pass for
            # "ours" (same attempt), so the repeat is told apart here.
            result.duplicates.append(event.event_id)
            continue
        seen.add(event.event_id)
        claim = DedupeClaim(
            store_id=event.store_id,
            event_id=event.event_id,
            event_type=event.type,
            received_at=now,
            expires_at=now + DEDUPE_RETENTION,
            attempt=attempt,
            in_progress_until=now + in_progress_for,
        )
        if storage.record_dedupe_in_progress(claim):
            fresh.append((claim, event))
            continue
        held_elsewhere = storage.in_progress_elsewhere(event.store_id, event.event_id)
        (result.in_progress if held_elsewhere else result.duplicates).append(event.event_id)
    try:
        publisher.publish([event for _, event in fresh])
    except Exception:
        for claim, _ in fresh:
            storage.release_dedupe(claim)
        raise
    for claim, _ in fresh:
        _mark_done(claim, storage)
    result.accepted.extend(event.event_id for _, event in fresh)
    logger.info("webhook ingested", extra={"accepted": len(result.accepted), "duplicates": len(result.duplicates), "in_progress": len(result.in_progress)})
    return result


def _mark_done(claim: DedupeClaim, storage: ProcessedEvents) -> None:
    """The event is on the bus: nothing may publish it again. A failure here must not turn
    the published event into a 5xx (the platform would re-send it and, once the record's
    time is up, it would be published twice): try again, then leave it to the expiry."""
    for _ in range(3):
        try:
            # Only while it is still ours (``record_dedupe_done`` answers False otherwise): an
            # erasure the event caused (shop/redact) may have deleted it already, and marking
            # it done must not bring it back.
            storage.record_dedupe_done(claim)
            return
        except Exception:  # noqa: BLE001 (throttling, a timeout: the next try usually passes)
            continue
    logger.warning("dedupe record left in progress", extra={"event_type": claim.event_type})
