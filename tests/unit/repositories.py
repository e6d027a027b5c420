"""One bundle of repositories of one kind — the in-memory fakes or DynamoDB on a bare moto
table — for the contract suites (``tests/contracts``): each test runs on both, so a fake that
drifts from DynamoDB fails a test. The fixtures of ``*_moto.py`` build theirs with
``on_both``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from encore.models import get_or_none
from encore.storage.fakes import InMemoryTable


@dataclass(frozen=True)
class Repositories[Storage]:
    """The repositories of one kind, how a test puts its given items in place, and how it reads
    back an item the repositories do not hand out."""

    kind: str  # "fake" | "moto"
    storage: Storage
    add: Callable[..., None]
    read: Callable[[type, str, str], Any]


def _save(*items) -> None:
    for item in items:
        item.save()


def _read(model: type, pk: str, sk: str) -> Any:
    return get_or_none(model, pk, sk, consistent_read=True)


def on_both[Storage](request, on_dynamodb: Callable[[], Storage], in_memory: Callable[[InMemoryTable], Storage]) -> Repositories[Storage]:
    """For a fixture with ``params=["fake", "moto"]`` (the moto side needs ``bare_table`` from
    ``tests.unit.delivery_moto`` imported into the test module as ``table``)."""
    if request.param == "moto":
        request.getfixturevalue("table")
        return Repositories("moto", on_dynamodb(), _save, _read)
    table = InMemoryTable()
    return Repositories("fake", in_memory(table), table.add, table.get)
