"""EventBridge ``customer_updated`` → profile, consent per channel, visitor merge."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from encore.customers import apply_customer_updated
from encore.events import CustomerUpdated
from encore.observability import logger, tracer
from encore.runtime import configure


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    configure()
    apply_customer_updated(CustomerUpdated.model_validate(event["detail"]))
    return {"updated": True}
