"""The ``shopping_repositories`` fixture: the repositories orders and carts use
(``encore.storage.shopping_state``) on a bare moto table or in memory
(``encore.storage.fakes_carts.in_memory_shopping_storage``), one test run per kind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from encore.models import get_or_none
from encore.storage import shopping_state
from encore.storage.fakes import InMemoryTable
from encore.storage.fakes_carts import in_memory_shopping_storage
from encore.storage.shopping_state import ShoppingStorage


@dataclass(frozen=True)
class ShoppingRepositories:
    """The repositories of one kind, how a test puts its given items in place, and how it reads
    back an item the repositories do not hand out (the customer's totals, a purchase)."""

    kind: str  # "fake" | "moto"
    storage: ShoppingStorage
    add: Callable[..., None]
    read: Callable[[type, str, str], Any]


def _save(*items) -> None:
    for item in items:
        item.save()


@pytest.fixture(params=["fake", "moto"])
def shopping_repositories(request) -> ShoppingRepositories:
    """Import ``shopping_repositories`` and ``bare_table`` (``tests.unit.delivery_moto``) into a
    test module: each test runs on the in-memory fakes and on moto, so a fake that drifts
    from DynamoDB fails a test."""
    if request.param == "moto":
        request.getfixturevalue("table")
        return ShoppingRepositories("moto", shopping_state.on_dynamodb(), _save, lambda model, pk, sk: get_or_none(model, pk, sk, consistent_read=True))
    table = InMemoryTable()
    return ShoppingRepositories("fake", in_memory_shopping_storage(table), table.add, table.get)
