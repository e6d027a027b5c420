"""Scenario: browse_abandonment (being built)."""

from __future__ import annotations

from encore.journeys import Journeys
from encore.stores import StoreSettings
from encore.events import ProductViewed


def on_product_viewed(event: ProductViewed, customer_id: str, store: StoreSettings, journeys: Journeys) -> bool:
    return False
