"""EventBridge privacy requests → export to S3, or erase a customer / a shop and end their journeys."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from encore.adapters.exports import S3ExportSink
from encore.adapters.secrets import SsmStoreParameters
from encore.adapters.shop_coupons import shop_coupons
from encore.adapters.workflows import StepFunctionsWorkflows
from encore.events import PrivacyRequest
from encore.observability import logger, tracer
from encore.privacy import apply_privacy_request
from encore.runtime import HandlerSettings

SETTINGS = HandlerSettings("privacy_exports_bucket")  # checked before each invocation


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    settings = SETTINGS.configure()
    request = PrivacyRequest.model_validate(event["detail"])
    parameters = SsmStoreParameters(settings.parameters_prefix)
    outcome = apply_privacy_request(
        request,
        workflows=StepFunctionsWorkflows(),
        sink=S3ExportSink(settings.privacy_exports_bucket),
        # read only when an erased customer had coupons: their codes are deleted at the shop
        coupon_shop=lambda: shop_coupons(parameters.shop(request.store_id), parameters.admin_credentials(request.store_id)),
    )
    return {"items": outcome.items, "journeys_stopped": outcome.journeys_stopped, "export": outcome.export_location}
