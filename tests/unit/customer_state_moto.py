"""The ``customer_repositories`` fixture: the customer-state repositories
(``encore.storage.customer_state``) on a bare moto table or in memory
(``encore.storage.fakes_customers``), one test run per kind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from encore.storage import customer_state
from encore.storage.customer_state import CustomerStorage
from encore.storage.fakes import InMemoryTable
from encore.storage.fakes_customers import in_memory_customer_storage


@dataclass(frozen=True)
class CustomerRepositories:
    """The customer-state repositories of one kind, and how a test puts its given items in place."""

    kind: str  # "fake" | "moto"
    storage: CustomerStorage
    add: Callable[..., None]


def _save(*items) -> None:
    for item in items:
        item.save()


@pytest.fixture(params=["fake", "moto"])
def customer_repositories(request) -> CustomerRepositories:
    """Import ``customer_repositories`` and ``bare_table`` (``tests.unit.delivery_moto``) into a
    test module: each test runs on the in-memory fakes and on moto, so a fake that drifts
    from DynamoDB fails a test."""
    if request.param == "moto":
        request.getfixturevalue("table")
        return CustomerRepositories("moto", customer_state.on_dynamodb(), _save)
    table = InMemoryTable()
    return CustomerRepositories("fake", in_memory_customer_storage(table), table.add)
