"""7. Post-purchase (transactional): the order confirmation, then the shipping and delivery
notices as the order's statuses arrive. ``encore.orders`` starts it while placing the order,
before the statuses that arrived ahead of the order are applied, so the journey finds them."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from pydantic import Field

from encore.clock import utcnow
from encore.events import OrderPlaced
from encore.scenarios.spec import DAY, MessageTemplate, Scenario, ScenarioSettings

if TYPE_CHECKING:
    from encore.journeys import Journeys
    from encore.stores import StoreSettings

NAME = "post-purchase"


class PostPurchaseSettings(ScenarioSettings):
    enabled: bool = True
    # How long to wait for the shipment, then for the delivery, before giving up quietly.
    shipment_wait_days: int = Field(default=30, ge=1)
    delivery_wait_days: int = Field(default=30, ge=1)
    # Orders older than this (historical imports) get no confirmation.
    max_order_age_hours: int = Field(default=24, ge=1)

    def execution_waits(self) -> dict:
        return {"shipment_seconds": self.shipment_wait_days * DAY, "delivery_seconds": self.delivery_wait_days * DAY}


def start(event: OrderPlaced, customer_id: str, store: StoreSettings, journeys: Journeys) -> bool:
    settings = store.post_purchase
    if not settings.enabled or SCENARIO.too_old(event.occurred_at, settings, utcnow()):
        return False  # switched off, or a historical import: no confirmation for old orders
    return journeys.start(NAME, event.store_id, customer_id, event.order_id, {"order_id": event.order_id, "waits": settings.execution_waits()})


SCENARIO = Scenario(
    name=NAME,
    number=7,
    title="Post-purchase, transactional",
    settings_field="post_purchase",
    settings_model=PostPurchaseSettings,
    start_rules={"order_placed": start},
    started_by="orders",
    journey_key="order",
    start_window=lambda settings: timedelta(hours=settings.max_order_age_hours),
    templates=(
        MessageTemplate("order_confirmation", marketing=False, content="informational"),
        MessageTemplate("shipping_notice", marketing=False, content="informational"),
        MessageTemplate("delivery_notice", marketing=False, content="informational"),
    ),
)
