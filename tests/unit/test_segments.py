from datetime import UTC, datetime, timedelta

from encore.customers import Rfm, rfm, segments
from encore.models import Customer

NOW = datetime(2026, 11, 20, tzinfo=UTC)


def _customer(orders: int, revenue_cents: int, days_since_last_order: int | None) -> Customer:
    last = NOW - timedelta(days=days_since_last_order) if days_since_last_order is not None else None
    return Customer("pk", "PROFILE", store_id="s", customer_id="c", orders_count=orders, revenue_cents=revenue_cents, last_order_at=last)


def test_a_customer_without_orders_is_new_and_has_no_rfm():
    customer = _customer(0, 0, None)
    assert rfm(customer, NOW) is None
    assert segments(customer, NOW) == {"new"}


def test_rfm_scores_grow_with_recency_frequency_and_money():
    assert rfm(_customer(1, 2_000, 400), NOW) == Rfm(recency=1, frequency=1, monetary=1)
    assert rfm(_customer(3, 20_000, 100), NOW) == Rfm(recency=3, frequency=3, monetary=3)
    assert rfm(_customer(9, 150_000, 3), NOW) == Rfm(recency=5, frequency=5, monetary=5)


def test_recency_decays_without_any_event():
    customer = _customer(2, 10_000, 10)
    assert rfm(customer, NOW).recency == 5
    assert rfm(customer, NOW + timedelta(days=200)).recency == 2


def test_segments_active_inactive_vip_and_cart_abandoner():
    assert segments(_customer(2, 10_000, 10), NOW) == {"active"}
    assert segments(_customer(2, 10_000, 120), NOW) == {"inactive"}
    assert segments(_customer(9, 150_000, 3), NOW) == {"active", "vip"}
    assert "cart_abandoner" in segments(_customer(1, 1_000, 5), NOW, has_open_cart=True)
