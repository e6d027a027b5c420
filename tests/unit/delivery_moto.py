"""A bare DynamoDB table on moto for the delivery steps' unit tests and the repositories'
contract suite (no Lambdas, no state machines), and the ``repositories`` fixture: delivery's
repositories on that table or in memory (``encore.storage.fakes``), one test run per kind."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import boto3
import pytest
from moto import mock_aws

from encore.models import _Meta, bind_table
from encore.storage import delivery as delivery_storage
from encore.storage.delivery import DeliveryStorage
from encore.storage.fakes import InMemoryTable, in_memory_delivery_storage


@pytest.fixture(name="table")
def bare_table(monkeypatch):
    """Import ``bare_table`` into a test module; tests ask for ``table`` (the table's name)."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    name = f"delivery-unit-{uuid.uuid4().hex[:8]}"  # a new name: PynamoDB opens a new connection
    previous = _Meta.table_name
    with mock_aws():
        boto3.client("dynamodb").create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        bind_table(name)
        yield name
    bind_table(previous)


@dataclass(frozen=True)
class Repositories:
    """Delivery's repositories of one kind, and how a test puts its given items in place."""

    kind: str  # "fake" | "moto"
    storage: DeliveryStorage
    add: Callable[..., None]


def _save(*items) -> None:
    for item in items:
        item.save()


@pytest.fixture(params=["fake", "moto"])
def repositories(request) -> Repositories:
    """Import ``repositories`` and ``bare_table`` into a test module: each test runs on the
    in-memory fakes and on moto, so a fake that drifts from DynamoDB fails a test."""
    if request.param == "moto":
        request.getfixturevalue("table")
        return Repositories("moto", delivery_storage.on_dynamodb(), _save)
    table = InMemoryTable()
    return Repositories("fake", in_memory_delivery_storage(table), table.add)
