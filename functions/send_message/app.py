"""Step Functions task: deliver one journey step's message (guards, claim, render, send)."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from encore.adapters.email import SesEmailSender
from encore.adapters.secrets import SsmStoreParameters
from encore.messaging import StepRequest, deliver_step
from encore.observability import logger, tracer
from encore.runtime import configure
from encore.stores import load_store_settings


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    settings = configure()
    request = StepRequest.model_validate(event)
    store = load_store_settings(SsmStoreParameters(settings.parameters_prefix), request.store_id)
    return deliver_step(request, store=store, email=SesEmailSender()).as_dict()
