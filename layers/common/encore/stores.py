"""Per-store settings: timings and offers for each scenario, sender, brand and channels.

A store's settings live in a versioned JSON file (``stores/<store>.json`` in the store's own
deployment repository, ``infra/stores/`` here for the demo store), validated by this model
and loaded into SSM Parameter Store by ``encore settings load``. Defaults are
the ones SCENARIOS.md gives; timings reach the state machines through the execution input.
"""

from __future__ import annotations

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from encore.scenarios import registry

# Each scenario's settings model lives in its module (encore/scenarios/<name>.py); they are
# named here too, where the store's settings are assembled, so importers need one place.
from encore.scenarios.browse_abandonment import BrowseAbandonmentSettings
from encore.scenarios.cart_abandonment import CartAbandonmentSettings
from encore.scenarios.cart_threshold_nudge import CartThresholdNudgeSettings
from encore.scenarios.cross_sell import CrossSellSettings
from encore.scenarios.education_series import EducationSeriesSettings, EducationTip
from encore.scenarios.post_purchase import PostPurchaseSettings
from encore.scenarios.review_request import ReviewRequestSettings
from encore.scenarios.spec import DAY, HOUR, OnCouponFailure
from encore.scenarios.spec import ScenarioSettings as _Settings
from encore.scenarios.unpaid_order import UnpaidOrderSettings
from encore.scenarios.up_sell import UpSellSettings
from encore.scenarios.welcome_series import WelcomeSeriesSettings

__all__ = [
    "DAY",
    "HOUR",
    "BrowseAbandonmentSettings",
    "CartAbandonmentSettings",
    "CartThresholdNudgeSettings",
    "CrossSellSettings",
    "EducationSeriesSettings",
    "EducationTip",
    "OnCouponFailure",
    "PostPurchaseSettings",
    "ReviewRequestSettings",
    "UnpaidOrderSettings",
    "UpSellSettings",
    "WelcomeSeriesSettings",
    "CouponSettings",
    "DeliverySettings",
    "StoreSettings",
    "MARKETING_SCENARIOS",
    "load_store_settings",
    "without_marketing",
]


class CouponSettings(_Settings):
    """How codes are stocked (encore.coupons). Shopify: codes are added in bulk ahead of need,
    ``stock_size`` at a time, when fewer than ``refill_below`` are left. An uploaded pool
    (other platforms) raises "Coupon pool low" when ``low_stock_alert_at`` are left."""

    stock_size: int = Field(default=20, ge=1, le=250)
    refill_below: int = Field(default=5, ge=1)
    low_stock_alert_at: int = Field(default=10, ge=0)


class DeliverySettings(_Settings):
    """The guards of every marketing message (see encore.guards)."""

    # At most this many journeys message a customer per window (a series is one journey).
    max_journeys_per_window: int = Field(default=1, ge=1)
    window_days: int = Field(default=7, ge=1)
    # Lower number = more important: outranks (is never capped by) less important journeys.
    # (Defaults: each scenario's ``priority`` in the registry.)
    priorities: dict[str, int] = registry.priorities()
    # Quiet hours in the customer's time zone (the store's when the customer's is unknown).
    quiet_hours_start: str = Field(default="21:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    quiet_hours_end: str = Field(default="09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    # A held-back message later than this after its first attempt is skipped, not sent.
    # (Defaults: each scenario's ``stale_after_hours`` in the registry; others the default.)
    stale_after_hours: dict[str, int] = registry.stale_after_hours()
    default_stale_after_hours: int = Field(default=7 * 24, ge=1)

    def stale_after(self, scenario: str | None) -> int:
        return self.stale_after_hours.get(scenario or "", self.default_stale_after_hours)


class Channels(_Settings):
    email: bool = True
    sms: bool = False
    push: bool = False


class Brand(_Settings):
    colour: str = Field(default="#18181b", pattern=r"^#[0-9a-fA-F]{6}$")
    logo_url: str | None = None


class StoreSettings(_Settings):
    store_id: str
    version: int = Field(default=0, ge=0)  # bumped with every change of the settings file
    name: str = "Encore demo store"
    sender: str = "Encore demo store <hello@shop.example>"
    storefront_url: str = "https://shop.example"
    locale: str = "en"
    locales: tuple[str, ...] = ("en",)
    time_zone: str = "UTC"
    currency: str = "USD"
    channels: Channels = Channels()
    # The SMS sender: a registered number (E.164, can receive STOP replies) or a sender name.
    sms_origination: str | None = None
    # The End User Messaging Push (Pinpoint) project holding the app's APNs / FCM channels.
    push_application_id: str | None = None
    delivery: DeliverySettings = DeliverySettings()
    brand: Brand = Brand()
    cart_abandonment: CartAbandonmentSettings = CartAbandonmentSettings()
    post_purchase: PostPurchaseSettings = PostPurchaseSettings()
    unpaid_order: UnpaidOrderSettings = UnpaidOrderSettings()
    welcome_series: WelcomeSeriesSettings = WelcomeSeriesSettings()
    browse_abandonment: BrowseAbandonmentSettings = BrowseAbandonmentSettings()
    up_sell: UpSellSettings = UpSellSettings()
    cross_sell: CrossSellSettings = CrossSellSettings()
    review_request: ReviewRequestSettings = ReviewRequestSettings()
    education_series: EducationSeriesSettings = EducationSeriesSettings()
    cart_threshold_nudge: CartThresholdNudgeSettings = CartThresholdNudgeSettings()
    coupons: CouponSettings = CouponSettings()

    def on_coupon_failure(self, scenario: str | None) -> str:
        """The scenario's ``on_coupon_failure`` (scenario as in execution names: 'cart-abandonment')."""
        declared = registry.BY_NAME.get(scenario or "")
        scenario_settings = getattr(self, declared.settings_field) if declared else None
        return getattr(scenario_settings, "on_coupon_failure", "send_without_code")

    # ---- emails a store can send (issue 11): the footer of every email shows this address.
    # The store's postal address as it should appear (lines separated by newlines). CAN-SPAM
    # and the Gmail / Yahoo bulk-sender rules want it in every marketing email, so it is
    # required while any marketing scenario is on (``_postal_address_for_marketing``).
    postal_address: str | None = Field(default=None, min_length=1, max_length=500)

    @field_validator("postal_address")
    @classmethod
    def _tidy_address(cls, address: str | None) -> str | None:
        if address is None:
            return None
        lines = [line.strip() for line in address.strip().splitlines() if line.strip()]
        if not lines:
            raise ValueError("postal_address must not be blank")
        return "\n".join(lines)

    def marketing_scenarios_on(self) -> list[str]:
        """The marketing scenarios this store switched on (settings field names)."""
        return [name for name in MARKETING_SCENARIOS if getattr(self, name).enabled]

    @model_validator(mode="after")
    def _postal_address_for_marketing(self) -> StoreSettings:
        on = self.marketing_scenarios_on()
        if self.postal_address is None and on:
            # Raised with the field's own location, so `encore settings load` names it.
            problem = PydanticCustomError(
                "postal_address_required",
                "the store's postal address is required while a marketing scenario is on ({scenarios}): "
                'every marketing email shows it; add "postal_address" or switch those scenarios off',
                {"scenarios": ", ".join(on)},
            )
            raise ValidationError.from_exception_data(
                title=type(self).__name__, line_errors=[InitErrorDetails(type=problem, loc=("postal_address",), input=None)]
            )
        return self

    @classmethod
    def from_dict(cls, store_id: str, raw: dict) -> StoreSettings:
        return cls.model_validate({**raw, "store_id": store_id})


# The settings fields of the marketing scenarios (a scenario with any marketing message).
MARKETING_SCENARIOS: tuple[str, ...] = registry.marketing_settings_fields()


def without_marketing(raw: dict) -> dict:
    """``raw`` settings with every marketing scenario switched off (transactional kept)."""
    return {**raw, **{name: {**(raw.get(name) or {}), "enabled": False} for name in MARKETING_SCENARIOS}}


def _only_the_address_is_missing(error: ValidationError) -> bool:
    return all(problem["type"] == "postal_address_required" for problem in error.errors())


def load_store_settings(parameters, store_id: str) -> StoreSettings:
    """``parameters`` is a StoreParameters adapter (SSM in AWS and in the local stack).

    Settings loaded before postal addresses were required (or no settings at all) lack one:
    ``encore settings load`` refuses such a file, but here, at run time, refusing would stop
    order confirmations too. Instead the store sends no marketing until its operator loads
    settings with an address, and every function says so in its log."""
    raw = parameters.store_settings(store_id)
    try:
        return StoreSettings.from_dict(store_id, raw)
    except ValidationError as error:
        if not _only_the_address_is_missing(error):
            raise
    from encore.observability import logger

    logger.warning("store settings lack postal_address: marketing scenarios are off", extra={"store_id": store_id})
    return StoreSettings.from_dict(store_id, without_marketing(raw))
