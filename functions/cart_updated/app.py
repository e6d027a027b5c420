"""EventBridge ``cart_updated`` → cart state, and the cart-abandonment journey (started once)."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from encore.adapters.secrets import SsmStoreParameters
from encore.adapters.workflows import StepFunctionsWorkflows
from encore.carts import apply_cart_updated
from encore.events import CartUpdated
from encore.observability import logger, tracer
from encore.runtime import configure
from encore.stores import load_store_settings


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    settings = configure()
    cart_event = CartUpdated.model_validate(event["detail"])
    store = load_store_settings(SsmStoreParameters(settings.parameters_prefix), cart_event.store_id)
    outcome = apply_cart_updated(
        cart_event,
        store=store,
        workflows=StepFunctionsWorkflows(),
        state_machine_arn=settings.cart_abandonment_state_machine_arn,
    )
    return {"journey": outcome.journey, "journey_started": outcome.journey_started}
