"""Privacy requests on the in-memory repositories (``encore.storage.fakes_privacy``), no
table: what an erasure deletes and releases, the receipt written last, exports refused after
an erasure, and shop/redact keeping only the receipts. The wiring (webhooks, the bucket, the
table) is covered by tests/faults/test_erasure.py and the scenarios."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from encore.events import CustomerRef, PrivacyRequest
from encore.models import (
    Cart,
    CartLink,
    CheckoutVisitor,
    Customer,
    ErasureReceipt,
    JourneyWait,
    Message,
    Order,
    OrderOwner,
    PhoneIdentity,
    StepCoupon,
    VisitorIdentity,
    customer_key,
)
from encore.privacy import CUSTOMER_ERASED, apply_privacy_request, erase_customer, erase_shop, erased_since, export_customer
from encore.storage.fakes import InMemoryTable
from encore.storage.fakes_privacy import InMemoryPrivacyRecords
from tests.unit.fake_workflows import StartOnceWorkflows

STORE = "shop"
OLENA = "c-olena"
NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
PK = customer_key(STORE, OLENA)


@dataclass
class RecordingSink:
    documents: dict[str, dict] = field(default_factory=dict)
    deleted_prefixes: list[str] = field(default_factory=list)

    def put(self, key: str, document: dict) -> str:
        self.documents[key] = document
        return f"s3://exports/{key}"

    def delete_under(self, prefix: str) -> int:
        self.deleted_prefixes.append(prefix)
        doomed = [key for key in self.documents if key.startswith(prefix)]
        for key in doomed:
            del self.documents[key]
        return len(doomed)


@pytest.fixture
def table() -> InMemoryTable:
    return InMemoryTable()


@pytest.fixture
def records(table) -> InMemoryPrivacyRecords:
    return InMemoryPrivacyRecords(table)


def _olena_everywhere(table: InMemoryTable, customer_id: str = OLENA) -> None:
    pk = customer_key(STORE, customer_id)
    table.add(
        Customer(pk, Customer.sort_key(), store_id=STORE, customer_id=customer_id, email="olena@example.com", phone="+15550100", anonymous_ids={"anon-1"}),
        Cart(pk, Cart.sort_key("cart-1"), store_id=STORE, customer_id=customer_id, cart_id="cart-1", updated_at=NOW, journey_token="legacy-token"),
        Order(pk, Order.sort_key("o-1"), store_id=STORE, customer_id=customer_id, order_id="o-1"),
        JourneyWait(
            pk,
            JourneyWait.sort_key("cart-j"),
            store_id=STORE,
            customer_id=customer_id,
            journey="cart-j",
            awaiting={"cart_order_or_update"},
            task_token="cart-token",
            parked_at=NOW,
        ),
        JourneyWait(
            pk,
            JourneyWait.sort_key("welcome"),
            store_id=STORE,
            customer_id=customer_id,
            journey="welcome",
            awaiting={"order_placed"},
            task_token="event-token",
            parked_at=NOW,
        ),
        JourneyWait(pk, JourneyWait.sort_key("moving"), store_id=STORE, customer_id=customer_id, journey="moving", awaiting={"order_placed"}, parked_at=NOW),
        Message(
            pk,
            "MESSAGE#cart-j#reminder_3",
            store_id=STORE,
            customer_id=customer_id,
            journey="cart-j",
            step="reminder_3",
            template="t",
            status="sent",
            coupon_code="SAVE-1",
        ),
        StepCoupon(pk, StepCoupon.sort_key("win-back", "offer"), code="SAVE-2"),
        Customer(pk, f"CHECKOUT#chk-{customer_id}"),
        CartLink(*CartLink.key(STORE, "cart-1"), customer_id=customer_id),
        OrderOwner(*OrderOwner.key(STORE, "o-1"), customer_id=customer_id),
        VisitorIdentity(*VisitorIdentity.key(STORE, "anon-1"), customer_id=customer_id, merged_at=NOW),
        PhoneIdentity(*PhoneIdentity.key("+15550100", STORE, customer_id), store_id=STORE, customer_id=customer_id),
        CheckoutVisitor(*CheckoutVisitor.key(STORE, f"chk-{customer_id}"), customer_id=customer_id, expires_at=NOW + timedelta(days=1)),
    )


def _everything(table: InMemoryTable) -> set[tuple[str, str]]:
    return set(table._items)


def test_an_erasure_deletes_the_partition_and_every_look_up_releases_each_wait_in_its_shape_and_writes_the_receipt(table, records):
    _olena_everywhere(table)
    table.add(Customer(customer_key(STORE, "c-other"), Customer.sort_key(), store_id=STORE, customer_id="c-other"))
    workflows = StartOnceWorkflows()
    sink = RecordingSink({f"exports/{STORE}/{OLENA}/req-0.json": {}})

    outcome = erase_customer(STORE, OLENA, workflows=workflows, sink=sink, request_id="req-9", now=NOW, storage=records)

    assert _everything(table) == {(customer_key(STORE, "c-other"), "PROFILE"), ErasureReceipt.key(STORE, OLENA)}
    # The partition's 9 items, and the look-ups: cart link, order owner, two coupons, visitor, phone, checkout.
    assert outcome.items == 9 + 7
    assert sorted(workflows.released) == [
        ("cart-token", {"outcome": CUSTOMER_ERASED}),  # a cart journey reads ``outcome``
        ("event-token", {"event": CUSTOMER_ERASED}),  # the others ``event``
        ("legacy-token", {"outcome": CUSTOMER_ERASED}),  # a token parked on the cart (legacy)
    ]
    assert outcome.journeys_stopped == 3
    assert sink.documents == {} and sink.deleted_prefixes == [f"exports/{STORE}/{OLENA}/"]
    receipt = table.get(ErasureReceipt, *ErasureReceipt.key(STORE, OLENA))
    assert (receipt.erased_at, receipt.request_id, receipt.items_deleted, receipt.journeys_stopped, receipt.exports_deleted) == (NOW, "req-9", 16, 3, 1)


def test_an_erasure_that_fails_before_its_end_writes_no_receipt_and_its_retry_completes_it(table, records):
    _olena_everywhere(table)

    class FailingWorkflows(StartOnceWorkflows):
        def release(self, task_token: str, outcome: dict) -> bool:
            raise RuntimeError("Step Functions unavailable")

    with pytest.raises(RuntimeError):
        erase_customer(STORE, OLENA, workflows=FailingWorkflows(), now=NOW, storage=records)
    assert not erased_since(STORE, OLENA, NOW - timedelta(days=1), storage=records)  # no receipt: not complete

    retried = erase_customer(STORE, OLENA, workflows=StartOnceWorkflows(), now=NOW, storage=records)
    assert erased_since(STORE, OLENA, NOW, storage=records)
    # The first try deleted the partition and its look-ups before it failed: the retry finds
    # nothing left to delete or release, and completes the erasure with its receipt.
    assert _everything(table) == {ErasureReceipt.key(STORE, OLENA)}
    assert retried.items == 0 and retried.journeys_stopped == 0


def test_erased_since_refuses_what_came_before_the_erasure_and_lets_a_returning_customer_start_afresh(table, records):
    erase_customer(STORE, OLENA, workflows=StartOnceWorkflows(), now=NOW, storage=records)
    assert erased_since(STORE, OLENA, NOW - timedelta(seconds=1), storage=records)
    assert erased_since(STORE, OLENA, NOW, storage=records)
    assert not erased_since(STORE, OLENA, NOW + timedelta(seconds=1), storage=records)
    assert not erased_since(STORE, "c-other", NOW - timedelta(days=1), storage=records)
    assert not erased_since(STORE, None, NOW, storage=records)


def _request(kind: str, at: datetime, customer: str | None = OLENA, event_id: str = "req-1") -> PrivacyRequest:
    return PrivacyRequest(
        event_id=event_id,
        store_id=STORE,
        occurred_at=at,
        source="shopify:customers/data_request",
        type=kind,
        customer=CustomerRef(customer_id=customer) if customer else None,
    )


def test_an_export_holds_the_whole_partition_as_json_and_a_replay_after_the_erasure_exports_nothing(table, records):
    _olena_everywhere(table)
    sink = RecordingSink()

    outcome = export_customer(_request("customer_data_requested", NOW), sink=sink, storage=records)

    document = sink.documents[f"exports/{STORE}/{OLENA}/req-1.json"]
    assert outcome.items == len(document["items"]) == 9 and outcome.export_location == f"s3://exports/exports/{STORE}/{OLENA}/req-1.json"
    assert (document["store_id"], document["customer_id"], document["request_id"], document["requested_at"]) == (STORE, OLENA, "req-1", "2026-11-10T15:00:00Z")
    assert next(item for item in document["items"] if item["sk"] == "PROFILE")["anonymous_ids"] == ["anon-1"]

    erase_customer(STORE, OLENA, workflows=StartOnceWorkflows(), sink=sink, now=NOW + timedelta(hours=1), storage=records)
    replayed = apply_privacy_request(_request("customer_data_requested", NOW), workflows=StartOnceWorkflows(), sink=sink, storage=records)
    assert replayed.items == 0 and sink.documents == {}


def test_shop_redact_erases_every_customer_and_the_store_s_leftovers_but_keeps_the_receipts(table, records):
    _olena_everywhere(table)
    _olena_everywhere(table, "c-2")  # names the same cart, order, coupon and visitor look-ups
    table.add(Customer(customer_key("other-shop", OLENA), Customer.sort_key(), store_id="other-shop", customer_id=OLENA))
    table.add(Customer(f"STORE#{STORE}#SETTINGS", "CURSOR"))  # store-level leftovers
    workflows = StartOnceWorkflows()

    outcome = erase_shop(STORE, workflows=workflows, storage=records)

    assert _everything(table) == {
        ErasureReceipt.key(STORE, OLENA),
        ErasureReceipt.key(STORE, "c-2"),
        (customer_key("other-shop", OLENA), "PROFILE"),
    }
    assert outcome.journeys_stopped == 6
    # Each customer's 16 keys (a look-up the other's erasure deleted is still named), the leftover.
    assert outcome.items == 16 + 16 + 1
