"""What delivery reads and writes, bundled: the repositories ``encore.delivery`` takes as one
parameter. On DynamoDB in the send-message function (built once per process); on the
in-memory fakes (``storage.fakes.in_memory_delivery_storage``) in domain tests."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from encore.storage.catalogue import Catalogue, DynamoCatalogue
from encore.storage.coupons import DynamoIssuedCoupons, IssuedCoupons
from encore.storage.customers import CustomerRecords, DynamoCustomerRecords
from encore.storage.messages import DynamoMessageStore, MessageStore


@dataclass(frozen=True)
class DeliveryStorage:
    messages: MessageStore
    customers: CustomerRecords
    catalogue: Catalogue
    coupons: IssuedCoupons


@cache
def on_dynamodb() -> DeliveryStorage:
    """The DynamoDB repositories, one set per process (they hold no state of their own: the
    models name the table, ``encore.models.bind_table``)."""
    return DeliveryStorage(DynamoMessageStore(), DynamoCustomerRecords(), DynamoCatalogue(), DynamoIssuedCoupons())
