"""Scenario: cart_threshold_nudge (being built)."""

from __future__ import annotations

from encore.journeys import Journeys
from encore.stores import StoreSettings
from encore.events import CartUpdated


def on_cart_updated(event: CartUpdated, customer_id: str, store: StoreSettings, journeys: Journeys) -> bool:
    return False
