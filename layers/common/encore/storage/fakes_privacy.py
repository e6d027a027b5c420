"""In-memory ``PrivacyRecords`` (``storage.privacy_records``), deleting and keeping what its
DynamoDB twin does; ``tests/contracts/test_privacy_records.py`` runs the same behaviour tests
against both."""

from __future__ import annotations

from datetime import datetime

from encore.models import ErasureReceipt, customer_key
from encore.storage.fakes import InMemoryTable
from encore.storage.privacy_records import (
    RECEIPT_SORT_KEY,
    Erasure,
    LookUps,
    customer_prefix,
    erasure_receipt,
    keys_to_erase,
    plain_document,
    store_prefix,
)


class InMemoryPrivacyRecords:
    """``storage.privacy_records.PrivacyRecords`` in memory. Privacy walks items of every
    kind by key, so it reads the table's raw items (kept as DynamoDB keeps them) directly."""

    def __init__(self, table: InMemoryTable | None = None) -> None:
        self.table = table or InMemoryTable()

    def _keys(self) -> list[tuple[str, str]]:
        return sorted(self.table._items)

    def customer_items(self, store_id: str, customer_id: str) -> list[dict]:
        pk = customer_key(store_id, customer_id)
        return [plain_document(self.table._items[key]) for key in self._keys() if key[0] == pk]

    def erased_at(self, store_id: str, customer_id: str) -> datetime | None:
        receipt = self.table.get(ErasureReceipt, *ErasureReceipt.key(store_id, customer_id))
        return receipt.erased_at if receipt is not None else None

    def erase_items(self, store_id: str, customer_id: str, items: list[dict], look_ups: LookUps) -> int:
        keys = keys_to_erase(store_id, customer_id, items, look_ups)
        for pk, sk in keys:
            self.table.delete(pk, sk)
        return len(keys)

    def record_erasure(self, store_id: str, customer_id: str, erasure: Erasure) -> None:
        self.table.add(erasure_receipt(store_id, customer_id, erasure))

    def customers_in_store(self, store_id: str) -> set[str]:
        prefix = customer_prefix(store_id)
        return {pk.removeprefix(prefix) for pk, _ in self._keys() if pk.startswith(prefix)}

    def erase_store_remainder(self, store_id: str) -> int:
        doomed = [(pk, sk) for pk, sk in self._keys() if pk.startswith(store_prefix(store_id)) and sk != RECEIPT_SORT_KEY]
        for pk, sk in doomed:
            self.table.delete(pk, sk)
        return len(doomed)
