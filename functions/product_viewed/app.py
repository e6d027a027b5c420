"""EventBridge ``product_viewed`` → views and dwell time on the customer or the visitor, browse abandonment and up-sell."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from encore import triggers
from encore.events import ProductViewed
from encore.observability import logger, tracer
from encore.runtime import HandlerSettings, journeys, store_settings

SETTINGS = HandlerSettings("journey_arn_prefix")  # checked before each invocation


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    settings = SETTINGS.configure()
    received = ProductViewed.model_validate(event["detail"])
    outcome = triggers.product_viewed(received, store=store_settings(settings, received.store_id), journeys=journeys(settings))
    return {"recorded_on": outcome}
