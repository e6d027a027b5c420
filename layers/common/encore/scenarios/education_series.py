"""Scenario: education_series (being built)."""

from __future__ import annotations

from encore.journeys import Journeys
from encore.stores import StoreSettings
from encore.events import OrderPlaced


def on_order_placed(event: OrderPlaced, store: StoreSettings, journeys: Journeys) -> bool:
    return False
