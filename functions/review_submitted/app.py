"""EventBridge ``review_submitted`` → the review on the customer's profile, and the review-request journey waiting for it."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from encore.events import ReviewSubmitted
from encore.observability import logger, tracer
from encore.reviews import apply_review_submitted
from encore.runtime import HandlerSettings, journeys

SETTINGS = HandlerSettings("journey_arn_prefix")  # checked before each invocation


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    settings = SETTINGS.configure()
    received = ReviewSubmitted.model_validate(event["detail"])
    outcome = apply_review_submitted(received, workflows=journeys(settings).workflows)
    return {"recorded": outcome.recorded, "journeys_released": outcome.journeys_released}
