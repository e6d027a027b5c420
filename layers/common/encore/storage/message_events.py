"""What the channels report about a message already recorded (``Message``): the send it
proves, and the first time it was delivered, opened, clicked, bounced or complained about.
Each write is conditional, so a repeated event, or one about a message this table does not
know, changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from pynamodb.exceptions import UpdateError

from encore.models import Message, condition_failed, customer_key

# The moments a message keeps once each (the first event of its kind sets it).
MessageMoment = Literal["delivered_at", "opened_at", "clicked_at", "bounced_at", "complained_at"]

# A send that may be settled by the channel's word: recorded uncertain (the send's answer was
# lost) or still claimed (the function died before recording the send).
SETTLEABLE_STATUSES = ("uncertain", "claimed")


@dataclass(frozen=True)
class MessageRef:
    """One journey step's message to a customer (the tags SES puts on its events)."""

    store_id: str
    customer_id: str
    journey: str
    step: str

    @property
    def key(self) -> tuple[str, str]:
        return customer_key(self.store_id, self.customer_id), Message.sort_key(self.journey, self.step)


class MessageEvents(Protocol):
    def settle_send(self, message: MessageRef, provider_message_id: str, sent_at: datetime) -> bool:
        """The channel took the message: a record uncertain or still claimed becomes sent with
        the provider's id. True when this call settled it."""

    def note_first(self, message: MessageRef, moment: MessageMoment, at: datetime) -> bool:
        """Keep ``at`` as the message's ``moment`` unless it has one already, or there is no
        such record. True when it was kept."""

    def engagement_moments(self, store_id: str, customer_id: str) -> list[datetime]:
        """Every open and click of the customer's messages (one Query on their partition)."""


class DynamoMessageEvents:
    """``MessageEvents`` on the DynamoDB table (``encore.models``)."""

    def settle_send(self, message: MessageRef, provider_message_id: str, sent_at: datetime) -> bool:
        actions = [
            Message.status.set("sent"),
            Message.provider_message_id.set(provider_message_id),
            Message.sent_at.set(sent_at),
            Message.uncertain_since.remove(),
        ]
        return _update(message, actions, Message.status.is_in(*SETTLEABLE_STATUSES))

    def note_first(self, message: MessageRef, moment: MessageMoment, at: datetime) -> bool:
        attribute = getattr(Message, moment)
        return _update(message, [attribute.set(at)], Message.pk.exists() & attribute.does_not_exist())

    def engagement_moments(self, store_id: str, customer_id: str) -> list[datetime]:
        messages = Message.query(customer_key(store_id, customer_id), Message.sk.startswith("MESSAGE#"))
        return [moment for message in messages for moment in (message.opened_at, message.clicked_at) if moment is not None]


def _update(message: MessageRef, actions: list, condition) -> bool:
    try:
        Message(*message.key).update(actions=actions, condition=condition)
        return True
    except UpdateError as error:
        if not condition_failed(error):
            raise
        return False
