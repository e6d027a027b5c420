"""Scenario: review_request (being built)."""

from __future__ import annotations

from encore.journeys import Journeys
from encore.stores import StoreSettings
from encore.events import OrderStatusChanged


def on_order_delivered(event: OrderStatusChanged, customer_id: str, store: StoreSettings, journeys: Journeys) -> bool:
    return False
