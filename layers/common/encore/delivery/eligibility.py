"""Eligibility: the journey's exit rules, checked just before sending because the customer
may have ordered, paid or emptied the cart while the journey waited; and what the message
needs to go out at all (its order, a working unsubscribe link).

A step names its exit rules (``StepRequest.exit_if``, input version 2). A step input of
version 1 (an execution started before the rules were named) has none: they are inferred from
its template and fields exactly as they were then, so such a journey finishes unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import get_args

from encore.channels import ChannelName
from encore.delivery.load import LoadedStep
from encore.delivery.request import ExitRule, StepRequest, UnsubscribeLinks
from encore.messaging import CART_REMINDERS, ORDER_TEMPLATES, UNPAID_REMINDERS, is_marketing
from encore.stores import StoreSettings

EXIT_RULES: tuple[ExitRule, ...] = get_args(ExitRule)
CART_THRESHOLD_NUDGE = "cart_threshold_nudge"


def exit_rules(request: StepRequest) -> frozenset[ExitRule]:
    """The rules that end the journey at this step: named by the step, or inferred (version 1)."""
    if request.exit_if is not None:
        return frozenset(request.exit_if)
    return inferred_exit_rules(request)


def inferred_exit_rules(request: StepRequest) -> frozenset[ExitRule]:
    """The rules a version-1 step input meant, read from its template's name and its fields."""
    rules: set[ExitRule] = set()
    if request.template in UNPAID_REMINDERS:
        rules.add("order_settled")
    if request.template in CART_REMINDERS or request.template == CART_THRESHOLD_NUDGE:
        rules.add("cart_closed")
    if request.template == CART_THRESHOLD_NUDGE:
        rules.add("cart_reached_threshold")
    if request.skip_if_ordered_since is not None:
        rules.add("ordered_since")
    if request.unless_bought:
        rules.add("bought")
    return frozenset(rules)


def _order_settled(step: LoadedStep, store: StoreSettings) -> str | None:
    order = step.order
    if order is not None and (order.paid_at or order.cancelled_at):
        return "order_paid" if order.paid_at else "order_cancelled"
    return None


def _cart_closed(step: LoadedStep, store: StoreSettings) -> str | None:
    if step.cart is None or step.cart.status != "open":
        return f"cart_{step.cart.status if step.cart else 'missing'}"
    return None if step.cart.lines else "cart_empty"


def _cart_reached_threshold(step: LoadedStep, store: StoreSettings) -> str | None:
    # A free-delivery nudge only while the cart is still below the threshold.
    if step.cart is not None and step.cart.total_cents >= store.cart_threshold_nudge.threshold_cents:
        return "cart_reached_threshold"
    return None


def _ordered_since(step: LoadedStep, store: StoreSettings) -> str | None:
    since, last_order_at = step.request.skip_if_ordered_since, step.known_customer.last_order_at
    return "ordered" if since is not None and last_order_at is not None and last_order_at >= since else None


def _bought(step: LoadedStep, store: StoreSettings) -> str | None:
    request = step.request
    return "already_bought" if request.unless_bought and bought_any(step) else None


def bought_any(step: LoadedStep) -> bool:
    """One of the step's ``unless_bought`` products was bought (since the journey began, when it says)."""
    since = step.request.skip_if_ordered_since
    return any(since is None or step.purchased[product_id] >= since for product_id in step.request.unless_bought if product_id in step.purchased)


EXIT_CHECKS: dict[ExitRule, Callable[[LoadedStep, StoreSettings], str | None]] = {
    "order_settled": _order_settled,
    "cart_closed": _cart_closed,
    "cart_reached_threshold": _cart_reached_threshold,
    "ordered_since": _ordered_since,
    "bought": _bought,
}


def exit_reason(step: LoadedStep, store: StoreSettings) -> str | None:
    """Why the journey's purpose is gone (the first rule that holds), or None. Without a
    customer there is nothing to check: the channel step names why nothing goes out."""
    if step.customer is None:
        return None
    rules = exit_rules(step.request)
    return next((reason for rule, check in EXIT_CHECKS.items() if rule in rules and (reason := check(step, store))), None)


def missing_requirement(step: LoadedStep, channel: ChannelName | None, links: UnsubscribeLinks | None, store: StoreSettings) -> str | None:
    """What the message lacks to be sent. A template about one order needs the order.
    Marketing email must carry a working one-click unsubscribe link (RFC 8058; Gmail and
    Yahoo require it of bulk senders): without the store's unsubscribe key it is not sent.
    Nor without the store's postal address (CAN-SPAM), which settings loaded before it was
    required may lack (``stores.load_store_settings``)."""
    template = step.request.template
    if template in ORDER_TEMPLATES and step.order is None:
        return "order_missing"
    if channel != "email" or not is_marketing(template):
        return None
    if links is None or links.keys is None:
        return "no_unsubscribe_key"
    return None if store.postal_address else "no_postal_address"
