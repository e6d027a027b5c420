"""The ``privacy_repositories`` and ``reconcile_repositories`` fixtures: what privacy requests
(``encore.storage.privacy_records``) and reconciliation (``encore.storage.reconciliation``)
read and write, on a bare moto table or in memory, one test run per kind."""

from __future__ import annotations

import pytest

from encore.storage.fakes_privacy import InMemoryPrivacyRecords
from encore.storage.fakes_reconcile import InMemoryReconcileState
from encore.storage.privacy_records import DynamoPrivacyRecords, PrivacyRecords
from encore.storage.reconciliation import DynamoReconcileState, ReconcileState
from tests.unit.repositories import Repositories, on_both


@pytest.fixture(params=["fake", "moto"])
def privacy_repositories(request) -> Repositories[PrivacyRecords]:
    """Import ``privacy_repositories`` and ``bare_table`` (``tests.unit.delivery_moto``) into a test module."""
    return on_both(request, DynamoPrivacyRecords, InMemoryPrivacyRecords)


@pytest.fixture(params=["fake", "moto"])
def reconcile_repositories(request) -> Repositories[ReconcileState]:
    """Import ``reconcile_repositories`` and ``bare_table`` (``tests.unit.delivery_moto``) into a test module."""
    return on_both(request, DynamoReconcileState, InMemoryReconcileState)
