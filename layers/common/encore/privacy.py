"""Privacy requests (GDPR / CCPA, Shopify's mandatory topics): export a customer's data,
erase it, or erase a whole shop.

Erasing means every item under the customer's partition and the look-up items that point at
them (cart tokens, visitor ids, order owners, coupons). Journeys waiting on the customer are
released with the outcome ``customer_erased`` and end at once without another message; a
journey caught between steps finds no customer at its next step and sends nothing. Journey
inputs hold ids only, never contact details, so execution histories keep no personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from encore.adapters.workflows import Workflows
from encore.clock import iso, utcnow
from encore.events import PrivacyRequest
from encore.observability import logger
from encore.storage.privacy_records import DynamoPrivacyRecords, Erasure, LookUps, PrivacyRecords
from encore.waits import ending_for


class ExportSink(Protocol):
    def put(self, key: str, document: dict) -> str: ...

    def delete_under(self, prefix: str) -> int: ...


def _export_prefix(store_id: str, customer_id: str) -> str:
    return f"exports/{store_id}/{customer_id}/"


@dataclass(frozen=True)
class PrivacyOutcome:
    items: int
    journeys_stopped: int = 0
    export_location: str | None = None


def export_customer(event: PrivacyRequest, *, sink: ExportSink, storage: PrivacyRecords | None = None) -> PrivacyOutcome:
    records = storage or DynamoPrivacyRecords()
    if event.customer is None:  # PrivacyRequest refuses a customer request without its customer
        raise ValueError(f"{event.type} names no customer")
    customer_id = event.customer.customer_id
    if erased_since(event.store_id, customer_id, event.occurred_at, storage=records):
        return PrivacyOutcome(items=0)  # a replayed request: the data it asked for is gone
    raw = records.customer_items(event.store_id, customer_id)
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


CUSTOMER_ERASED = "customer_erased"


def erased_since(store_id: str, customer_id: str | None, moment: datetime, *, storage: PrivacyRecords | None = None) -> bool:
    """Whether the customer was erased at or after ``moment``: an event from before the
    erasure (a replay of the archive, a late redelivery, a redriven dead letter) must not
    bring them back. A customer who comes back afterwards starts afresh."""
    if not customer_id:
        return False
    erased_at = (storage or DynamoPrivacyRecords()).erased_at(store_id, customer_id)
    return erased_at is not None and erased_at >= moment


def erase_customer(
    store_id: str,
    customer_id: str,
    *,
    workflows: Workflows,
    sink: ExportSink | None = None,
    request_id: str = "",
    now: datetime | None = None,
    coupon_shop=None,
    storage: PrivacyRecords | None = None,
) -> PrivacyOutcome:
    """``coupon_shop``: a callable giving the shop's coupon client (encore.coupons), so the
    customer's codes are deleted at the shop too; a shop that cannot be reached never blocks
    the erasure (the deletion is recorded without the customer's id and retried)."""
    records = storage or DynamoPrivacyRecords()
    raw = records.customer_items(store_id, customer_id)
    # LEGACY (until 2027-03-03, see storage.waits.take_legacy_cart_token): tokens parked on the cart.
    waiting = [(item["journey_token"], {"outcome": CUSTOMER_ERASED}) for item in raw if item["sk"].startswith("CART#") and item.get("journey_token")]
    waiting += [
        (item["task_token"], ending_for(item["awaiting"], CUSTOMER_ERASED)) for item in raw if item["sk"].startswith("WAIT#") and item.get("task_token")
    ]
    codes = [item["coupon_code"] for item in raw if item["sk"].startswith("MESSAGE#") and item.get("coupon_code")]
    codes += [item["code"] for item in raw if item["sk"].startswith("COUPON#") and item.get("code")]  # StepCoupon
    if codes and coupon_shop is not None:
        _forget_codes_at_shop(store_id, codes, now or utcnow(), coupon_shop)
    look_ups = LookUps(
        cart_tokens=tuple(item["cart_id"] for item in raw if item["sk"].startswith("CART#")),
        order_ids=tuple(item["order_id"] for item in raw if item["sk"].startswith("ORDER#")),
        coupon_codes=tuple(codes),
        anonymous_ids=tuple(anonymous_id for item in raw for anonymous_id in item.get("anonymous_ids") or []),
        phones=tuple(item["phone"] for item in raw if item["sk"] == "PROFILE" and item.get("phone")),
        checkout_tokens=tuple(item["sk"].removeprefix("CHECKOUT#") for item in raw if item["sk"].startswith("CHECKOUT#")),
    )
    deleted = records.erase_items(store_id, customer_id, raw, look_ups)
    stopped = sum(workflows.release(token, outcome) for token, outcome in waiting)
    exports = sink.delete_under(_export_prefix(store_id, customer_id)) if sink else 0
    # Written last: the receipt says the erasure is complete (a retry redoes it all otherwise).
    records.record_erasure(
        store_id,
        customer_id,
        Erasure(erased_at=now or utcnow(), request_id=request_id, items_deleted=deleted, journeys_stopped=stopped, exports_deleted=exports),
    )
    logger.info("customer erased", extra={"items": deleted, "journeys_stopped": stopped, "exports": exports})
    return PrivacyOutcome(items=deleted, journeys_stopped=stopped)


def _forget_codes_at_shop(store_id: str, codes: list[str], now: datetime, coupon_shop) -> None:
    from encore.adapters.shop_http import ShopAdminError
    from encore.coupons import forget_customer_codes

    try:
        client = coupon_shop()
    except ShopAdminError:
        client = None  # no usable admin API now: recorded below, retried by the cleanup
    forget_customer_codes(store_id, codes, now, client)


def erase_shop(store_id: str, *, workflows: Workflows, sink: ExportSink | None = None, storage: PrivacyRecords | None = None) -> PrivacyOutcome:
    """shop/redact comes once, 48 h after a store uninstalls: a full scan is acceptable."""
    records = storage or DynamoPrivacyRecords()
    erased = stopped = 0
    for customer_id in records.customers_in_store(store_id):
        outcome = erase_customer(store_id, customer_id, workflows=workflows, sink=sink, storage=records)
        erased += outcome.items
        stopped += outcome.journeys_stopped
    # The receipts (no personal data) stay as proof and tombstones.
    erased += records.erase_store_remainder(store_id)
    return PrivacyOutcome(items=erased, journeys_stopped=stopped)


def apply_privacy_request(
    event: PrivacyRequest, *, workflows: Workflows, sink: ExportSink, coupon_shop=None, storage: PrivacyRecords | None = None
) -> PrivacyOutcome:
    if event.type == "shop_redact_requested":
        return erase_shop(event.store_id, workflows=workflows, sink=sink, storage=storage)
    if event.customer is None:
        raise ValueError(f"{event.type} needs a customer")
    if event.type == "customer_data_requested":
        return export_customer(event, sink=sink, storage=storage)
    return erase_customer(
        event.store_id, event.customer.customer_id, workflows=workflows, sink=sink, request_id=event.event_id, coupon_shop=coupon_shop, storage=storage
    )
