"""Step Functions ``.waitForTaskToken`` task: park the journey's token on the open cart."""

from typing import Literal

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from encore.adapters.workflows import StepFunctionsWorkflows
from encore.carts import park_cart_journey
from encore.observability import logger, tracer
from encore.runtime import HandlerSettings, retry_transient

SETTINGS = HandlerSettings()  # checked before each invocation


class WaitRequest(BaseModel):
    task_token: str
    store_id: str
    customer_id: str
    cart_id: str
    # The reminder this wait leads to (journeys started before timers followed cart updates
    # send none: their timers stay where they are).
    reminder: Literal["reminder_1", "reminder_2", "reminder_3"] | None = None


@retry_transient
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    SETTINGS.configure()
    request = WaitRequest.model_validate(event)
    state = park_cart_journey(
        request.store_id, request.customer_id, request.cart_id, request.task_token, workflows=StepFunctionsWorkflows(), reminder=request.reminder
    )
    return {"state": state}
