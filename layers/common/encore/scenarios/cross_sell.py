"""Scenario 6, cross-sell: after an order, offer what goes with it (the catalogue's
``complements``: phone → screen protector), once, with one reminder; when a complementary
product is bought, ask for its review a few days later. One journey per order."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from pydantic import Field

from encore.catalogue import sellable
from encore.clock import utcnow
from encore.events import OrderPlaced
from encore.scenarios.spec import DAY, HOUR, MessageTemplate, Scenario, ScenarioSettings
from encore.storage import scenario_starts
from encore.storage.scenario_starts import StartStorage

if TYPE_CHECKING:
    from encore.journeys import Journeys
    from encore.stores import StoreSettings

NAME = "cross-sell"


class CrossSellSettings(ScenarioSettings):
    """6. Cross-sell: complementary products (the catalogue's ``complements``) after an order,
    and a review request for the complement once it is bought."""

    enabled: bool = True
    # Counted from the order: the thank-you with the complementary products.
    offer_after_hours: int = Field(default=24, ge=1)
    # Counted from the offer: the one reminder; then how long to keep listening for a purchase.
    reminder_after_days: int = Field(default=2, ge=1)
    last_wait_days: int = Field(default=3, ge=1)
    # Counted from the purchase of a complement: the review request for it (3-4 days).
    review_request_after_hours: int = Field(default=84, ge=1)
    max_products: int = Field(default=4, ge=1, le=12)  # complementary products shown
    # An order older than this (a historical import) starts no journey.
    max_order_age_hours: int = Field(default=24, ge=1)

    def execution_waits(self) -> dict:
        return {
            "before_offer_seconds": self.offer_after_hours * HOUR,
            "before_reminder_seconds": self.reminder_after_days * DAY,
            "after_reminder_seconds": self.last_wait_days * DAY,
            "before_review_request_seconds": self.review_request_after_hours * HOUR,
        }


def complements_to_offer(event: OrderPlaced, limit: int, *, storage: StartStorage | None = None) -> list[str]:
    """The order's complementary products, in the order's and the catalogue's order: sellable
    ones the customer has not bought yet (this order included: it is recorded before the
    journeys start), at most ``limit``."""
    storage = storage or scenario_starts.on_dynamodb()
    ordered = list(dict.fromkeys(line.product_id for line in event.lines))
    bought_now = storage.catalogue.products(event.store_id, ordered)
    candidates = [complement for product_id in ordered if product_id in bought_now for complement in (bought_now[product_id].complements or [])]
    candidates = [product_id for product_id in dict.fromkeys(candidates) if product_id not in ordered]
    catalogue = storage.catalogue.products(event.store_id, candidates)
    owned = storage.shoppers.bought(event.store_id, event.customer.customer_id, candidates)
    return [product_id for product_id in candidates if sellable(catalogue.get(product_id)) and product_id not in owned][:limit]


def on_order_placed(event: OrderPlaced, customer_id: str, store: StoreSettings, journeys: Journeys, *, storage: StartStorage | None = None) -> bool:
    """Start the order's cross-sell journey; False when switched off, for a historical
    import, or when nothing in the catalogue complements the order."""
    settings = store.cross_sell
    if not settings.enabled or SCENARIO.too_old(event.occurred_at, settings, utcnow()):
        return False
    complements = complements_to_offer(event, settings.max_products, storage=storage)
    if not complements:
        return False
    return journeys.start(
        NAME,
        event.store_id,
        customer_id,
        event.order_id,
        {"order_id": event.order_id, "complements": complements, "waits": settings.execution_waits()},
    )


SCENARIO = Scenario(
    name=NAME,
    number=6,
    title="Cross-sell",
    settings_field="cross_sell",
    settings_model=CrossSellSettings,
    start_rules={"order_placed": on_order_placed},
    started_by="triggers",
    journey_key="order",
    start_window=lambda settings: timedelta(hours=settings.max_order_age_hours),
    templates=(
        MessageTemplate("cross_sell_offer", marketing=True, content="commercial", exit_rules=("bought",)),
        MessageTemplate("cross_sell_reminder", marketing=True, content="commercial", exit_rules=("bought",)),
        # The complement's review request, once it is bought (review request's own template).
        MessageTemplate("review_request", marketing=True, content="informational"),
    ),
    priority=3,
)
