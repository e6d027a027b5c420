"""3. Cart abandonment: a known customer's open cart that is not ordered gets up to three
reminders, counted from the cart's last update, the third with a coupon; an order thanks.

``encore.carts`` keeps the cart's state and calls ``start`` once the update is applied (an
update that moved the timer of a journey under way starts none)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import Field, model_validator

from encore.clock import iso, utcnow
from encore.events import CartUpdated
from encore.observability import logger
from encore.scenarios.spec import DAY, HOUR, MessageTemplate, OnCouponFailure, Scenario, ScenarioSettings

if TYPE_CHECKING:
    from encore.journeys import Journeys
    from encore.stores import StoreSettings

NAME = "cart-abandonment"


class CartAbandonmentSettings(ScenarioSettings):
    enabled: bool = True
    # When each reminder goes out, counted from the moment the cart was last updated.
    reminder_offsets_seconds: tuple[int, int, int] = (1 * HOUR, 24 * HOUR, 72 * HOUR)
    coupon_percent_off: int = Field(default=10, ge=1, le=100)
    coupon_valid_days: int = Field(default=7, ge=1)
    on_coupon_failure: OnCouponFailure = "send_without_code"
    # A cart older than this when it first reaches us is a historical import (a shop's data
    # brought in, not a shopper who just left): no journey. Later than Shopify's 4 hours of
    # retries, so a retried, redriven or replayed checkout still gets what is not stale.
    max_cart_age_hours: int = Field(default=48, ge=1)

    @model_validator(mode="after")
    def _increasing(self) -> CartAbandonmentSettings:
        first, second, third = self.reminder_offsets_seconds
        if not 0 < first < second < third:
            raise ValueError("reminder_offsets_seconds must be positive and increasing")
        return self

    def execution_waits(self, elapsed_seconds: int = 0, *, stale_after_seconds: int = DAY) -> dict | None:
        """The journey's waits for a cart that changed ``elapsed_seconds`` ago.

        Step Functions waits run one after another, so offsets become gaps, each counted
        from the reminder before it. A cart that reaches us late (a Shopify retry up to 4 h,
        a redrive, a replay) keeps the reminders that are not stale yet: one whose moment
        passed more than ``stale_after_seconds`` ago is skipped (``first_reminder`` names the
        first one kept), one already due goes out at once, the rest at their own moments.
        None when every reminder is stale: no journey. (A historical import, older than
        ``max_cart_age_hours``, is refused before: ``start``.)"""
        offsets = self.reminder_offsets_seconds
        elapsed = max(0, elapsed_seconds)
        kept = [number for number, offset in enumerate(offsets, start=1) if elapsed - offset <= stale_after_seconds]
        if not kept:
            return None
        waits: dict = {"first_reminder": kept[0]}
        moment = elapsed  # the journey's time, counted from the cart's change
        for number in kept:
            # A wait needs a positive timeout: an already due reminder goes out a second later.
            waits[f"before_reminder_{number}_seconds"] = wait = max(1, offsets[number - 1] - moment)
            moment += wait
        # After the last reminder keep listening for an order while the coupon is valid.
        waits["after_reminder_3_seconds"] = self.coupon_valid_days * DAY
        return waits

    def seconds_until_reminder(self, number: int, updated_at: datetime, now: datetime) -> int:
        """From ``now`` to reminder ``number`` of a cart last updated at ``updated_at`` (at
        least a second: a wait needs a positive timeout)."""
        due = updated_at + timedelta(seconds=self.reminder_offsets_seconds[number - 1])
        return max(1, math.ceil((due - now).total_seconds()))


def journey_waits(event: CartUpdated, store: StoreSettings) -> dict | None:
    """The waits of the journey this cart update would start (``execution_waits``); None for
    a historical import or when every reminder is stale: no journey."""
    settings = store.cart_abandonment
    now = utcnow()
    waits = None
    if not SCENARIO.too_old(event.occurred_at, settings, now):
        waits = settings.execution_waits(
            int((now - event.occurred_at).total_seconds()),
            stale_after_seconds=store.delivery.stale_after(NAME) * HOUR,
        )
    if waits is None:
        logger.info("cart event too old to start a journey", extra={"occurred_at": iso(event.occurred_at)})
    return waits


def start_journey(event: CartUpdated, customer_id: str, store: StoreSettings, journeys: Journeys, waits: dict) -> bool:
    settings = store.cart_abandonment
    return journeys.start(
        NAME,
        event.store_id,
        customer_id,
        event.cart_id,
        {
            "cart_id": event.cart_id,
            "waits": waits,
            "coupon": {"percent_off": settings.coupon_percent_off, "valid_days": settings.coupon_valid_days},
        },
    )


def start(event: CartUpdated, customer_id: str, store: StoreSettings, journeys: Journeys) -> bool:
    """The start rule, for a cart update ``encore.carts`` has applied (open, switched on, not
    ordered since, no journey timer moved): False when too old or already started."""
    waits = journey_waits(event, store)
    return waits is not None and start_journey(event, customer_id, store, journeys, waits)


SCENARIO = Scenario(
    name=NAME,
    number=3,
    title="Cart abandonment",
    settings_field="cart_abandonment",
    settings_model=CartAbandonmentSettings,
    start_rules={"cart_updated": start},
    started_by="carts",
    journey_key="cart",
    start_window=lambda settings: timedelta(hours=settings.max_cart_age_hours),
    templates=(
        MessageTemplate("cart_reminder_1", marketing=True, content="commercial", exit_rules=("cart_closed",)),
        MessageTemplate("cart_reminder_2", marketing=True, content="commercial", exit_rules=("cart_closed",)),
        MessageTemplate("cart_reminder_3", marketing=True, content="commercial", exit_rules=("cart_closed",)),
        MessageTemplate("cart_thank_you", marketing=True, content="informational"),
    ),
    priority=1,
    stale_after_hours=24,
)
