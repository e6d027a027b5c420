"""EventBridge ``order_placed`` → order summary, post-purchase journey, release of journeys waiting for it."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from encore.adapters.secrets import SsmStoreParameters
from encore.adapters.workflows import StepFunctionsWorkflows
from encore.orders import JourneyArns, apply_order_placed
from encore.events import OrderPlaced
from encore.observability import logger, tracer
from encore.runtime import configure
from encore.stores import load_store_settings


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    settings = configure()
    order = OrderPlaced.model_validate(event["detail"])
    store = load_store_settings(SsmStoreParameters(settings.parameters_prefix), order.store_id)
    outcome = apply_order_placed(
        order,
        workflows=StepFunctionsWorkflows(),
        store=store,
        journeys=JourneyArns(settings.post_purchase_state_machine_arn, settings.unpaid_order_state_machine_arn),
    )
    return {"counted": outcome.counted, "journeys_released": outcome.journeys_released}
