"""4. Unpaid order: an order placed without payment gets two reminders with its payment
link, until it is paid or cancelled. ``encore.orders`` starts it while placing the order.

A payment reminder is about an order the customer placed and has not paid: a service
message the customer needs to complete their own purchase, so it is transactional."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from encore.clock import utcnow
from encore.events import OrderPlaced
from encore.scenarios.spec import DAY, HOUR, MessageTemplate, Scenario, ScenarioSettings

if TYPE_CHECKING:
    from encore.journeys import Journeys
    from encore.stores import StoreSettings

NAME = "unpaid-order"


class UnpaidOrderSettings(ScenarioSettings):
    enabled: bool = True
    # Reminders with the payment link, counted from the moment the order was placed.
    reminder_offsets_seconds: tuple[int, int] = (1 * HOUR, 24 * HOUR)

    def execution_waits(self) -> dict:
        first, second = self.reminder_offsets_seconds
        return {"before_reminder_1_seconds": first, "before_reminder_2_seconds": second - first, "after_reminder_2_seconds": 2 * DAY}


def start(event: OrderPlaced, customer_id: str, store: StoreSettings, journeys: Journeys) -> bool:
    settings = store.unpaid_order
    if event.paid or not settings.enabled or SCENARIO.too_old(event.occurred_at, settings, utcnow()):
        return False
    return journeys.start(NAME, event.store_id, customer_id, event.order_id, {"order_id": event.order_id, "waits": settings.execution_waits()})


SCENARIO = Scenario(
    name=NAME,
    number=4,
    title="Unpaid order",
    settings_field="unpaid_order",
    settings_model=UnpaidOrderSettings,
    start_rules={"order_placed": start},
    started_by="orders",
    journey_key="order",
    start_window=lambda settings: timedelta(seconds=settings.reminder_offsets_seconds[0]),  # the first reminder's moment
    templates=(
        MessageTemplate("payment_reminder_1", marketing=False, content="informational", exit_rules=("order_settled",)),
        MessageTemplate("payment_reminder_2", marketing=False, content="informational", exit_rules=("order_settled",)),
    ),
)
