"""Scenario 8, review request: once an order is delivered, ask for a review of its products
when the customer has had time to try them (10 days for apparel, 21 for durables: the
catalogue's ``product_type``), then branch on the rating. One journey per order."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from pydantic import Field, model_validator

from encore.clock import utcnow
from encore.events import OrderStatusChanged
from encore.scenarios.spec import DAY, MessageTemplate, OnCouponFailure, Scenario, ScenarioSettings, too_old_to_start
from encore.storage import scenario_starts
from encore.storage.scenario_starts import StartStorage

if TYPE_CHECKING:
    from encore.journeys import Journeys
    from encore.stores import StoreSettings

NAME = "review-request"

MAX_SHOWN_PRODUCTS = 6  # a review request lists a few products, not a whole wholesale order


class ReviewRequestSettings(ScenarioSettings):
    """8. Review request after delivery, timed by what was bought, branching on the rating."""

    enabled: bool = True
    # Days from delivery to the request, by the catalogue's ``product_type`` (lower case):
    # worn or used daily → [7-14 d]; durables need longer to judge → [>= 21 d]. The longest
    # applies to a mixed order; a type not listed (or no catalogue entry) gets the default.
    delay_days_by_product_type: dict[str, int] = {
        **dict.fromkeys(("apparel", "clothing", "shoes", "footwear", "cosmetics", "beauty", "jewellery", "jewelry"), 10),
        **dict.fromkeys(("durable", "durables", "furniture", "home goods", "sports equipment"), 21),
    }
    default_delay_days: int = Field(default=14, ge=1)
    # How long to wait for the review after the request, and after the one reminder.
    review_wait_days: int = Field(default=3, ge=1)
    after_reminder_wait_days: int = Field(default=4, ge=1)
    # Ratings of at least this are thanked with a referral invite; at most negative_up_to
    # get an apology and alert the store's staff; those between, a plain thank-you.
    positive_from: int = Field(default=4, ge=1, le=5)
    negative_up_to: int = Field(default=2, ge=1, le=5)
    # Off by default: rewarded reviews are less authentic. When set, the request carries a
    # coupon of this size, valid for incentive_valid_days.
    incentive_percent_off: int | None = Field(default=None, ge=1, le=100)
    incentive_valid_days: int = Field(default=30, ge=1)
    on_coupon_failure: OnCouponFailure = "send_without_code"

    @model_validator(mode="after")
    def _ratings_apart(self) -> ReviewRequestSettings:
        if self.negative_up_to >= self.positive_from:
            raise ValueError("negative_up_to must be below positive_from")
        if any(days < 1 for days in self.delay_days_by_product_type.values()):
            raise ValueError("delay_days_by_product_type needs at least one day for every type")
        return self

    def delay_days(self, product_types) -> int:
        """The longest delay of the order's product types (None: not in the catalogue)."""
        return max(
            (self.delay_days_by_product_type.get((kind or "").strip().lower(), self.default_delay_days) for kind in product_types),
            default=self.default_delay_days,
        )

    def incentive(self) -> dict | None:
        if self.incentive_percent_off is None:
            return None
        return {"percent_off": self.incentive_percent_off, "valid_days": self.incentive_valid_days}

    def execution_waits(self, delay_seconds: int) -> dict:
        return {
            "before_request_seconds": delay_seconds,
            "review_seconds": self.review_wait_days * DAY,
            "after_reminder_seconds": self.after_reminder_wait_days * DAY,
        }


def _product_types(storage: StartStorage, store_id: str, product_ids: list[str]) -> list[str | None]:
    """Each product's type from the catalogue (None for a product not in it)."""
    found = storage.catalogue.products(store_id, product_ids)
    return [found[product_id].product_type if product_id in found else None for product_id in product_ids]


def on_order_delivered(event: OrderStatusChanged, customer_id: str, store: StoreSettings, journeys: Journeys, *, storage: StartStorage | None = None) -> bool:
    """Start the order's review request; False when switched off, when there is nothing to
    ask about (a cancelled or refunded order, products all reviewed already) or when the
    delivery is so old that the request's moment has passed (a historical import)."""
    settings = store.review_request
    if not settings.enabled:
        return False
    storage = storage or scenario_starts.on_dynamodb()
    order = storage.shoppers.order(event.store_id, customer_id, event.order_id)
    if order is None or not order.lines or order.cancelled_at is not None:
        return False
    if order.refunded_cents and order.total_cents is not None and order.refunded_cents >= order.total_cents:
        return False
    reviewed = storage.shoppers.reviewed_products(event.store_id, customer_id)  # asking again would nag
    products = [product_id for product_id in dict.fromkeys(line.product_id for line in order.lines) if product_id not in reviewed]
    if not products:
        return False
    delay = settings.delay_days(_product_types(storage, event.store_id, products)) * DAY
    delivered_at = order.delivered_at or event.occurred_at  # the first delivery report counts
    now = utcnow()
    if too_old_to_start(delivered_at, timedelta(seconds=delay), now):
        return False  # the request's moment has passed (a historical import)
    remaining = delay - int((now - delivered_at).total_seconds())
    return journeys.start(
        NAME,
        event.store_id,
        customer_id,
        event.order_id,
        {
            "order_id": event.order_id,
            "products": products,  # a review of any of them answers the request
            "shown_products": products[:MAX_SHOWN_PRODUCTS],
            "coupon": settings.incentive(),
            "ratings": {"positive_from": settings.positive_from, "negative_up_to": settings.negative_up_to},
            "waits": settings.execution_waits(remaining),
        },
    )


SCENARIO = Scenario(
    name=NAME,
    number=8,
    title="Review request",
    settings_field="review_request",
    settings_model=ReviewRequestSettings,
    start_rules={"order_delivered": on_order_delivered},
    started_by="triggers",
    journey_key="order",
    templates=(
        MessageTemplate("review_request", marketing=True, content="informational"),
        MessageTemplate("review_reminder", marketing=True, content="informational"),
        MessageTemplate("review_thank_you", marketing=True, content="informational"),
        MessageTemplate("review_apology", marketing=True, content="informational"),
        MessageTemplate("review_neutral_thank_you", marketing=True, content="informational"),
    ),
    priority=3,
)
