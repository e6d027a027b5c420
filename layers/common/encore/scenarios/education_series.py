"""9. Education series: usage and care tips after a customer's first purchase in a category.

The category of each line comes from the catalogue (the order names products only). Every
order records the customer's first purchase in each of its categories as a milestone, even
when no journey starts (the series switched off, no tips for the category, an imported old
order): "first" means first ever, so a store that adds tips later does not treat a second
purchase as a first. One journey per customer and category, for good: the milestone
outlives the 90 days Step Functions keeps an execution name unique.

The tips themselves are store settings (``education_series.tips``), read when each tip is
sent, so a store edits them without code and journeys under way send the current text.
A journey starts whether or not the customer accepts marketing today: consent is checked
at each tip, and a customer who subscribes in the following days gets the tips still due.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from pydantic import Field, model_validator

from encore.clock import utcnow
from encore.events import OrderPlaced
from encore.scenarios.spec import DAY, MessageTemplate, Scenario, ScenarioSettings
from encore.storage import scenario_starts
from encore.storage.scenario_starts import StartStorage

if TYPE_CHECKING:
    from encore.journeys import Journeys
    from encore.stores import StoreSettings

NAME = "education-series"


class EducationTip(ScenarioSettings):
    title: str = Field(min_length=1)
    body: str = Field(min_length=1)  # plain text; blank lines separate paragraphs


class EducationSeriesSettings(ScenarioSettings):
    """9. Education series: usage and care tips after the first purchase in a category."""

    enabled: bool = True
    # When each tip goes out, counted from the order.
    tip_offsets_days: tuple[int, int, int] = (2, 7, 14)
    # Three tips per catalogue category (the product's ``category``), in sending order.
    # Written by the store, read when each tip is sent; only a category with tips starts a
    # journey.
    tips: dict[str, tuple[EducationTip, EducationTip, EducationTip]] = {}
    # An order older than this (a historical import) starts no series.
    max_order_age_hours: int = Field(default=24, ge=1)

    @model_validator(mode="after")
    def _increasing(self) -> EducationSeriesSettings:
        first, second, third = self.tip_offsets_days
        if not 0 < first < second < third:
            raise ValueError("tip_offsets_days must be positive and increasing")
        return self

    def tip(self, category: str | None, number: int) -> EducationTip | None:
        """Tip ``number`` (1-3) for the category; None once the store has removed it."""
        tips = self.tips.get(category or "")
        return tips[number - 1] if tips else None

    def execution_waits(self, elapsed_seconds: int = 0) -> dict:
        """Offsets become gaps; the first is shortened by the time the order took to reach
        us (at least a second: a wait needs a positive timeout)."""
        first, second, third = self.tip_offsets_days
        return {
            "before_tip_1_seconds": max(1, first * DAY - max(0, elapsed_seconds)),
            "before_tip_2_seconds": (second - first) * DAY,
            "before_tip_3_seconds": (third - second) * DAY,
        }


def on_order_placed(event: OrderPlaced, customer_id: str, store: StoreSettings, journeys: Journeys, *, storage: StartStorage | None = None) -> bool:
    """Returns whether a journey started (for at least one category)."""
    storage = storage or scenario_starts.on_dynamodb()
    settings = store.education_series
    now = utcnow()
    elapsed = now - event.occurred_at
    started = False
    for category in _categories(event, storage):
        if not _first_purchase(event, category, storage):
            continue
        too_old = SCENARIO.too_old(event.occurred_at, settings, now)
        if not settings.enabled or too_old or not settings.tips.get(category):
            continue
        payload = {"category": category, "order_id": event.order_id, "waits": settings.execution_waits(int(elapsed.total_seconds()))}
        started |= journeys.start(NAME, event.store_id, customer_id, category, payload)
    return started


def _categories(event: OrderPlaced, storage: StartStorage) -> list[str]:
    """The catalogue categories of the order's products (products unknown to the catalogue
    have none)."""
    product_ids = list(dict.fromkeys(line.product_id for line in event.lines))
    products = storage.catalogue.products(event.store_id, product_ids)
    return sorted({product.category for product in products.values() if product.category})


def _first_purchase(event: OrderPlaced, category: str, storage: StartStorage) -> bool:
    """Record the first purchase in the category; True for the order that made it (again
    when that order's event is retried, so a crash before the start does not lose it)."""
    return storage.milestones.reach_first_purchase(event.store_id, event.customer.customer_id, category, order_id=event.order_id, at=event.occurred_at)


SCENARIO = Scenario(
    name=NAME,
    number=9,
    title="Education series",
    settings_field="education_series",
    settings_model=EducationSeriesSettings,
    start_rules={"order_placed": on_order_placed},
    started_by="triggers",
    journey_key="category",
    start_window=lambda settings: timedelta(hours=settings.max_order_age_hours),
    templates=(
        MessageTemplate("education_tip_1", marketing=True, content="educational"),
        MessageTemplate("education_tip_2", marketing=True, content="educational"),
        MessageTemplate("education_tip_3", marketing=True, content="educational"),
    ),
    priority=4,
    stale_after_hours=14 * 24,  # care tips still help a week or two late
)
