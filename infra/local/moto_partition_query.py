"""DynamoDB queries on the base table read their partition only (moto 5.2.5).

moto answers every Query by listing and sorting *the whole table* (``Table.all_items``) and then
keeping the items of the queried partition: a query's cost grows with the table, so a
simulation's cost grows with the square of its customers (issue 14 measured 43 % of a large
run's CPU there, from the journeys' waits and the order's cart lookups). DynamoDB itself reads
one partition. While a base-table Query runs, ``all_items`` answers with that partition's
items in the order moto's own sort gives them (the hash key is the same for all, so by range
key); everything else the query does — key conditions, filters, paging, limits, the reverse
order — is moto's own code, unchanged. Index queries and scans are untouched.

The query's partition is held per thread (the local stack answers requests on several
threads). ``tests/unit/test_moto_partition_query.py`` runs the same queries with and without
this patch and fails when moto's answer and this one differ, or when moto's ``Table.query``
no longer has the shape the patch relies on.
"""

from __future__ import annotations

import inspect
import threading
from typing import Any

import moto
from moto.dynamodb.models.table import Table

MOTO_VERSION = "5.2.5"  # the version whose Table.query this was read from
_original_query = Table.query
_original_all_items = Table.all_items
_query_signature = inspect.signature(_original_query)
_partition = threading.local()


def _all_items(table: Table) -> list:
    queried = getattr(_partition, "queried", None)
    if queried is None or queried[0] is not table:
        return _original_all_items(table)
    hash_set = table.items.get(queried[1])  # .get: the defaultdict must not grow a partition
    if hash_set is None:
        return []
    if not table.range_key_attr:
        return [hash_set]
    return sorted(hash_set.values(), key=lambda item: item.range_key)


def _query(table: Table, *args: Any, **kwargs: Any):
    bound = _query_signature.bind(table, *args, **kwargs)
    if bound.arguments.get("index_name") or bound.arguments.get("hash_key") is None:
        return _original_query(table, *args, **kwargs)
    _partition.queried = (table, bound.arguments["hash_key"])
    try:
        return _original_query(table, *args, **kwargs)
    finally:
        _partition.queried = None


def install() -> None:
    """Idempotent; refuses a moto whose Query this patch was not checked against."""
    if moto.__version__ != MOTO_VERSION:
        raise RuntimeError(f"infra/local/moto_partition_query.py was written against moto {MOTO_VERSION}, found {moto.__version__}: re-read Table.query")
    Table.query = _query  # type: ignore[method-assign]
    Table.all_items = _all_items  # type: ignore[method-assign]


def uninstall() -> None:
    Table.query = _original_query  # type: ignore[method-assign]
    Table.all_items = _original_all_items  # type: ignore[method-assign]
