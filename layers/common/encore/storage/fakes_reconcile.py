"""In-memory ``ReconcileState`` (``storage.reconciliation``);
``tests/contracts/test_reconcile_state.py`` runs the same behaviour tests against both."""

from __future__ import annotations

from datetime import datetime

from encore.models import Cart, OrderOwner, customer_key
from encore.storage.fakes import InMemoryTable
from encore.storage.reconciliation import ReconcileMark


class InMemoryReconcileState:
    """``storage.reconciliation.ReconcileState`` in memory."""

    def __init__(self, table: InMemoryTable | None = None) -> None:
        self.table = table or InMemoryTable()

    def order_known(self, store_id: str, order_id: str) -> bool:
        return self.table.get(OrderOwner, *OrderOwner.key(store_id, order_id)) is not None

    def cart(self, store_id: str, customer_id: str, cart_id: str) -> Cart | None:
        return self.table.get(Cart, customer_key(store_id, customer_id), Cart.sort_key(cart_id))

    def last_scheduled_until(self, store_id: str) -> datetime | None:
        mark = self.table.get(ReconcileMark, *ReconcileMark.key(store_id))
        return mark.until if mark is not None else None

    def mark_scheduled_run(self, store_id: str, until: datetime) -> None:
        self.table.add(ReconcileMark(*ReconcileMark.key(store_id), until=until))
