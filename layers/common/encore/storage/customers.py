"""Customers, read side (what a message is about: the customer, their cart, their order,
what they bought) and the one thing delivery writes about them, their app's push token.
Everything here lives in the customer's partition (``customer_key``)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from encore.models import Cart, Customer, Order, PurchasedProduct, customer_key, get_or_none


class CustomerRecords(Protocol):
    def customer(self, store_id: str, customer_id: str) -> Customer | None: ...

    def cart(self, store_id: str, customer_id: str, cart_id: str) -> Cart | None: ...

    def order(self, store_id: str, customer_id: str, order_id: str) -> Order | None: ...

    def last_purchased_at(self, store_id: str, customer_id: str, product_id: str) -> datetime | None:
        """When the customer last bought the product (None: never, as far as we know)."""

    def forget_push_token(self, customer: Customer) -> None:
        """The provider rejected the token (app uninstalled, token expired): drop it and its platform."""

    def replace_push_token(self, customer: Customer, token: str) -> None:
        """The provider rotated the token (FCM): keep the new one."""


class DynamoCustomerRecords:
    """``CustomerRecords`` on the DynamoDB table (``encore.models``)."""

    def customer(self, store_id: str, customer_id: str) -> Customer | None:
        return get_or_none(Customer, customer_key(store_id, customer_id), Customer.sort_key())

    def cart(self, store_id: str, customer_id: str, cart_id: str) -> Cart | None:
        return get_or_none(Cart, customer_key(store_id, customer_id), Cart.sort_key(cart_id))

    def order(self, store_id: str, customer_id: str, order_id: str) -> Order | None:
        return get_or_none(Order, customer_key(store_id, customer_id), Order.sort_key(order_id))

    def last_purchased_at(self, store_id: str, customer_id: str, product_id: str) -> datetime | None:
        bought = get_or_none(PurchasedProduct, customer_key(store_id, customer_id), PurchasedProduct.sort_key(product_id))
        return bought.last_purchased_at if bought is not None else None

    def forget_push_token(self, customer: Customer) -> None:
        customer.update(actions=[Customer.push_token.remove(), Customer.push_platform.remove()])

    def replace_push_token(self, customer: Customer, token: str) -> None:
        customer.update(actions=[Customer.push_token.set(token)])
