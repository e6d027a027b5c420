"""SNS (two-way SMS topic) customer replies → a STOP suppresses the number everywhere."""

from aws_lambda_powertools.utilities.data_classes import SNSEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from encore.adapters.bus import EventBridgePublisher
from encore.adapters.sms import InboundSms
from encore.clock import utcnow
from encore.deliverability import apply_sms_reply
from encore.observability import logger, tracer
from encore.runtime import HandlerSettings

SETTINGS = HandlerSettings("event_bus_name")  # checked before each invocation


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_source(data_class=SNSEvent)
def handler(event: SNSEvent, context: LambdaContext) -> dict:
    publisher = EventBridgePublisher(SETTINGS.configure().event_bus_name)
    suppressed = sum(apply_sms_reply(InboundSms.from_sns_message(record.sns.message), now=utcnow(), publisher=publisher) for record in event.records)
    return {"suppressed": suppressed}
