"""EventBridge (default bus) SES configuration-set events → suppression and engagement."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from encore.deliverability import SesEvent, apply_email_event
from encore.observability import logger, tracer
from encore.runtime import HandlerSettings

SETTINGS = HandlerSettings()  # checked before each invocation


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    SETTINGS.configure()
    return {"outcome": apply_email_event(SesEvent.model_validate(event["detail"]))}
