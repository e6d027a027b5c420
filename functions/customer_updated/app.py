"""EventBridge ``customer_updated`` → profile, consent per channel, visitor merge, and the welcome series for a new sign-up."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from encore import triggers
from encore.events import CustomerUpdated
from encore.observability import logger, tracer
from encore.runtime import HandlerSettings, journeys, store_settings

SETTINGS = HandlerSettings("journey_arn_prefix")  # checked before each invocation


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    settings = SETTINGS.configure()
    received = CustomerUpdated.model_validate(event["detail"])
    outcome = triggers.customer_updated(received, store=store_settings(settings, received.store_id), journeys=journeys(settings))
    return {"welcome_started": outcome}
