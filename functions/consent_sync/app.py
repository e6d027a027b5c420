"""EventBridge ``consent_withdrawn`` → the customer's shop learns the opt-out (Shopify:
``customer{Email,Sms}MarketingConsentUpdate``); see encore.consent_sync."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from encore.adapters.secrets import SsmStoreParameters
from encore.consent_sync import ConsentWithdrawn, write_back
from encore.observability import logger, tracer
from encore.runtime import HandlerSettings

SETTINGS = HandlerSettings()  # checked before each invocation


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    parameters = SsmStoreParameters(SETTINGS.configure().parameters_prefix)
    withdrawal = ConsentWithdrawn.model_validate(event["detail"])
    shop = parameters.shop(withdrawal.store_id)
    credentials = parameters.admin_credentials(withdrawal.store_id) if shop.get("platform") == "shopify" else None
    return {"outcome": write_back(withdrawal, shop=shop, credentials=credentials)}
