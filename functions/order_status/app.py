"""EventBridge ``order_paid|fulfilled|delivered|cancelled|refunded`` → the order's lifecycle (converging whatever order the webhooks arrive in), the journeys waiting for it, and the review request on delivery."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from encore import triggers
from encore.events import OrderStatusChanged
from encore.observability import logger, tracer
from encore.runtime import HandlerSettings, journeys, store_settings

SETTINGS = HandlerSettings("journey_arn_prefix")  # checked before each invocation


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    settings = SETTINGS.configure()
    received = OrderStatusChanged.model_validate(event["detail"])
    outcome = triggers.order_status(received, store=store_settings(settings, received.store_id), journeys=journeys(settings))
    return {"applied": outcome.applied, "reason": outcome.reason}
