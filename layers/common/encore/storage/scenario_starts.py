"""What the scenarios' start rules read and write, bundled: the profile, the customer's carts,
the catalogue, what they viewed, reviewed and bought, and their milestones (each start rule
takes it as ``storage=``). On DynamoDB in the functions (built once per process); in memory
(``storage.fakes_starts.in_memory_start_storage``) in domain tests."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from encore.storage.catalogue import Catalogue, DynamoCatalogue
from encore.storage.customers import CustomerRecords, DynamoCustomerRecords
from encore.storage.milestones import DynamoMilestones, Milestones
from encore.storage.profiles import CustomerProfiles, DynamoCustomerProfiles
from encore.storage.shoppers import DynamoShopperReads, ShopperReads


@dataclass(frozen=True)
class StartStorage:
    profiles: CustomerProfiles
    customers: CustomerRecords
    catalogue: Catalogue
    shoppers: ShopperReads
    milestones: Milestones


@cache
def on_dynamodb() -> StartStorage:
    """The DynamoDB repositories, one set per process (they hold no state of their own: the
    models name the table, ``encore.models.bind_table``)."""
    return StartStorage(DynamoCustomerProfiles(), DynamoCustomerRecords(), DynamoCatalogue(), DynamoShopperReads(), DynamoMilestones())
