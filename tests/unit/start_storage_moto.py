"""The ``start_repositories`` fixture: what the scenarios' start rules read and write
(``encore.storage.scenario_starts``) on a bare moto table or in memory
(``encore.storage.fakes_starts``), one test run per kind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from encore.storage import scenario_starts
from encore.storage.fakes import InMemoryTable
from encore.storage.fakes_starts import in_memory_start_storage
from encore.storage.scenario_starts import StartStorage


@dataclass(frozen=True)
class StartRepositories:
    """The start rules' repositories of one kind, and how a test puts its given items in place."""

    kind: str  # "fake" | "moto"
    storage: StartStorage
    add: Callable[..., None]


def _save(*items) -> None:
    for item in items:
        item.save()


@pytest.fixture(params=["fake", "moto"])
def start_repositories(request) -> StartRepositories:
    """Import ``start_repositories`` and ``bare_table`` (``tests.unit.delivery_moto``) into a
    test module: each test runs on the in-memory fakes and on moto, so a fake that drifts
    from DynamoDB fails a test."""
    if request.param == "moto":
        request.getfixturevalue("table")
        return StartRepositories("moto", scenario_starts.on_dynamodb(), _save)
    table = InMemoryTable()
    return StartRepositories("fake", in_memory_start_storage(table), table.add)
