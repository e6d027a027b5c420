"""What each store event does, in order: the state it changes, the journeys waiting for it,
and the journeys it starts. Every event Lambda makes exactly one of these calls."""

from __future__ import annotations

from encore import waits
from encore.carts import CartOutcome, apply_cart_change, apply_cart_updated
from encore.clock import utcnow
from encore.customers import apply_customer_updated, apply_product_viewed, link_checkout_to_customer
from encore.events import CartUpdated, CustomerUpdated, OrderPlaced, OrderStatusChanged, ProductViewed
from encore.journeys import Journeys
from encore.observability import logger
from encore.orders import OrderOutcome, StatusOutcome, apply_order_placed, apply_order_status, finish_order_effects, take_kept_statuses
from encore.privacy import erased_since
from encore.scenarios import registry
from encore.stores import StoreSettings


def _from_before_an_erasure(event, customer_id: str | None) -> bool:
    """An event about a customer erased since it happened (a replay, a late redelivery, a
    redriven dead letter) changes nothing: erasure must not be undone."""
    if erased_since(event.store_id, customer_id, event.occurred_at):
        logger.info("event from before the customer's erasure ignored", extra={"type": event.type})
        return True
    return False


def _start_journeys(event, customer_id: str, *, store: StoreSettings, journeys: Journeys) -> bool:
    return registry.start_journeys("triggers", event, customer_id, store, journeys)


def customer_updated(event: CustomerUpdated, *, store: StoreSettings, journeys: Journeys) -> bool:
    """Returns whether a journey (the welcome) started."""
    if _from_before_an_erasure(event, event.customer.customer_id):
        return False
    apply_customer_updated(event)
    return _start_journeys(event, event.customer.customer_id, store=store, journeys=journeys)


def cart_updated(event: CartUpdated, *, store: StoreSettings, journeys: Journeys) -> CartOutcome:
    if event.customer and _from_before_an_erasure(event, event.customer.customer_id):
        return CartOutcome(customer_id=None)
    if event.change:
        # One product added or removed: from here on, the whole cart it changed.
        outcome, whole = apply_cart_change(event, store=store, journeys=journeys)
        if whole is None:
            return outcome
        event = whole
    else:
        outcome = apply_cart_updated(event, store=store, journeys=journeys)
    if event.checkout_token and event.customer and outcome.customer_id:
        # The signed webhook names the checkout's customer: the browser visitor that reported
        # this token (storefront pixel) becomes theirs — the only way a browser is linked.
        link_checkout_to_customer(event.store_id, event.checkout_token, outcome.customer_id, utcnow())
    if outcome.customer_id is None or not event.lines:
        return outcome
    product_ids = [line.product_id for line in event.lines]
    details = {"cart_id": event.cart_id, "product_ids": product_ids, "total_cents": event.total_cents}
    waits.release(event.store_id, outcome.customer_id, "cart_updated", None, details, workflows=journeys.workflows, product_ids=product_ids)
    _start_journeys(event, outcome.customer_id, store=store, journeys=journeys)
    return outcome


def order_placed(event: OrderPlaced, *, store: StoreSettings, journeys: Journeys) -> OrderOutcome:
    if _from_before_an_erasure(event, event.customer.customer_id):
        return OrderOutcome(counted=False, journeys_released=0)
    outcome = apply_order_placed(event, store=store, journeys=journeys)
    # Statuses that came before the order (a fulfilment names only the order) apply now,
    # after the journeys the order starts, so those journeys find them already happened.
    for status in take_kept_statuses(event.store_id, event.order_id):
        order_status(status, store=store, journeys=journeys)
    if not outcome.effects_pending:
        return outcome  # a repeated webhook: everything below already happened
    product_ids = sorted({line.product_id for line in event.lines})
    details = {"order_id": event.order_id, "product_ids": product_ids}
    waits.release(event.store_id, event.customer.customer_id, "order_placed", None, details, workflows=journeys.workflows, product_ids=product_ids)
    _start_journeys(event, event.customer.customer_id, store=store, journeys=journeys)
    finish_order_effects(event)
    return outcome


def order_status(event: OrderStatusChanged, *, store: StoreSettings, journeys: Journeys) -> StatusOutcome:
    outcome = apply_order_status(event, workflows=journeys.workflows)
    if outcome.applied and outcome.customer_id:
        _start_journeys(event, outcome.customer_id, store=store, journeys=journeys)
    return outcome


def product_viewed(event: ProductViewed, *, store: StoreSettings, journeys: Journeys) -> str:
    """Returns where the view was recorded: "customer", "visitor" or "unattributed"."""
    if event.customer and _from_before_an_erasure(event, event.customer.customer_id):
        return "unattributed"
    recorded_on, customer_id = apply_product_viewed(event)
    if customer_id is None:
        return recorded_on
    waits.release(
        event.store_id,
        customer_id,
        "product_viewed",
        None,
        {"product_ids": [event.product_id]},
        workflows=journeys.workflows,
    )
    _start_journeys(event, customer_id, store=store, journeys=journeys)
    return recorded_on
