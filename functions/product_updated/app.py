"""EventBridge ``product_updated`` → the catalogue entry (newest webhook wins)."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from encore.catalogue import apply_product_updated
from encore.events import ProductUpdated
from encore.observability import logger, tracer
from encore.runtime import HandlerSettings

SETTINGS = HandlerSettings()  # checked before each invocation


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    SETTINGS.configure()
    return {"applied": apply_product_updated(ProductUpdated.model_validate(event["detail"]))}
