"""HTTP API → canonical events on the bus. Verifies signatures on the raw body; 202 when accepted."""

import json
from datetime import timedelta

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext

from encore.adapters.bus import EventBridgePublisher
from encore.adapters.secrets import SsmStoreParameters
from encore.errors import ClientError
from encore.ingest import WebhookRequest, accept
from encore.observability import logger, tracer
from encore.platforms import segment
from encore.platforms.generic import GENERIC_API
from encore.platforms.shopify import SHOPIFY
from encore.platforms.woocommerce import WOOCOMMERCE
from encore.runtime import HandlerSettings

SETTINGS = HandlerSettings("event_bus_name")  # checked before each invocation

app = APIGatewayHttpResolver()


def _request() -> WebhookRequest:
    return WebhookRequest.from_http_api(app.current_event.raw_event)


def _accept(platform, request: WebhookRequest):
    settings = SETTINGS.configure()
    # A dedupe record this request leaves in progress is free for a retry once it has timed out.
    in_progress_for = timedelta(milliseconds=app.lambda_context.get_remaining_time_in_millis())
    return accept(
        platform,
        request,
        parameters=SsmStoreParameters(settings.parameters_prefix),
        publisher=EventBridgePublisher(settings.event_bus_name),
        in_progress_for=in_progress_for,
    )


def _ingest(platform) -> Response:
    result = _accept(platform, _request())
    return Response(status_code=result.status, content_type=content_types.APPLICATION_JSON, body=result.as_body())


@app.post("/webhooks/shopify")
def shopify_webhook() -> Response:
    return _ingest(SHOPIFY)


@app.post("/webhooks/woocommerce/<store_id>")
def woocommerce_webhook(store_id: str) -> Response:
    return _ingest(WOOCOMMERCE)


@app.post("/v1/events")
def generic_events() -> Response:
    return _ingest(GENERIC_API)


def _segment(call: str) -> Response:
    """Segment's HTTP Tracking API: /v1/batch, /v1/track, /v1/identify, /v1/page, ... (one
    route each, as in template.yaml)."""
    platform = segment.SEGMENT_CALLS[call]
    try:
        result = _accept(platform, segment.decoded(_request(), call))
    except ClientError as error:
        logger.info("segment call rejected", extra={"call": call, "reason": error.reason, "status": error.status})
        return Response(status_code=error.status, content_type="application/problem+json", body=json.dumps(segment.problem(error)))
    status, headers = segment.answer(result)
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=result.as_body(), headers=headers)


for _call in segment.CALLS:
    app.post(f"/v1/{_call}")(lambda call=_call: _segment(call))


@app.exception_handler(ClientError)
def client_error(error: ClientError) -> Response:
    logger.info("webhook rejected", extra={"reason": error.reason, "status": error.status})
    problem = {"title": error.reason, "status": error.status, "invalid_fields": error.problems}
    return Response(status_code=error.status, content_type="application/problem+json", body=json.dumps(problem))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
