"""Step Functions task: add a browse-abandonment customer to the store's retargeting
audience, or remove them (a signed POST to the store's audience webhook; a failure raises
``AudienceWebhookFailed`` for the state's Retry)."""

from typing import Literal

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from encore.adapters.secrets import SsmStoreParameters
from encore.audiences import change_membership
from encore.clock import utcnow
from encore.observability import logger, tracer
from encore.runtime import HandlerSettings
from encore.stores import load_store_settings

SETTINGS = HandlerSettings()  # checked before each invocation


class AudienceRequest(BaseModel):
    store_id: str
    customer_id: str
    action: Literal["add", "remove"]
    email_sha256: str | None = None  # kept by the journey: removes an erased customer


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    settings = SETTINGS.configure()
    request = AudienceRequest.model_validate(event)
    parameters = SsmStoreParameters(settings.parameters_prefix)
    store = load_store_settings(parameters, request.store_id)
    result = change_membership(
        store,
        request.customer_id,
        request.action,
        secret=parameters.webhook_secret(request.store_id),
        now=utcnow(),
        email_hash=request.email_sha256,
    )
    logger.info("retargeting audience", extra={"action": request.action, "outcome": result.outcome})
    return {"member": result.member, "outcome": result.outcome, "email_sha256": result.email_sha256}
