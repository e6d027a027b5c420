"""The ``shopping_repositories`` fixture: the repositories orders and carts use
(``encore.storage.shopping_state``) on a bare moto table or in memory
(``encore.storage.fakes_carts.in_memory_shopping_storage``), one test run per kind."""

from __future__ import annotations

import pytest

from encore.storage import shopping_state
from encore.storage.fakes_carts import in_memory_shopping_storage
from encore.storage.shopping_state import ShoppingStorage
from tests.unit.repositories import Repositories, on_both


@pytest.fixture(params=["fake", "moto"])
def shopping_repositories(request) -> Repositories[ShoppingStorage]:
    """Import ``shopping_repositories`` and ``bare_table`` (``tests.unit.delivery_moto``) into a test module."""
    return on_both(request, shopping_state.on_dynamodb, in_memory_shopping_storage)
