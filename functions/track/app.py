"""HTTP API ``/v1/t/{public_key}`` → browser storefront events (encore.tracking): a public
key, low-trust events only, CORS for the store's own origins."""

import base64
import json

from aws_lambda_powertools.utilities.typing import LambdaContext

from encore.adapters.bus import EventBridgePublisher
from encore.adapters.secrets import SsmStoreParameters
from encore.observability import logger, tracer
from encore.runtime import configure
from encore.tracking import BrowserRequest, accept, preflight


def _raw_body(event: dict) -> bytes:
    body = event.get("body") or ""
    return base64.b64decode(body) if event.get("isBase64Encoded") else body.encode("utf-8")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    settings = configure()
    request = BrowserRequest(
        public_key=(event.get("pathParameters") or {}).get("public_key", ""),
        headers={name.lower(): value for name, value in (event.get("headers") or {}).items()},
        body=_raw_body(event),
        method=event.get("requestContext", {}).get("http", {}).get("method", "POST"),
    )
    parameters = SsmStoreParameters(settings.parameters_prefix)
    if request.method == "OPTIONS":
        answer = preflight(request, parameters=parameters)
    else:
        answer = accept(request, parameters=parameters, publisher=EventBridgePublisher(settings.event_bus_name))
    content_type = {} if answer.body is None else {"Content-Type": "application/json" if answer.status < 400 else "application/problem+json"}
    return {"statusCode": answer.status, "headers": {**answer.headers, **content_type}, "body": "" if answer.body is None else json.dumps(answer.body)}
