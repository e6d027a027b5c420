"""What privacy requests read and delete: a customer's whole partition (export and erasure),
the look-up items that point into it, the erasure receipt (proof and tombstone), and, for
shop/redact, everything a store left behind but its receipts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from encore.models import (
    CartLink,
    CheckoutVisitor,
    Coupon,
    ErasureReceipt,
    OrderOwner,
    PhoneIdentity,
    VisitorIdentity,
    _Item,
    customer_key,
    get_or_none,
)

Key = tuple[str, str]
RECEIPT_SORT_KEY = "ERASED"  # ErasureReceipt's sort key: what shop/redact keeps


@dataclass(frozen=True)
class LookUps:
    """The look-up items outside the customer's partition that point at it, by what names
    them: each is deleted with the partition."""

    cart_tokens: tuple[str, ...] = ()
    order_ids: tuple[str, ...] = ()
    coupon_codes: tuple[str, ...] = ()
    anonymous_ids: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    checkout_tokens: tuple[str, ...] = ()

    def keys(self, store_id: str, customer_id: str) -> list[Key]:
        keys = [CartLink.key(store_id, token) for token in self.cart_tokens]
        keys += [OrderOwner.key(store_id, order_id) for order_id in self.order_ids]
        keys += [Coupon.key(store_id, code) for code in self.coupon_codes]
        keys += [VisitorIdentity.key(store_id, anonymous_id) for anonymous_id in self.anonymous_ids]
        keys += [PhoneIdentity.key(phone, store_id, customer_id) for phone in self.phones]
        keys += [CheckoutVisitor.key(store_id, token) for token in self.checkout_tokens]
        return keys


@dataclass(frozen=True)
class Erasure:
    """What the receipt records (no personal data: the customer is named by a digest)."""

    erased_at: datetime
    request_id: str
    items_deleted: int
    journeys_stopped: int
    exports_deleted: int


class PrivacyRecords(Protocol):
    def customer_items(self, store_id: str, customer_id: str) -> list[dict]:
        """Every item of the customer's partition, in sort-key order, as plain JSON documents
        (what an export hands over and what erasure reads its look-ups from)."""

    def erased_at(self, store_id: str, customer_id: str) -> datetime | None:
        """When the customer was last erased (None: never)."""

    def erase_items(self, store_id: str, customer_id: str, items: list[dict], look_ups: LookUps) -> int:
        """Delete the given partition items and the look-ups; the number of distinct keys
        deleted (a key absent already counts: a retried erasure deletes the same keys)."""

    def record_erasure(self, store_id: str, customer_id: str, erasure: Erasure) -> None:
        """Write the receipt (the erasure is complete): replaces an earlier one."""

    def customers_in_store(self, store_id: str) -> set[str]:
        """The ids of every customer with a partition in the store (a full scan: shop/redact)."""

    def erase_store_remainder(self, store_id: str) -> int:
        """Delete every item of the store but its erasure receipts; how many were deleted."""


def erasure_receipt(store_id: str, customer_id: str, erasure: Erasure) -> ErasureReceipt:
    return ErasureReceipt(
        *ErasureReceipt.key(store_id, customer_id),
        erased_at=erasure.erased_at,
        request_id=erasure.request_id,
        items_deleted=erasure.items_deleted,
        journeys_stopped=erasure.journeys_stopped,
        exports_deleted=erasure.exports_deleted,
    )


def plain_document(raw: dict[str, Any]) -> dict:
    """An item as DynamoDB holds it (``{"attr": {"S": ...}}``) as a plain JSON document."""
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return json.loads(json.dumps({key: deserializer.deserialize(value) for key, value in raw.items()}, default=_plain))


def _plain(value: object) -> object:
    """JSON for what DynamoDB holds beyond JSON: a set stays a list of its members (a visitor
    id set must not become one string whose characters look like ids), a number a string."""
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    return str(value)


def keys_to_erase(store_id: str, customer_id: str, items: list[dict], look_ups: LookUps) -> list[Key]:
    """The distinct keys, in order: BatchWriteItem refuses a batch naming one key twice (two
    carts may share an order)."""
    return list(dict.fromkeys([(item["pk"], item["sk"]) for item in items] + look_ups.keys(store_id, customer_id)))


def store_prefix(store_id: str) -> str:
    return f"STORE#{store_id}#"


def customer_prefix(store_id: str) -> str:
    return f"{store_prefix(store_id)}CUSTOMER#"


class _AnyItem(_Item):
    """Any item of the table, by key only: privacy deletes whatever kind of item it finds."""


class DynamoPrivacyRecords:
    """``PrivacyRecords`` on the DynamoDB table (``encore.models``): queries, scans and
    BatchWriteItem deletes, the receipt one PutItem."""

    def customer_items(self, store_id: str, customer_id: str) -> list[dict]:
        connection = _AnyItem._get_connection()
        items: list[dict] = []
        start = None
        while True:
            page = connection.query(customer_key(store_id, customer_id), exclusive_start_key=start)
            items.extend(plain_document(item) for item in page.get("Items", []))
            start = page.get("LastEvaluatedKey")
            if not start:
                return items

    def erased_at(self, store_id: str, customer_id: str) -> datetime | None:
        receipt = get_or_none(ErasureReceipt, *ErasureReceipt.key(store_id, customer_id))
        return receipt.erased_at if receipt is not None else None

    def erase_items(self, store_id: str, customer_id: str, items: list[dict], look_ups: LookUps) -> int:
        keys = keys_to_erase(store_id, customer_id, items, look_ups)
        with _AnyItem.batch_write() as batch:
            for pk, sk in keys:
                batch.delete(_AnyItem(pk, sk))
        return len(keys)

    def record_erasure(self, store_id: str, customer_id: str, erasure: Erasure) -> None:
        erasure_receipt(store_id, customer_id, erasure).save()

    def customers_in_store(self, store_id: str) -> set[str]:
        prefix = customer_prefix(store_id)
        return {item.pk.removeprefix(prefix) for item in _AnyItem.scan(_AnyItem.pk.startswith(prefix))}

    def erase_store_remainder(self, store_id: str) -> int:
        deleted = 0
        with _AnyItem.batch_write() as batch:
            for item in _AnyItem.scan(_AnyItem.pk.startswith(store_prefix(store_id))):
                if item.sk == RECEIPT_SORT_KEY:
                    continue  # the receipts (no personal data) stay as proof and tombstones
                batch.delete(item)
                deleted += 1
        return deleted
