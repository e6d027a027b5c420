"""Reconciliation's state logic on the in-memory repository (``storage.fakes_reconcile``):
which recovered resource Encore already had, and where a scheduled run's window starts and
when its mark moves. Feeding ingest, the shops' APIs and the schedule itself are covered by
tests/faults/test_reconcile.py and test_scheduled_jobs.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from encore import reconcile
from encore.models import Cart, OrderOwner, customer_key
from encore.storage.fakes_reconcile import InMemoryReconcileState

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
STORE = "shop"
SHOP = {"platform": "shopify", "shop_domain": "shop.myshopify.com", "api_version": "2025-07"}
CREDENTIALS = {"access_token": "token"}


class ShopifyClient:
    def __init__(self, orders=(), checkouts=(), customers=()):
        self.orders, self.checkouts, self.customers = list(orders), list(checkouts), list(customers)

    def orders_updated(self, since, until):
        return self.orders

    def abandoned_checkouts_updated(self, since, until):
        return self.checkouts

    def customers_updated(self, since, until):
        return self.customers


class WooCommerceClient:
    def __init__(self, orders=()):
        self.orders = list(orders)

    def orders_modified(self, since, until):
        return self.orders

    def customers_modified(self, since, until):
        return []


def _cart(status: str, updated_at: datetime) -> Cart:
    return Cart(customer_key(STORE, "c-1"), Cart.sort_key("tok-1"), store_id=STORE, customer_id="c-1", cart_id="tok-1", status=status, updated_at=updated_at)


def _checkout(updated_at: datetime, customer: str | None = "c-1") -> dict:
    return {"token": "chk-1", "cart_token": "tok-1", "updated_at": updated_at.isoformat(), "customer": {"id": customer} if customer else None}


def _known(deliveries) -> dict[tuple[str, str], bool]:
    return {(delivery.topic, delivery.event_id.split(":")[2]): delivery.known for delivery in deliveries}


def test_an_order_is_known_when_its_owner_is_and_its_status_events_always_count_with_it():
    state = InMemoryReconcileState()
    state.table.add(OrderOwner(*OrderOwner.key(STORE, "1001"), customer_id="c-1"))
    orders = [
        {"id": 1001, "updated_at": "2026-11-10T10:00:00Z", "financial_status": "paid"},
        {"id": 1002, "updated_at": "2026-11-10T11:00:00Z", "cancelled_at": "2026-11-10T11:00:00Z"},
    ]
    deliveries = reconcile._shopify_deliveries(STORE, ShopifyClient(orders=orders), NOW - timedelta(hours=1), NOW, state)
    assert _known(deliveries) == {
        ("orders/create", "1001"): True,
        ("orders/create", "1002"): False,
        ("orders/paid", "1001"): True,
        ("orders/cancelled", "1002"): True,
    }
    woo = reconcile._woocommerce_deliveries(STORE, WooCommerceClient([{"id": 1001}, {"id": 7, "status": "completed"}]), NOW, NOW, state)
    assert _known(woo) == {("order.created", "1001"): True, ("order.created", "7"): False, ("order.updated", "7"): True}
    assert not reconcile._shopify_deliveries("other-shop", ShopifyClient(orders=orders[:1]), NOW, NOW, state)[0].known


@pytest.mark.parametrize(
    ("cart", "checkout_at", "known"),
    [
        (None, NOW, False),  # Encore never saw the cart
        (_cart("open", NOW - timedelta(hours=1)), NOW, False),  # the shop's checkout is newer
        (_cart("open", NOW), NOW, True),  # the webhook did arrive
        (_cart("open", NOW + timedelta(minutes=5)), NOW, True),  # Encore's cart is newer
        (_cart("ordered", NOW - timedelta(hours=1)), NOW, True),  # already ordered: stays as it is
    ],
)
def test_a_checkout_is_known_when_its_cart_is_ordered_or_as_new(cart, checkout_at, known):
    state = InMemoryReconcileState()
    if cart is not None:
        state.table.add(cart)
    assert reconcile._checkout_known(STORE, _checkout(checkout_at), state) is known
    assert reconcile._checkout_known(STORE, _checkout(checkout_at, customer=None), state) is False  # a guest's checkout


@pytest.fixture
def windows(monkeypatch):
    """The windows scheduled runs ask reconcile_store for; ``fail`` makes the next run fail."""
    asked: dict = {"windows": [], "fail": False}

    def reconcile_store(store_id, shop, *, admin_client, since, until, parameters, publisher, storage):
        asked["windows"].append((since, until))
        if asked["fail"]:
            raise ConnectionError("the shop's API is down")
        return reconcile.ReconcileReport(store_id=store_id, since=since, until=until)

    monkeypatch.setattr(reconcile, "reconcile_store", reconcile_store)
    return asked


def _run(state, at: datetime):
    return reconcile.reconcile_on_schedule(STORE, SHOP, credentials=CREDENTIALS, now=at, parameters=None, publisher=None, storage=state)


def test_a_scheduled_run_reads_from_the_last_mark_less_the_overlap_and_a_failed_run_leaves_its_window_to_the_next(windows):
    state = InMemoryReconcileState()
    _run(state, NOW)
    assert windows["windows"] == [(NOW - reconcile.FIRST_WINDOW, NOW)]  # the store's first run looks back a day
    assert state.last_scheduled_until(STORE) == NOW

    windows["fail"] = True
    with pytest.raises(ConnectionError):
        _run(state, NOW + timedelta(hours=1))
    assert state.last_scheduled_until(STORE) == NOW  # the mark did not move

    windows["fail"] = False
    _run(state, NOW + timedelta(hours=2))
    assert windows["windows"][-1] == (NOW - reconcile.SCHEDULE_OVERLAP, NOW + timedelta(hours=2))  # covers the failed hour
    assert state.last_scheduled_until(STORE) == NOW + timedelta(hours=2)
    assert state.last_scheduled_until("other-shop") is None
