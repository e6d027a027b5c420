"""What orders and carts read and write, bundled: ``encore.orders`` and ``encore.carts`` take it
as one parameter (an order closes its carts, both keep the customer's profile current and
release waiting journeys). On DynamoDB in the functions (built once per process); in memory
(``storage.fakes_shopping.in_memory_shopping_storage``) in domain tests."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from encore.storage import customer_state
from encore.storage.carts import Carts, DynamoCarts
from encore.storage.customer_state import CustomerStorage
from encore.storage.orders import DynamoOrders, Orders
from encore.storage.waits import DynamoWaitStore, WaitStore


@dataclass(frozen=True)
class ShoppingStorage:
    orders: Orders
    carts: Carts
    waits: WaitStore
    customers: CustomerStorage


@cache
def on_dynamodb() -> ShoppingStorage:
    """The DynamoDB repositories, one set per process (they hold no state of their own: the
    models name the table, ``encore.models.bind_table``)."""
    return ShoppingStorage(DynamoOrders(), DynamoCarts(), DynamoWaitStore(), customer_state.on_dynamodb())
