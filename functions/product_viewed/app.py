"""EventBridge ``product_viewed`` → views and dwell time on the customer or the visitor."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from encore.customers import apply_product_viewed
from encore.events import ProductViewed
from encore.observability import logger, tracer
from encore.runtime import configure


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    configure()
    return {"recorded_on": apply_product_viewed(ProductViewed.model_validate(event["detail"]))}
