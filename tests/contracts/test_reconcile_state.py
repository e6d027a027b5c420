"""``ReconcileState`` (``encore.storage.reconciliation``) on the in-memory fake and on moto:
an order Encore has (its owner look-up), the customer's cart, and each store's scheduled mark."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from encore.models import Cart, OrderOwner, customer_key
from tests.unit.delivery_moto import bare_table  # noqa: F401  (fixture)
from tests.unit.privacy_moto import reconcile_repositories  # noqa: F401  (fixture)

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)


def test_an_order_is_known_by_its_owner_look_up_in_its_own_store(reconcile_repositories):
    repositories = reconcile_repositories
    assert not repositories.storage.order_known("shop", "1001")
    repositories.add(OrderOwner(*OrderOwner.key("shop", "1001"), customer_id="c-1"))
    assert repositories.storage.order_known("shop", "1001")
    assert not repositories.storage.order_known("shop2", "1001")
    assert not repositories.storage.order_known("shop", "100")


def test_the_cart_is_the_customers_own(reconcile_repositories):
    repositories = reconcile_repositories
    repositories.add(
        Cart(customer_key("shop", "c-1"), Cart.sort_key("tok"), store_id="shop", customer_id="c-1", cart_id="tok", status="ordered", updated_at=NOW)
    )
    cart = repositories.storage.cart("shop", "c-1", "tok")
    assert cart is not None and (cart.status, cart.updated_at) == ("ordered", NOW)
    assert repositories.storage.cart("shop", "c-2", "tok") is None
    assert repositories.storage.cart("shop", "c-1", "other") is None


def test_the_scheduled_mark_is_each_stores_own_and_a_later_run_moves_it(reconcile_repositories):
    repositories = reconcile_repositories
    assert repositories.storage.last_scheduled_until("shop") is None
    repositories.storage.mark_scheduled_run("shop", NOW)
    assert repositories.storage.last_scheduled_until("shop") == NOW
    assert repositories.storage.last_scheduled_until("shop2") is None
    repositories.storage.mark_scheduled_run("shop", NOW + timedelta(hours=1))
    assert repositories.storage.last_scheduled_until("shop") == NOW + timedelta(hours=1)
