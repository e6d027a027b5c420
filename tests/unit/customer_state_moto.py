"""The ``customer_repositories`` fixture: the customer-state repositories
(``encore.storage.customer_state``) on a bare moto table or in memory
(``encore.storage.fakes_customers``), one test run per kind."""

from __future__ import annotations

import pytest

from encore.storage import customer_state
from encore.storage.customer_state import CustomerStorage
from encore.storage.fakes_customers import in_memory_customer_storage
from tests.unit.repositories import Repositories, on_both


@pytest.fixture(params=["fake", "moto"])
def customer_repositories(request) -> Repositories[CustomerStorage]:
    """Import ``customer_repositories`` and ``bare_table`` (``tests.unit.delivery_moto``) into a test module."""
    return on_both(request, customer_state.on_dynamodb, in_memory_customer_storage)
