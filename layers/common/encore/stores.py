"""Per-store settings: timings and offers for each scenario, sender, brand and channels.

A store's settings live in a versioned JSON file (``stores/<store>.json`` in the store's own
deployment repository, ``infra/stores/`` here for the demo store), validated by this model
and loaded into SSM Parameter Store by ``python -m infra.ops load-settings``. Defaults are
the ones SCENARIOS.md gives; timings reach the state machines through the execution input.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

HOUR = 3600
DAY = 24 * HOUR


class _Settings(BaseModel):
    # Unknown keys are errors: a typo in a settings file must not silently keep a default.
    model_config = ConfigDict(extra="forbid", frozen=True)


class CartAbandonmentSettings(_Settings):
    enabled: bool = True
    # When each reminder goes out, counted from the moment the cart was last updated.
    reminder_offsets_seconds: tuple[int, int, int] = (1 * HOUR, 24 * HOUR, 72 * HOUR)
    coupon_percent_off: int = Field(default=10, ge=1, le=100)
    coupon_valid_days: int = Field(default=7, ge=1)

    @model_validator(mode="after")
    def _increasing(self) -> "CartAbandonmentSettings":
        first, second, third = self.reminder_offsets_seconds
        if not 0 < first < second < third:
            raise ValueError("reminder_offsets_seconds must be positive and increasing")
        return self

    def execution_waits(self, elapsed_seconds: int = 0) -> dict | None:
        """Step Functions waits run one after another, so offsets become gaps. The first
        gap is shortened by the time the cart event took to reach us; None when the first
        reminder's moment is already past (a historical import starts no journey)."""
        first, second, third = self.reminder_offsets_seconds
        if elapsed_seconds >= first:
            return None
        return {
            "before_reminder_1_seconds": first - max(0, elapsed_seconds),
            "before_reminder_2_seconds": second - first,
            "before_reminder_3_seconds": third - second,
            # After the last reminder keep listening for an order while the coupon is valid.
            "after_reminder_3_seconds": self.coupon_valid_days * DAY,
        }


class PostPurchaseSettings(_Settings):
    enabled: bool = True
    # How long to wait for the shipment, then for the delivery, before giving up quietly.
    shipment_wait_days: int = Field(default=30, ge=1)
    delivery_wait_days: int = Field(default=30, ge=1)
    # Orders older than this (historical imports) get no confirmation.
    max_order_age_hours: int = Field(default=24, ge=1)

    def execution_waits(self) -> dict:
        return {"shipment_seconds": self.shipment_wait_days * DAY, "delivery_seconds": self.delivery_wait_days * DAY}


class UnpaidOrderSettings(_Settings):
    enabled: bool = True
    # Reminders with the payment link, counted from the moment the order was placed.
    reminder_offsets_seconds: tuple[int, int] = (1 * HOUR, 24 * HOUR)

    def execution_waits(self) -> dict:
        first, second = self.reminder_offsets_seconds
        return {"before_reminder_1_seconds": first, "before_reminder_2_seconds": second - first, "after_reminder_2_seconds": 2 * DAY}


class WelcomeSeriesSettings(_Settings):
    """1. Welcome series (and 7's registration confirmation). Completed by the scenario's owner."""

    enabled: bool = True


class BrowseAbandonmentSettings(_Settings):
    """2. Browse abandonment."""

    enabled: bool = True


class UpSellSettings(_Settings):
    """5. Up-sell."""

    enabled: bool = True


class CrossSellSettings(_Settings):
    """6. Cross-sell."""

    enabled: bool = True


class ReviewRequestSettings(_Settings):
    """8. Review request."""

    enabled: bool = True


class EducationSeriesSettings(_Settings):
    """9. Education series."""

    enabled: bool = True


class CartThresholdNudgeSettings(_Settings):
    """17. Cart threshold nudge."""

    enabled: bool = True


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

    @classmethod
    def from_dict(cls, store_id: str, raw: dict) -> "StoreSettings":
        return cls.model_validate({**raw, "store_id": store_id})


def load_store_settings(parameters, store_id: str) -> StoreSettings:
    """``parameters`` is a StoreParameters adapter (SSM in AWS and in the local stack)."""
    return StoreSettings.from_dict(store_id, parameters.store_settings(store_id))
