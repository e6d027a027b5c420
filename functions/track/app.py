"""HTTP API ``/v1/t/{public_key}`` → browser storefront events (encore.tracking): a public
key, low-trust events only, CORS for the store's own origins."""

import json

from aws_lambda_powertools.utilities.typing import LambdaContext

from encore.adapters.bus import EventBridgePublisher
from encore.adapters.secrets import SsmStoreParameters
from encore.ingest import WebhookRequest
from encore.observability import logger, tracer
from encore.runtime import HandlerSettings
from encore.tracking import accept, preflight

SETTINGS = HandlerSettings("event_bus_name")  # checked before each invocation


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    settings = SETTINGS.configure()
    request = WebhookRequest.from_http_api(event)
    parameters = SsmStoreParameters(settings.parameters_prefix)
    if request.method == "OPTIONS":
        answer = preflight(request, parameters=parameters)
    else:
        answer = accept(request, parameters=parameters, publisher=EventBridgePublisher(settings.event_bus_name))
    content_type = {} if answer.body is None else {"Content-Type": "application/json" if answer.status < 400 else "application/problem+json"}
    return {"statusCode": answer.status, "headers": {**answer.headers, **content_type}, "body": "" if answer.body is None else json.dumps(answer.body)}
