"""Load: the step's earlier attempt, and what the message is about (customer, cart, order,
and when the customer last bought the products the step's offer must not repeat)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from encore.clock import utcnow
from encore.delivery.request import StepRequest
from encore.storage.customers import CustomerRecords
from encore.storage.messages import MessageStore
from encore.storage.records import Cart, Customer, Message, Order, customer_key

# A step found in one of these is asked again: held back by a guard, or waiting for the
# shop's coupon (the store's on_coupon_failure: "retry"). Any other status was handled.
ASKED_AGAIN = frozenset({"deferred", "awaiting_coupon"})


@dataclass(frozen=True)
class LoadedStep:
    request: StepRequest
    pk: str
    sk: str
    previous: Message | None  # the record of an earlier attempt (deferred, awaiting_coupon)
    customer: Customer | None
    cart: Cart | None
    order: Order | None
    now: datetime
    # When the customer last bought each of the step's ``unless_bought`` products (never: absent).
    purchased: Mapping[str, datetime] = field(default_factory=dict)

    @property
    def first_attempt_at(self) -> datetime:
        """When the step first asked to send: staleness counts from then."""
        if self.previous is not None and self.previous.first_attempt_at:
            return self.previous.first_attempt_at
        return self.now

    @property
    def known_customer(self) -> Customer:
        """The customer, for the steps after the channel step (which skips a step without one)."""
        if self.customer is None:
            raise LookupError("no customer for this step: the channel step skips it")
        return self.customer


def step_keys(request: StepRequest) -> tuple[str, str]:
    return customer_key(request.store_id, request.customer_id), Message.sort_key(request.journey, request.step)


def previous_attempt(request: StepRequest, messages: MessageStore) -> Message | None:
    return messages.previous_attempt(*step_keys(request))


def load(request: StepRequest, previous: Message | None, customers: CustomerRecords) -> LoadedStep:
    pk, sk = step_keys(request)
    store_id, customer_id = request.store_id, request.customer_id
    customer = customers.customer(store_id, customer_id)
    cart = customers.cart(store_id, customer_id, request.cart_id) if request.cart_id else None
    # Marketing templates that mention an order (cross-sell, review request) need its name too.
    order = customers.order(store_id, customer_id, request.order_id) if request.order_id else None
    bought = {product_id: customers.last_purchased_at(store_id, customer_id, product_id) for product_id in request.unless_bought}
    purchased = {product_id: moment for product_id, moment in bought.items() if moment is not None}
    return LoadedStep(request, pk, sk, previous, customer, cart, order, utcnow(), purchased)
