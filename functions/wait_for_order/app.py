"""Step Functions ``.waitForTaskToken`` task: park the cart abandonment journey until its
cart's order or next update (the same wait, and request model, as ``wait_for_event``)."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from encore.adapters.workflows import StepFunctionsWorkflows
from encore.clock import utcnow
from encore.observability import logger, tracer
from encore.runtime import HandlerSettings, retry_transient
from encore.waits import WaitRequest, park_request

SETTINGS = HandlerSettings()  # checked before each invocation


@retry_transient
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    SETTINGS.configure()
    request = WaitRequest.model_validate(event)
    return {"state": park_request(request, now=utcnow(), workflows=StepFunctionsWorkflows())}
