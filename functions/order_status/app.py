"""EventBridge ``order_paid|fulfilled|delivered|cancelled|refunded`` → the order's lifecycle,
converging whatever order the webhooks arrive in."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from encore.adapters.workflows import StepFunctionsWorkflows
from encore.events import OrderStatusChanged
from encore.observability import logger, tracer
from encore.orders import apply_order_status
from encore.runtime import configure


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    configure()
    outcome = apply_order_status(OrderStatusChanged.model_validate(event["detail"]), workflows=StepFunctionsWorkflows())
    return {"applied": outcome.applied, "reason": outcome.reason}
