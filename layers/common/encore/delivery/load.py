"""Load: the step's earlier attempt, and what the message is about (customer, cart, order)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from encore.clock import utcnow
from encore.delivery.request import StepRequest
from encore.models import Cart, Customer, Message, Order, customer_key, get_or_none

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


def previous_attempt(request: StepRequest) -> Message | None:
    return get_or_none(Message, *step_keys(request))


def load(request: StepRequest, previous: Message | None) -> LoadedStep:
    pk, sk = step_keys(request)
    customer = get_or_none(Customer, pk, Customer.sort_key())
    cart = get_or_none(Cart, pk, Cart.sort_key(request.cart_id)) if request.cart_id else None
    # Marketing templates that mention an order (cross-sell, review request) need its name too.
    order = get_or_none(Order, pk, Order.sort_key(request.order_id)) if request.order_id else None
    return LoadedStep(request, pk, sk, previous, customer, cart, order, utcnow())
