"""5. Up-sell: a viewed or added product with a higher-tier alternative in the catalogue (a
product whose ``upgrade_of`` names it; the import writes the reverse list, ``upgrades``,
onto the base product) starts a journey that offers the upgrade.

Once per customer and base product, for good (a ``JourneyRecord``, since execution names
are unique for 90 days only). No offer when the customer already bought one of the
product's upgrades or has one in an open cart. Of several upgrades the next tier up is
offered: the cheapest one still on sale.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from pydantic import Field

from encore.clock import utcnow
from encore.events import CartUpdated, ProductViewed
from encore.scenarios.spec import DAY, MessageTemplate, Scenario, ScenarioSettings
from encore.storage import scenario_starts
from encore.storage.records import Product
from encore.storage.scenario_starts import StartStorage

if TYPE_CHECKING:
    from encore.journeys import Journeys
    from encore.stores import StoreSettings

NAME = "up-sell"


class UpSellSettings(ScenarioSettings):
    """5. Up-sell: a customer who views or adds a product with a higher-tier alternative in
    the catalogue (``upgrade_of``) is offered the upgrade, once per product."""

    enabled: bool = True
    # From the view or add-to-cart to the offer (an order of either product meanwhile ends it).
    offer_after_seconds: int = Field(default=15 * 60, ge=60)
    # How long to wait for an order of the upgrade before the one reminder.
    reminder_after_days: int = Field(default=2, ge=1)

    def execution_waits(self) -> dict:
        return {"before_offer_seconds": self.offer_after_seconds, "before_reminder_seconds": self.reminder_after_days * DAY}


def on_product_viewed(event: ProductViewed, customer_id: str, store: StoreSettings, journeys: Journeys, *, storage: StartStorage | None = None) -> bool:
    if not _timely(event.occurred_at, store):
        return False
    storage = storage or scenario_starts.on_dynamodb()
    return _offer_upgrade(event.store_id, customer_id, event.product_id, store, journeys, storage, in_carts=None, event_id=event.event_id)


def on_cart_updated(event: CartUpdated, customer_id: str, store: StoreSettings, journeys: Journeys, *, storage: StartStorage | None = None) -> bool:
    """One offer per cart change at most: the first line (in cart order) that has one."""
    if not _timely(event.occurred_at, store):
        return False
    storage = storage or scenario_starts.on_dynamodb()
    in_cart = {line.product_id for line in event.lines}
    return any(
        _offer_upgrade(event.store_id, customer_id, product_id, store, journeys, storage, in_carts=in_cart, event_id=event.event_id)
        for product_id in dict.fromkeys(line.product_id for line in event.lines)
    )


def _timely(occurred_at, store: StoreSettings) -> bool:
    """Switched on, and the event is not older than the offer's delay (a late or replayed
    event starts nothing)."""
    return store.up_sell.enabled and not SCENARIO.too_old(occurred_at, store.up_sell, utcnow())


def _next_tier(upgrades: list[Product]) -> Product:
    priced = [product for product in upgrades if product.price_cents is not None]
    return min(priced, key=lambda product: product.price_cents) if priced else upgrades[0]


def _offer_upgrade(
    store_id: str,
    customer_id: str,
    product_id: str,
    store: StoreSettings,
    journeys: Journeys,
    storage: StartStorage,
    *,
    in_carts: set[str] | None,
    event_id: str,
) -> bool:
    shoppers = storage.shoppers
    base = shoppers.product(store_id, product_id)
    if base is None or not base.upgrades:
        return False
    upgrades = shoppers.available_products(store_id, base.upgrades)
    if not upgrades:
        return False
    upgrade_ids = [upgrade.product_id for upgrade in upgrades]
    if shoppers.bought_any(store_id, customer_id, base.upgrades):
        return False  # already owns a higher tier
    if in_carts is None:
        in_carts = shoppers.products_in_open_carts(store_id, customer_id)
    if in_carts & set(upgrade_ids):
        return False  # already chose the upgrade
    upgrade = _next_tier(upgrades)
    name = journeys.name(NAME, store_id, customer_id, product_id)
    if not storage.milestones.claim_journey(store_id, customer_id, NAME, product_id, name, claimed_by=event_id, now=utcnow(), cooldown=None):
        return False
    return journeys.start(
        NAME,
        store_id,
        customer_id,
        product_id,
        {
            "product_id": product_id,
            "upgrade_id": upgrade.product_id,
            # An order of either ends a wait: the upgrade (thank-you) or the product (decided).
            "watched_products": [product_id, upgrade.product_id],
            "waits": store.up_sell.execution_waits(),
        },
    )


SCENARIO = Scenario(
    name=NAME,
    number=5,
    title="Up-sell",
    settings_field="up_sell",
    settings_model=UpSellSettings,
    start_rules={"product_viewed": on_product_viewed, "cart_updated": on_cart_updated},
    started_by="triggers",
    journey_key="product",
    start_window=lambda settings: timedelta(seconds=settings.offer_after_seconds),  # the offer's moment
    templates=(
        MessageTemplate("up_sell_offer", marketing=True, content="commercial", exit_rules=("bought",)),
        MessageTemplate("up_sell_thank_you", marketing=True, content="informational"),
        MessageTemplate("up_sell_reminder", marketing=True, content="commercial", exit_rules=("bought",)),
    ),
    priority=3,
    stale_after_hours=48,
)
