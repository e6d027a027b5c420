"""``encore.waits`` on the in-memory repositories (``FakeWaitStore``, ``InMemoryWaitChecks``):
a journey parking finds what already happened since it began — the furthest moment of its
order, an order (of one of its products) placed, the latest review — and is released at once,
exactly once; what happened before it began, or is about another product, leaves it waiting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from encore import waits
from encore.models import Customer, Order, PurchasedProduct, Review, customer_key
from encore.storage.fakes import InMemoryTable
from encore.storage.fakes_wait_checks import InMemoryWaitChecks
from encore.storage.fakes_waits import FakeWaitStore
from tests.unit.fake_workflows import StartOnceWorkflows

STORE, CUSTOMER, JOURNEY = "shop", "olena", "post-purchase-shop-olena-1"
PK = customer_key(STORE, CUSTOMER)
BEGAN = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
NOW = BEGAN + timedelta(hours=1)


def _park(table: InMemoryTable, awaiting: list[str], *, key: str | None = None, products: list[str] | None = None):
    workflows, wait_store = StartOnceWorkflows(), FakeWaitStore()
    state = waits.park(
        STORE,
        CUSTOMER,
        JOURNEY,
        awaiting,
        key,
        "token-1",
        now=NOW,
        workflows=workflows,
        since=BEGAN,
        products=products,
        wait_store=wait_store,
        checks=InMemoryWaitChecks(table),
    )
    return state, workflows, wait_store


def test_a_journey_waiting_for_shipped_or_delivered_takes_the_furthest_moment_of_its_order():
    table = InMemoryTable()
    table.add(
        Order(PK, Order.sort_key("o-1"), store_id=STORE, customer_id=CUSTOMER, order_id="o-1", fulfilled_at=BEGAN, delivered_at=NOW, tracking_number="T1")
    )
    state, workflows, wait_store = _park(table, ["order_fulfilled", "order_delivered"], key="o-1")
    assert state == "order_delivered"
    assert workflows.released == [("token-1", {"event": "order_delivered", "key": "o-1", "tracking_url": None, "tracking_number": "T1"})]
    assert wait_store.get(STORE, CUSTOMER, JOURNEY) is None  # taken: no later event releases it again


def test_a_moment_not_awaited_or_another_order_leaves_the_journey_waiting():
    table = InMemoryTable()
    table.add(Order(PK, Order.sort_key("o-1"), store_id=STORE, customer_id=CUSTOMER, order_id="o-1", paid_at=BEGAN))
    for key in ("o-1", "o-2"):
        state, workflows, wait_store = _park(table, ["order_fulfilled"], key=key)
        assert (state, workflows.released) == ("waiting", [])
        assert wait_store.get(STORE, CUSTOMER, JOURNEY).task_token == "token-1"


def test_an_order_placed_since_the_journey_began_releases_it():
    table = InMemoryTable()
    table.add(Customer(PK, Customer.sort_key(), store_id=STORE, customer_id=CUSTOMER, last_order_at=BEGAN - timedelta(seconds=1)))
    assert _park(table, ["order_placed"])[0] == "waiting"  # ordered before it began
    table.add(Customer(PK, Customer.sort_key(), store_id=STORE, customer_id=CUSTOMER, last_order_at=BEGAN))
    state, workflows, _ = _park(table, ["order_placed"])
    assert state == "order_placed"
    assert workflows.released == [("token-1", {"event": "order_placed", "key": None, "ordered_at": "2026-11-10T09:00:00Z"})]


def test_with_products_only_a_purchase_of_one_of_them_counts():
    table = InMemoryTable()
    table.add(
        Customer(PK, Customer.sort_key(), store_id=STORE, customer_id=CUSTOMER, last_order_at=NOW),
        PurchasedProduct(PK, PurchasedProduct.sort_key("cup"), product_id="cup", last_purchased_at=NOW),
        PurchasedProduct(PK, PurchasedProduct.sort_key("mug"), product_id="mug", last_purchased_at=BEGAN - timedelta(days=1)),
    )
    assert _park(table, ["order_placed"], products=["mug"])[0] == "waiting"
    state, workflows, _ = _park(table, ["order_placed"], products=["mug", "cup"])
    assert state == "order_placed"
    assert workflows.released[0][1]["product_ids"] == ["cup"]


def test_the_latest_review_since_the_journey_began_of_one_of_its_products_releases_it():
    table = InMemoryTable()

    def review(review_id: str, product_id: str, rating: int, at: datetime) -> Review:
        return Review(
            PK, Review.sort_key(review_id), store_id=STORE, customer_id=CUSTOMER, review_id=review_id, product_id=product_id, rating=rating, reviewed_at=at
        )

    table.add(review("r-0", "shirt", 5, BEGAN - timedelta(minutes=1)), review("r-9", "beanie", 1, NOW))
    assert _park(table, ["review_submitted"], products=["shirt"])[0] == "waiting"
    table.add(review("r-1", "shirt", 4, BEGAN + timedelta(minutes=5)), review("r-2", "shirt", 2, BEGAN + timedelta(minutes=30)))
    state, workflows, _ = _park(table, ["review_submitted"], products=["shirt"])
    assert state == "review_submitted"
    assert workflows.released == [("token-1", {"event": "review_submitted", "key": None, "rating": 2, "product_id": "shirt", "review_id": "r-2"})]
