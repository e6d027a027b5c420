"""The ``start_repositories`` fixture: what the scenarios' start rules read and write
(``encore.storage.scenario_starts``) on a bare moto table or in memory
(``encore.storage.fakes_starts``), one test run per kind."""

from __future__ import annotations

import pytest

from encore.storage import scenario_starts
from encore.storage.fakes_starts import in_memory_start_storage
from encore.storage.scenario_starts import StartStorage
from tests.unit.repositories import Repositories, on_both


@pytest.fixture(params=["fake", "moto"])
def start_repositories(request) -> Repositories[StartStorage]:
    """Import ``start_repositories`` and ``bare_table`` (``tests.unit.delivery_moto``) into a test module."""
    return on_both(request, scenario_starts.on_dynamodb, in_memory_start_storage)
