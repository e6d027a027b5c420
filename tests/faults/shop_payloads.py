"""Shopify Admin API resources as the shop holds them (the fake's ``add_checkout`` /
``add_order``), for the tests that recover missed webhooks from the shop."""

from __future__ import annotations

import copy
from datetime import timedelta

from tests.conftest import iso, load_event

MINUTE = timedelta(minutes=1)


def shopify_customer(number: int, name: str) -> dict:
    customer = copy.deepcopy(load_event("shopify_orders_create")["customer"])
    customer.update(id=700000 + number, email=f"{name}@example.com", first_name=name.title(), phone=None)
    return customer


def shopify_checkout(number: int, name: str, at) -> dict:
    checkout = copy.deepcopy(load_event("shopify_checkouts_update"))
    checkout.update(
        id=980000 + number,
        token=f"checkout-{number}",
        cart_token=f"cart-{number}",
        email=f"{name}@example.com",
        created_at=iso(at - MINUTE),
        updated_at=iso(at),
    )
    checkout["customer"] = shopify_customer(number, name)
    return checkout


def shopify_order(number: int, name: str, at, *, cart: bool = True, total: str = "98.00", financial_status: str = "paid", cancelled_at=None) -> dict:
    order = copy.deepcopy(load_event("shopify_orders_create"))
    order.update(
        id=450000 + number,
        email=f"{name}@example.com",
        created_at=iso(at),
        updated_at=iso(cancelled_at or at),
        processed_at=iso(at),
        cart_token=f"cart-{number}" if cart else None,
        checkout_token=None,
        total_price=total,
        financial_status=financial_status,
        cancelled_at=iso(cancelled_at) if cancelled_at else None,
        cancel_reason="customer" if cancelled_at else None,
        closed_at=None,
    )
    order["customer"] = shopify_customer(number, name)
    return order
