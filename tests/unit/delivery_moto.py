"""A bare DynamoDB table on moto for the delivery steps' unit tests: the steps read and
write through the real models, without the full stack (no Lambdas, no state machines)."""

from __future__ import annotations

import uuid

import boto3
import pytest
from moto import mock_aws

from encore.models import _Meta, bind_table


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
