"""2. Browse abandonment: a product view that shows purchase intent starts the journey that
waits for the visit to end and then reminds the customer of what they looked at.

Intent: more than ``min_dwell_seconds`` on the product's page (its views together) or at
least ``min_views`` views, and the product is not in one of the customer's open carts (an
add-to-cart is cart abandonment's business). At most one journey per customer and day (the
business key is the visit's date in the store's time zone), and none within
``cooldown_days`` of the last one: a ``JourneyRecord`` keeps that durably (Step Functions
keeps execution names for 90 days only), claimed with a conditional write so two views
landing together start one journey.

The journey input carries product ids only: what the customer viewed in the visit (the
product that showed intent first) and similar products from the catalogue.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import Field, field_validator

from encore.clock import first_known_zone, utcnow
from encore.events import ProductViewed
from encore.outbound import check_url
from encore.scenarios.spec import DAY, HOUR, MessageTemplate, Scenario, ScenarioSettings
from encore.storage import scenario_starts
from encore.storage.scenario_starts import StartStorage

if TYPE_CHECKING:
    from encore.journeys import Journeys
    from encore.storage.shoppers import ProductView, ShopperReads
    from encore.stores import StoreSettings

NAME = "browse-abandonment"


class BrowseAbandonmentSettings(ScenarioSettings):
    """2. Browse abandonment: a known customer who showed purchase intent for a product (a
    long look or repeat views) without adding it to the cart hears from the store after the
    visit, unless they order."""

    enabled: bool = True
    # Purchase intent: more than this much time on a product's page (all views together),
    # or at least this many views of it.
    min_dwell_seconds: int = Field(default=60, ge=0)
    min_views: int = Field(default=2, ge=1)
    # No view, cart or order for this long: the visit has ended.
    visit_idle_seconds: int = Field(default=30 * 60, ge=60)
    # From the end of the visit to the first email, and from the first to the reminder.
    reminder_1_after_seconds: int = Field(default=1 * HOUR, ge=60)
    reminder_2_after_seconds: int = Field(default=24 * HOUR, ge=60)
    # A customer is chased at most once per this many days (0: at most once a day).
    cooldown_days: int = Field(default=7, ge=0)
    # The email shows the products viewed in the visit and similar ones (same category).
    max_viewed_products: int = Field(default=3, ge=1)
    max_similar_products: int = Field(default=3, ge=0)
    # The ad platforms' retargeting audience webhook (None: off). Customers are added when
    # the visit ends and removed when they order, or this long after the last reminder.
    retargeting_webhook_url: str | None = None  # https, public hosts only (encore.outbound)
    retargeting_days: int = Field(default=14, ge=1)

    @field_validator("retargeting_webhook_url")
    @classmethod
    def _public_https_only(cls, url: str | None) -> str | None:
        if url is not None:
            check_url(url)  # UnsafeDestination is a ValueError: pydantic names the field
        return url

    def execution_waits(self) -> dict:
        return {
            "visit_idle_seconds": self.visit_idle_seconds,
            "before_reminder_1_seconds": self.reminder_1_after_seconds,
            "before_reminder_2_seconds": self.reminder_2_after_seconds,
            "in_audience_seconds": self.retargeting_days * DAY,
        }


def shows_intent(view: ProductView, settings: BrowseAbandonmentSettings) -> bool:
    return int(view.dwell_seconds or 0) > settings.min_dwell_seconds or int(view.views or 0) >= settings.min_views


def on_product_viewed(event: ProductViewed, customer_id: str, store: StoreSettings, journeys: Journeys, *, storage: StartStorage | None = None) -> bool:
    settings = store.browse_abandonment
    now = utcnow()
    if not settings.enabled or SCENARIO.too_old(event.occurred_at, settings, now):
        return False  # switched off, or a late or replayed view of a visit long over
    storage = storage or scenario_starts.on_dynamodb()
    shoppers = storage.shoppers
    view = shoppers.product_view(event.store_id, customer_id, event.product_id)
    if view is None or not shows_intent(view, settings):
        return False
    in_carts = shoppers.products_in_open_carts(event.store_id, customer_id)
    if event.product_id in in_carts:
        return False
    zone = first_known_zone(store.time_zone)  # a settings typo must not lose the view
    visit_day = event.occurred_at.astimezone(zone).date()
    business_key = visit_day.isoformat()
    name = journeys.name(NAME, event.store_id, customer_id, business_key)
    cooldown = timedelta(days=settings.cooldown_days)
    if not storage.milestones.claim_journey(event.store_id, customer_id, NAME, "", name, claimed_by=event.event_id, now=now, cooldown=cooldown):
        return False  # chased recently enough
    day_start = datetime.combine(visit_day, datetime.min.time(), tzinfo=zone)
    products = _products_to_show(shoppers, event.store_id, customer_id, event.product_id, in_carts, day_start, settings)
    return journeys.start(
        NAME,
        event.store_id,
        customer_id,
        business_key,
        {
            "products": products,
            "retargeting": settings.retargeting_webhook_url is not None,
            "audience": {"member": False},
            "waits": settings.execution_waits(),
        },
    )


def _products_to_show(
    shoppers: ShopperReads, store_id: str, customer_id: str, product_id: str, in_carts: set[str], day_start: datetime, settings: BrowseAbandonmentSettings
) -> list[str]:
    """The visit's viewed products not in a cart (the one that showed intent first, then the
    most recent), then similar ones from their categories, all still on sale."""
    others = sorted(
        (view for view in shoppers.views_since(store_id, customer_id, day_start) if view.product_id != product_id and view.product_id not in in_carts),
        key=lambda view: view.last_viewed_at,
        reverse=True,
    )
    viewed = shoppers.available_products(store_id, [product_id, *(view.product_id for view in others)], limit=settings.max_viewed_products)
    shown = {product.product_id for product in viewed} | in_carts | {product_id}
    candidates = [similar for product in viewed for similar in product.similar or () if similar not in shown]
    similar = shoppers.available_products(store_id, candidates, limit=settings.max_similar_products) if settings.max_similar_products else []
    return [product.product_id for product in [*viewed, *similar]]


SCENARIO = Scenario(
    name=NAME,
    number=2,
    title="Browse abandonment",
    settings_field="browse_abandonment",
    settings_model=BrowseAbandonmentSettings,
    start_rules={"product_viewed": on_product_viewed},
    started_by="triggers",
    journey_key="visit_day",
    start_window=lambda settings: timedelta(seconds=settings.visit_idle_seconds),  # the visit is over
    templates=(
        MessageTemplate("browse_reminder_1", marketing=True, content="commercial", exit_rules=("ordered_since",)),
        MessageTemplate("browse_reminder_2", marketing=True, content="commercial", exit_rules=("ordered_since",)),
    ),
    priority=2,
    stale_after_hours=24,
)
