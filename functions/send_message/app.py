"""Step Functions task: deliver one journey step's message (guards, claim, render, send)."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from encore.adapters.email import SesEmailSender
from encore.adapters.push import EndUserMessagingPushSender
from encore.adapters.secrets import SsmStoreParameters
from encore.adapters.sms import SnsSmsSender
from encore.coupons import EventBridgePoolAlerts, ShopCoupons
from encore.delivery.pipeline import deliver_step
from encore.delivery.request import StepRequest, UnsubscribeLinks
from encore.observability import logger, tracer
from encore.runtime import HandlerSettings, retry_transient
from encore.storage import delivery as delivery_storage
from encore.stores import load_store_settings
from encore.unsubscribe import UnsubscribeKeys

SETTINGS = HandlerSettings("api_url", "event_bus_name", "ses_configuration_set")  # checked before each invocation
STORAGE = delivery_storage.on_dynamodb()  # the repositories, once per process (the table is named at each invocation)


@retry_transient
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    settings = SETTINGS.configure()
    request = StepRequest.model_validate(event)
    parameters = SsmStoreParameters(settings.parameters_prefix)
    store = load_store_settings(parameters, request.store_id)
    links = UnsubscribeLinks(settings.api_url, UnsubscribeKeys.from_dict(parameters.unsubscribe_keys(request.store_id)))
    push = EndUserMessagingPushSender(store.push_application_id) if store.push_application_id else None
    email = SesEmailSender(settings.ses_configuration_set or None)
    coupons = None
    if request.coupon:  # only a step carrying an offer reads the shop and its credentials
        alerts = EventBridgePoolAlerts(settings.event_bus_name) if settings.event_bus_name else None
        coupons = ShopCoupons(request.store_id, parameters.shop(request.store_id), parameters.admin_credentials(request.store_id), store.coupons, alerts)
    return deliver_step(request, store=store, email=email, unsubscribe=links, sms=SnsSmsSender(), push=push, coupons=coupons, storage=STORAGE).as_dict()
