"""EventBridge ``order_placed`` → order summary, journeys waiting for a purchase, and the journeys an order starts."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from encore import triggers
from encore.events import OrderPlaced
from encore.observability import logger, tracer
from encore.runtime import HandlerSettings, journeys, store_settings

SETTINGS = HandlerSettings("journey_arn_prefix")  # checked before each invocation


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    settings = SETTINGS.configure()
    received = OrderPlaced.model_validate(event["detail"])
    outcome = triggers.order_placed(received, store=store_settings(settings, received.store_id), journeys=journeys(settings))
    return {"counted": outcome.counted, "journeys_released": outcome.journeys_released}
