"""EventBridge ``cart_updated`` → cart state, the cart-abandonment journey (started once), journeys waiting for an add-to-cart, up-sell and threshold nudges."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from encore import triggers
from encore.events import CartUpdated
from encore.observability import logger, tracer
from encore.runtime import HandlerSettings, journeys, store_settings

SETTINGS = HandlerSettings("journey_arn_prefix")  # checked before each invocation


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    settings = SETTINGS.configure()
    received = CartUpdated.model_validate(event["detail"])
    outcome = triggers.cart_updated(received, store=store_settings(settings, received.store_id), journeys=journeys(settings))
    return {"journey": outcome.journey, "journey_started": outcome.journey_started}
