"""Scenario: welcome_series (being built)."""

from __future__ import annotations

from encore.journeys import Journeys
from encore.stores import StoreSettings
from encore.events import CustomerUpdated, OrderPlaced


def on_customer_updated(event: CustomerUpdated, store: StoreSettings, journeys: Journeys) -> bool:
    return False


def on_order_placed(event: OrderPlaced, store: StoreSettings, journeys: Journeys) -> bool:
    return False
