"""Privacy requests (GDPR / CCPA, Shopify's mandatory topics): export a customer's data,
erase it, or erase a whole shop.

Erasing means every item under the customer's partition and the look-up items that point at
them (cart tokens, visitor ids, order owners, coupons). Journeys waiting on the customer are
released with the outcome ``customer_erased`` and end at once without another message; a
journey caught between steps finds no customer at its next step and sends nothing. Journey
inputs hold ids only, never contact details, so execution histories keep no personal data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from encore.adapters.workflows import Workflows
from encore.clock import iso, utcnow
from encore.events import PrivacyRequest
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
from encore.observability import logger
from encore.waits import ending_for


class ExportSink(Protocol):
    def put(self, key: str, document: dict) -> str: ...

    def delete_under(self, prefix: str) -> int: ...


def _export_prefix(store_id: str, customer_id: str) -> str:
    return f"exports/{store_id}/{customer_id}/"


class _AnyItem(_Item):
    """Any item of the table, by key only: privacy deletes whatever kind of item it finds."""


@dataclass(frozen=True)
class PrivacyOutcome:
    items: int
    journeys_stopped: int = 0
    export_location: str | None = None


def export_customer(event: PrivacyRequest, *, sink: ExportSink) -> PrivacyOutcome:
    if event.customer is None:  # PrivacyRequest refuses a customer request without its customer
        raise ValueError(f"{event.type} names no customer")
    customer_id = event.customer.customer_id
    if erased_since(event.store_id, customer_id, event.occurred_at):
        return PrivacyOutcome(items=0)  # a replayed request: the data it asked for is gone
    raw = _raw_items(event.store_id, customer_id)
    document = {
        "store_id": event.store_id,
        "customer_id": customer_id,
        "requested_at": iso(event.occurred_at),
        "request_id": event.event_id,
        "items": raw,
    }
    location = sink.put(f"{_export_prefix(event.store_id, customer_id)}{event.event_id}.json", document)
    logger.info("customer data exported", extra={"items": len(raw)})
    return PrivacyOutcome(items=len(raw), export_location=location)


def _raw_items(store_id: str, customer_id: str) -> list[dict]:
    connection = _AnyItem._get_connection()
    items: list[dict] = []
    start = None
    while True:
        page = connection.query(customer_key(store_id, customer_id), exclusive_start_key=start)
        items.extend(_from_dynamodb(item) for item in page.get("Items", []))
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


def _from_dynamodb(item: dict) -> dict:
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return json.loads(json.dumps({key: deserializer.deserialize(value) for key, value in item.items()}, default=_plain))


def _plain(value: object) -> object:
    """JSON for what DynamoDB holds beyond JSON: a set stays a list of its members (a visitor
    id set must not become one string whose characters look like ids), a number a string."""
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    return str(value)


CUSTOMER_ERASED = "customer_erased"


def erased_since(store_id: str, customer_id: str | None, moment: datetime) -> bool:
    """Whether the customer was erased at or after ``moment``: an event from before the
    erasure (a replay of the archive, a late redelivery, a redriven dead letter) must not
    bring them back. A customer who comes back afterwards starts afresh."""
    if not customer_id:
        return False
    receipt = get_or_none(ErasureReceipt, *ErasureReceipt.key(store_id, customer_id))
    return receipt is not None and receipt.erased_at >= moment


def erase_customer(
    store_id: str,
    customer_id: str,
    *,
    workflows: Workflows,
    sink: ExportSink | None = None,
    request_id: str = "",
    now: datetime | None = None,
    coupon_shop=None,
) -> PrivacyOutcome:
    """``coupon_shop``: a callable giving the shop's coupon client (encore.coupons), so the
    customer's codes are deleted at the shop too; a shop that cannot be reached never blocks
    the erasure (the deletion is recorded without the customer's id and retried)."""
    raw = _raw_items(store_id, customer_id)
    cart_ids = [item["cart_id"] for item in raw if item["sk"].startswith("CART#")]
    # LEGACY (until 2027-03-03, see storage.waits.take_legacy_cart_token): tokens parked on the cart.
    waiting = [(item["journey_token"], {"outcome": CUSTOMER_ERASED}) for item in raw if item["sk"].startswith("CART#") and item.get("journey_token")]
    waiting += [
        (item["task_token"], ending_for(item["awaiting"], CUSTOMER_ERASED)) for item in raw if item["sk"].startswith("WAIT#") and item.get("task_token")
    ]
    pointers: list[tuple[str, str]] = [CartLink.key(store_id, cart_id) for cart_id in cart_ids]
    pointers += [OrderOwner.key(store_id, item["order_id"]) for item in raw if item["sk"].startswith("ORDER#")]
    codes = [item["coupon_code"] for item in raw if item["sk"].startswith("MESSAGE#") and item.get("coupon_code")]
    codes += [item["code"] for item in raw if item["sk"].startswith("COUPON#") and item.get("code")]  # StepCoupon
    if codes and coupon_shop is not None:
        _forget_codes_at_shop(store_id, codes, now or utcnow(), coupon_shop)
    pointers += [Coupon.key(store_id, code) for code in codes]
    pointers += [VisitorIdentity.key(store_id, anonymous_id) for item in raw for anonymous_id in item.get("anonymous_ids") or []]
    pointers += [PhoneIdentity.key(item["phone"], store_id, customer_id) for item in raw if item["sk"] == "PROFILE" and item.get("phone")]
    pointers += [CheckoutVisitor.key(store_id, item["sk"].removeprefix("CHECKOUT#")) for item in raw if item["sk"].startswith("CHECKOUT#")]
    # BatchWriteItem refuses a batch naming one key twice: two carts may share an order.
    keys = list(dict.fromkeys([(item["pk"], item["sk"]) for item in raw] + pointers))
    with _AnyItem.batch_write() as batch:
        for pk, sk in keys:
            batch.delete(_AnyItem(pk, sk))
    stopped = sum(workflows.release(token, outcome) for token, outcome in waiting)
    exports = sink.delete_under(_export_prefix(store_id, customer_id)) if sink else 0
    # Written last: the receipt says the erasure is complete (a retry redoes it all otherwise).
    ErasureReceipt(
        *ErasureReceipt.key(store_id, customer_id),
        erased_at=now or utcnow(),
        request_id=request_id,
        items_deleted=len(keys),
        journeys_stopped=stopped,
        exports_deleted=exports,
    ).save()
    logger.info("customer erased", extra={"items": len(keys), "journeys_stopped": stopped, "exports": exports})
    return PrivacyOutcome(items=len(keys), journeys_stopped=stopped)


def _forget_codes_at_shop(store_id: str, codes: list[str], now: datetime, coupon_shop) -> None:
    from encore.adapters.shop_http import ShopAdminError
    from encore.coupons import forget_customer_codes

    try:
        client = coupon_shop()
    except ShopAdminError:
        client = None  # no usable admin API now: recorded below, retried by the cleanup
    forget_customer_codes(store_id, codes, now, client)


def erase_shop(store_id: str, *, workflows: Workflows, sink: ExportSink | None = None) -> PrivacyOutcome:
    """shop/redact comes once, 48 h after a store uninstalls: a full scan is acceptable."""
    prefix = f"STORE#{store_id}#"
    customers = {item.pk.removeprefix(prefix + "CUSTOMER#") for item in _AnyItem.scan(_AnyItem.pk.startswith(prefix + "CUSTOMER#"))}
    erased = stopped = 0
    for customer_id in customers:
        outcome = erase_customer(store_id, customer_id, workflows=workflows, sink=sink)
        erased += outcome.items
        stopped += outcome.journeys_stopped
    with _AnyItem.batch_write() as batch:
        for item in _AnyItem.scan(_AnyItem.pk.startswith(prefix)):
            if item.sk == "ERASED":
                continue  # the receipts (no personal data) stay as proof and tombstones
            batch.delete(item)
            erased += 1
    return PrivacyOutcome(items=erased, journeys_stopped=stopped)


def apply_privacy_request(event: PrivacyRequest, *, workflows: Workflows, sink: ExportSink, coupon_shop=None) -> PrivacyOutcome:
    if event.type == "shop_redact_requested":
        return erase_shop(event.store_id, workflows=workflows, sink=sink)
    if event.customer is None:
        raise ValueError(f"{event.type} needs a customer")
    if event.type == "customer_data_requested":
        return export_customer(event, sink=sink)
    return erase_customer(event.store_id, event.customer.customer_id, workflows=workflows, sink=sink, request_id=event.event_id, coupon_shop=coupon_shop)
