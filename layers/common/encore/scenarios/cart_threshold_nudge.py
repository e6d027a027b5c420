"""17. Cart threshold nudge: a cart whose total is just below the store's free-delivery
threshold (at least ``near_percent`` of it) starts a journey that waits for the cart to rest
and then says how much more gets free delivery. Once per cart (the business key).

The journey re-checks every later change of the cart, and the send step checks the cart
once more (``messaging``: still open, still below the threshold).
"""

from __future__ import annotations

from datetime import timedelta

from pynamodb.exceptions import DoesNotExist

from encore.clock import utcnow
from encore.events import CartUpdated
from encore.journeys import CART_THRESHOLD_NUDGE, Journeys
from encore.models import Cart, customer_key
from encore.stores import StoreSettings


def on_cart_updated(event: CartUpdated, customer_id: str, store: StoreSettings, journeys: Journeys) -> bool:
    settings = store.cart_threshold_nudge
    if not settings.enabled or not event.lines or not settings.is_just_below(event.total_cents):
        return False
    if (event.currency or store.currency) != store.currency:
        return False  # the threshold is in the store's currency
    if utcnow() - event.occurred_at >= timedelta(seconds=settings.settle_seconds):
        return False  # a late or replayed event: the moment for a nudge has passed
    try:
        cart = Cart.get(customer_key(event.store_id, customer_id), Cart.sort_key(event.cart_id))
    except DoesNotExist:
        return False
    if cart.status != "open" or cart.updated_at > event.occurred_at:
        return False  # ordered already, or a newer update of the cart came first
    return journeys.start(
        CART_THRESHOLD_NUDGE,
        event.store_id,
        customer_id,
        event.cart_id,
        {
            "cart_id": event.cart_id,
            "threshold": {"cents": settings.threshold_cents, "near_cents": settings.near_cents},
            "waits": settings.execution_waits(),
        },
    )
