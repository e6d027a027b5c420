"""The local stack's partition-only Query (``infra/local/moto_partition_query.py``) answers
exactly as moto's own, whole-table Query: the same queries, with and without the patch, on a
table whose partitions interleave (so a whole-table answer and a partition answer would differ
if the patch leaked another partition's item or lost an order)."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from infra.local import moto_partition_query

QUERIES = [
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "C#2"}}},
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "C#2"}}, "ScanIndexForward": False},
    {"KeyConditionExpression": "pk = :p AND begins_with(sk, :s)", "ExpressionAttributeValues": {":p": {"S": "C#1"}, ":s": {"S": "MESSAGE#"}}},
    {
        "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b",
        "ExpressionAttributeValues": {":p": {"S": "C#3"}, ":a": {"S": "CART#"}, ":b": {"S": "ORDER#~"}},
    },
    {"KeyConditionExpression": "pk = :p AND sk > :a", "ExpressionAttributeValues": {":p": {"S": "C#0"}, ":a": {"S": "MESSAGE#5"}}},
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "C#1"}, ":n": {"N": "3"}}, "FilterExpression": "n >= :n"},
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "C#2"}}, "Select": "COUNT"},
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "C#9"}}},  # no such partition
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "C#1"}}, "ConsistentRead": True, "ProjectionExpression": "sk, n"},
    {"IndexName": "by-n", "KeyConditionExpression": "g = :g", "ExpressionAttributeValues": {":g": {"S": "G"}}},
]


def _every_page(client, query: dict, limit: int | None) -> list[dict]:
    pages, start = [], None
    while True:
        page = client.query(TableName="t", **query, **({"Limit": limit} if limit else {}), **({"ExclusiveStartKey": start} if start else {}))
        page.pop("ResponseMetadata")
        pages.append(page)
        start = page.get("LastEvaluatedKey")
        if not start:
            return pages


@pytest.fixture
def client(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        client = boto3.client("dynamodb")
        client.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "g")],
            GlobalSecondaryIndexes=[{"IndexName": "by-n", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}],
            BillingMode="PAY_PER_REQUEST",
        )
        for n in range(60):  # written out of order, partitions interleaved
            customer, kind = (n * 7) % 4, ("MESSAGE", "CART", "ORDER", "PROFILE")[n % 4]
            item = {"pk": {"S": f"C#{customer}"}, "sk": {"S": f"{kind}#{(n * 13) % 17}"}, "n": {"N": str(n % 5)}}
            if n % 3 == 0:
                item["g"] = {"S": "G"}
            client.put_item(TableName="t", Item=item)
        yield client
    moto_partition_query.uninstall()


@pytest.mark.parametrize("limit", [None, 2])
def test_every_query_answers_as_moto_does(client, limit):
    moto_partition_query.uninstall()
    expected = [_every_page(client, query, limit) for query in QUERIES]
    moto_partition_query.install()
    assert [_every_page(client, query, limit) for query in QUERIES] == expected
    assert any(page.get("Items") for pages in expected for page in pages)


def test_the_patch_is_only_for_the_moto_it_was_read_against(monkeypatch):
    monkeypatch.setattr(moto_partition_query.moto, "__version__", "9.9.9")
    with pytest.raises(RuntimeError, match="moto 5.2.5"):
        moto_partition_query.install()
