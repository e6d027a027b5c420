"""17. Cart threshold nudge: a cart whose total is just below the store's free-delivery
threshold (at least ``near_percent`` of it) starts a journey that waits for the cart to rest
and then says how much more gets free delivery. Once per cart (the business key).

The journey re-checks every later change of the cart, and the send step checks the cart
once more (``messaging``: still open, still below the threshold).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from pydantic import Field

from encore.clock import utcnow
from encore.events import CartUpdated
from encore.scenarios.spec import MessageTemplate, Scenario, ScenarioSettings
from encore.storage import scenario_starts
from encore.storage.scenario_starts import StartStorage

if TYPE_CHECKING:
    from encore.journeys import Journeys
    from encore.stores import StoreSettings

NAME = "cart-threshold-nudge"


class CartThresholdNudgeSettings(ScenarioSettings):
    """17. Cart threshold nudge: a cart just below the free-delivery threshold gets one
    "add X more" email, once per cart, before the first cart-abandonment reminder."""

    enabled: bool = True
    # Free delivery from this cart total (store currency, minor units).
    threshold_cents: int = Field(default=5000, ge=1)
    # "Just below": at least this share of the threshold.
    near_percent: int = Field(default=75, ge=1, le=99)
    # The cart must rest this long before the nudge; keep it well under cart reminder 1.
    settle_seconds: int = Field(default=15 * 60, ge=60)

    @property
    def near_cents(self) -> int:
        """The smallest total that counts as just below the threshold."""
        return -(-self.threshold_cents * self.near_percent // 100)

    def is_just_below(self, total_cents: int) -> bool:
        return self.near_cents <= total_cents < self.threshold_cents

    def execution_waits(self) -> dict:
        return {"settle_seconds": self.settle_seconds}


def on_cart_updated(event: CartUpdated, customer_id: str, store: StoreSettings, journeys: Journeys, *, storage: StartStorage | None = None) -> bool:
    settings = store.cart_threshold_nudge
    if not settings.enabled or not event.lines or not settings.is_just_below(event.total_cents):
        return False
    if (event.currency or store.currency) != store.currency:
        return False  # the threshold is in the store's currency
    if SCENARIO.too_old(event.occurred_at, settings, utcnow()):
        return False  # a late or replayed event: the moment for a nudge has passed
    cart = (storage or scenario_starts.on_dynamodb()).customers.cart(event.store_id, customer_id, event.cart_id)
    if cart is None or cart.status != "open" or cart.updated_at > event.occurred_at:
        return False  # ordered already, or a newer update of the cart came first
    return journeys.start(
        NAME,
        event.store_id,
        customer_id,
        event.cart_id,
        {
            "cart_id": event.cart_id,
            "threshold": {"cents": settings.threshold_cents, "near_cents": settings.near_cents},
            "waits": settings.execution_waits(),
        },
    )


SCENARIO = Scenario(
    name=NAME,
    number=17,
    title="Cart threshold nudge",
    settings_field="cart_threshold_nudge",
    settings_model=CartThresholdNudgeSettings,
    start_rules={"cart_updated": on_cart_updated},
    started_by="triggers",
    journey_key="cart",
    start_window=lambda settings: timedelta(seconds=settings.settle_seconds),  # the nudge's moment
    templates=(
        MessageTemplate("cart_threshold_nudge", marketing=True, content="commercial", exit_rules=("cart_closed", "cart_reached_threshold", "ordered_since")),
    ),
    priority=2,
    stale_after_hours=12,
)
