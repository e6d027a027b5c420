"""Step Functions ``.waitForTaskToken`` task: park a journey until the customer's event arrives."""

from datetime import datetime

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from encore.adapters.workflows import StepFunctionsWorkflows
from encore.clock import utcnow
from encore.observability import logger, tracer
from encore.runtime import HandlerSettings, retry_transient
from encore.waits import park

SETTINGS = HandlerSettings()  # checked before each invocation


class WaitRequest(BaseModel):
    task_token: str
    store_id: str
    customer_id: str
    journey: str
    awaiting: list[str]
    key: str | None = None
    since: datetime | None = None  # the journey's start: an order since then counts
    products: list[str] | None = None  # only an event about one of these products counts


@retry_transient
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    SETTINGS.configure()
    request = WaitRequest.model_validate(event)
    state = park(
        request.store_id,
        request.customer_id,
        request.journey,
        request.awaiting,
        request.key,
        request.task_token,
        now=utcnow(),
        workflows=StepFunctionsWorkflows(),
        since=request.since,
        products=request.products,
    )
    return {"state": state}
