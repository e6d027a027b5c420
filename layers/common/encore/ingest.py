"""Ingest: verify, parse, validate, normalise and dedupe a webhook, then publish it.

Order matters: nothing is written until the whole request has proven valid, so a rejected
request changes no state; the dedupe record is written before publishing and removed if
publishing fails, so the platform's retry is accepted again and nothing is lost.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable, Mapping

from pydantic import ValidationError
from pynamodb.exceptions import PutError

from encore import signatures
from encore.adapters.bus import EventPublisher
from encore.adapters.secrets import StoreParameters
from encore.clock import utcnow
from encore.errors import InvalidPayload, MalformedPayload, UnknownStore, problems_from_validation
from encore.events import CartUpdated, OrderPlaced
from encore.models import ProcessedEvent
from encore.observability import logger
from encore.platforms import generic, shopify

DEDUPE_RETENTION = timedelta(days=30)  # longer than any platform retries a delivery


@dataclass(frozen=True)
class WebhookRequest:
    headers: Mapping[str, str]  # lower-case names, as HTTP API payload 2.0 gives them
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class IngestResult:
    accepted: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def as_body(self) -> dict:
        return {"accepted": self.accepted, "duplicates": self.duplicates, "ignored": self.ignored}


def _secret(parameters: StoreParameters, store_id: str | None) -> str:
    secret = parameters.webhook_secret(store_id) if store_id else None
    if not secret:
        raise UnknownStore("unknown store" if store_id else "the request names no store")
    return secret


def _json_object(body: bytes) -> dict:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MalformedPayload(f"body is not valid JSON: {error}") from error
    if not isinstance(payload, dict):
        raise MalformedPayload("body must be a JSON object")
    return payload


def _validated(build: Callable[[], CartUpdated | OrderPlaced | None], prefix: str = ""):
    try:
        return build()
    except ValidationError as error:
        problems = problems_from_validation(error)
        for problem in problems:
            problem["field"] = prefix + problem["field"]
        raise InvalidPayload("required fields are missing or invalid", problems) from error
    except ValueError as error:
        raise InvalidPayload(str(error)) from error


def accept_shopify(request: WebhookRequest, *, parameters: StoreParameters, publisher: EventPublisher) -> IngestResult:
    shop_domain = request.header("X-Shopify-Shop-Domain")
    store_id = shopify.store_id_from_shop_domain(shop_domain) if shop_domain else None
    signatures.verify(signatures.sign_base64(_secret(parameters, store_id), request.body), request.header("X-Shopify-Hmac-Sha256"))
    topic = request.header("X-Shopify-Topic") or ""
    webhook_id = request.header("X-Shopify-Webhook-Id")
    payload = _json_object(request.body)
    if not webhook_id:
        raise InvalidPayload("missing X-Shopify-Webhook-Id header", [{"field": "X-Shopify-Webhook-Id", "problem": "required"}])
    normalise = shopify.TOPICS.get(topic)
    if normalise is None:
        # Platforms retry any non-2xx: an unknown topic is acknowledged and ignored.
        logger.info("ignored shopify topic", extra={"topic": topic})
        return IngestResult(ignored=[webhook_id])
    event = _validated(lambda: normalise(payload, store_id=store_id, event_id=webhook_id, topic=topic))
    return _dedupe_and_publish([event], publisher)


def accept_generic(request: WebhookRequest, *, parameters: StoreParameters, publisher: EventPublisher) -> IngestResult:
    store_id = request.header("X-Encore-Store")
    signatures.verify(signatures.sign_hex(_secret(parameters, store_id), request.body), request.header("X-Encore-Signature"))
    payload = _json_object(request.body)
    raw_messages = payload.get("batch", [payload])
    if not isinstance(raw_messages, list) or not raw_messages:
        raise InvalidPayload("batch must be a non-empty list", [{"field": "batch", "problem": "must be a non-empty list"}])
    if len(raw_messages) > generic.MAX_BATCH:
        raise InvalidPayload(f"a batch holds at most {generic.MAX_BATCH} messages")
    events, ignored = [], []
    for index, raw in enumerate(raw_messages):
        prefix = f"batch.{index}." if "batch" in payload else ""
        message = _validated(lambda: generic.TrackMessage.model_validate(raw), prefix)
        event = _validated(lambda: generic.to_canonical(message, store_id=store_id), prefix + "properties.")
        if event is None:
            ignored.append(message.messageId)
        else:
            events.append(event)
    result = _dedupe_and_publish(events, publisher)
    result.ignored.extend(ignored)
    return result


def _dedupe_and_publish(events: list[CartUpdated | OrderPlaced], publisher: EventPublisher) -> IngestResult:
    result = IngestResult()
    fresh: list[tuple[ProcessedEvent, CartUpdated | OrderPlaced]] = []
    now = utcnow()
    for event in events:
        pk, sk = ProcessedEvent.key(event.store_id, event.event_id)
        record = ProcessedEvent(pk, sk, received_at=now, event_type=event.type, expires_at=now + DEDUPE_RETENTION)
        try:
            record.save(condition=ProcessedEvent.pk.does_not_exist())
        except PutError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            result.duplicates.append(event.event_id)
            continue
        fresh.append((record, event))
    try:
        publisher.publish([event for _, event in fresh])
    except Exception:
        for record, _ in fresh:
            record.delete()
        raise
    result.accepted.extend(event.event_id for _, event in fresh)
    logger.info("webhook ingested", extra={"accepted": len(result.accepted), "duplicates": len(result.duplicates)})
    return result
