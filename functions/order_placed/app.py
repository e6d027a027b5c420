"""EventBridge ``order_placed`` → order summary, and release of journeys waiting for it."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from encore.adapters.workflows import StepFunctionsWorkflows
from encore.orders import apply_order_placed
from encore.events import OrderPlaced
from encore.observability import logger, tracer
from encore.runtime import configure


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    configure()
    order = OrderPlaced.model_validate(event["detail"])
    outcome = apply_order_placed(order, workflows=StepFunctionsWorkflows())
    return {"counted": outcome.counted, "journeys_released": outcome.journeys_released}
