"""What the customer-state modules read and write, bundled: profiles and consent, anonymous
visitors, and what the channels report about messages (``encore.customers``,
``encore.unsubscribe``, ``encore.consent_sync``, ``encore.deliverability`` take it as one
parameter). On DynamoDB in the functions (built once per process); in memory
(``storage.fakes_customers.in_memory_customer_storage``) in domain tests."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from encore.storage.message_events import DynamoMessageEvents, MessageEvents
from encore.storage.profiles import CustomerProfiles, DynamoCustomerProfiles
from encore.storage.visitors import DynamoVisitors, Visitors


@dataclass(frozen=True)
class CustomerStorage:
    profiles: CustomerProfiles
    visitors: Visitors
    message_events: MessageEvents


@cache
def on_dynamodb() -> CustomerStorage:
    """The DynamoDB repositories, one set per process (they hold no state of their own: the
    models name the table, ``encore.models.bind_table``)."""
    return CustomerStorage(DynamoCustomerProfiles(), DynamoVisitors(), DynamoMessageEvents())
