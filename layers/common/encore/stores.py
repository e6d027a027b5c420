"""Per-store settings: timings and offers for each scenario, sender, brand and channels.

A store's settings live in a versioned JSON file (``stores/<store>.json`` in the store's own
deployment repository, ``infra/stores/`` here for the demo store), validated by this model
and loaded into SSM Parameter Store by ``encore settings load``. Defaults are
the ones SCENARIOS.md gives; timings reach the state machines through the execution input.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from encore.outbound import check_url

HOUR = 3600
DAY = 24 * HOUR


class _Settings(BaseModel):
    # Unknown keys are errors: a typo in a settings file must not silently keep a default.
    model_config = ConfigDict(extra="forbid", frozen=True)


# What a step carrying a coupon does when the shop refuses the code or cannot be reached
# (after the admin client's own retries): send the message without a code (the default), or
# give the step back for its state's Retry (ChannelUnavailable) and send it with a code later.
OnCouponFailure = Literal["send_without_code", "retry"]


class CouponSettings(_Settings):
    """How codes are stocked (encore.coupons). Shopify: codes are added in bulk ahead of need,
    ``stock_size`` at a time, when fewer than ``refill_below`` are left. An uploaded pool
    (other platforms) raises "Coupon pool low" when ``low_stock_alert_at`` are left."""

    stock_size: int = Field(default=20, ge=1, le=250)
    refill_below: int = Field(default=5, ge=1)
    low_stock_alert_at: int = Field(default=10, ge=0)


class CartAbandonmentSettings(_Settings):
    enabled: bool = True
    # When each reminder goes out, counted from the moment the cart was last updated.
    reminder_offsets_seconds: tuple[int, int, int] = (1 * HOUR, 24 * HOUR, 72 * HOUR)
    coupon_percent_off: int = Field(default=10, ge=1, le=100)
    coupon_valid_days: int = Field(default=7, ge=1)
    on_coupon_failure: OnCouponFailure = "send_without_code"
    # A cart older than this when it first reaches us is a historical import (a shop's data
    # brought in, not a shopper who just left): no journey. Later than Shopify's 4 hours of
    # retries, so a retried, redriven or replayed checkout still gets what is not stale.
    max_cart_age_hours: int = Field(default=48, ge=1)

    @model_validator(mode="after")
    def _increasing(self) -> "CartAbandonmentSettings":
        first, second, third = self.reminder_offsets_seconds
        if not 0 < first < second < third:
            raise ValueError("reminder_offsets_seconds must be positive and increasing")
        return self

    def execution_waits(self, elapsed_seconds: int = 0, *, stale_after_seconds: int = DAY) -> dict | None:
        """The journey's waits for a cart that changed ``elapsed_seconds`` ago.

        Step Functions waits run one after another, so offsets become gaps, each counted
        from the reminder before it. A cart that reaches us late (a Shopify retry up to 4 h,
        a redrive, a replay) keeps the reminders that are not stale yet: one whose moment
        passed more than ``stale_after_seconds`` ago is skipped (``first_reminder`` names the
        first one kept), one already due goes out at once, the rest at their own moments.
        None for a historical import (older than ``max_cart_age_hours``) or when every
        reminder is stale: no journey."""
        offsets = self.reminder_offsets_seconds
        elapsed = max(0, elapsed_seconds)
        if elapsed >= self.max_cart_age_hours * HOUR:
            return None
        kept = [number for number, offset in enumerate(offsets, start=1) if elapsed - offset <= stale_after_seconds]
        if not kept:
            return None
        waits: dict = {"first_reminder": kept[0]}
        moment = elapsed  # the journey's time, counted from the cart's change
        for number in kept:
            # A wait needs a positive timeout: an already due reminder goes out a second later.
            waits[f"before_reminder_{number}_seconds"] = wait = max(1, offsets[number - 1] - moment)
            moment += wait
        # After the last reminder keep listening for an order while the coupon is valid.
        waits["after_reminder_3_seconds"] = self.coupon_valid_days * DAY
        return waits

    def seconds_until_reminder(self, number: int, updated_at: datetime, now: datetime) -> int:
        """From ``now`` to reminder ``number`` of a cart last updated at ``updated_at`` (at
        least a second: a wait needs a positive timeout)."""
        due = updated_at + timedelta(seconds=self.reminder_offsets_seconds[number - 1])
        return max(1, math.ceil((due - now).total_seconds()))


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
    """1. Welcome series, and 7's registration confirmation (transactional: it goes out even
    when the series is switched off)."""

    enabled: bool = True
    # The store's own words about itself for the welcome email (plain text; blank lines
    # separate paragraphs). None: a short generic introduction.
    brand_intro: str | None = None
    # The store's curated best sellers (catalogue product ids), shown in the welcome and the
    # best sellers emails; sold-out or deleted ones are left out when the email is sent.
    best_sellers: tuple[str, ...] = ()
    coupon_percent_off: int = Field(default=10, ge=1, le=100)
    coupon_valid_days: int = Field(default=7, ge=1)
    on_coupon_failure: OnCouponFailure = "send_without_code"
    # Counted from the previous email: welcome → best sellers → coupon-expiry reminder.
    best_sellers_after_days: int = Field(default=2, ge=1)
    expiry_reminder_after_days: int = Field(default=3, ge=1)
    # A registration, subscription or first order older than this (a historical import, a
    # late webhook) welcomes nobody.
    max_trigger_age_hours: int = Field(default=24, ge=1)

    @model_validator(mode="after")
    def _reminder_before_expiry(self) -> "WelcomeSeriesSettings":
        if self.best_sellers_after_days + self.expiry_reminder_after_days >= self.coupon_valid_days:
            raise ValueError("the coupon-expiry reminder must go out before the coupon expires")
        return self

    def execution_waits(self) -> dict:
        return {
            "best_sellers_seconds": self.best_sellers_after_days * DAY,
            "expiry_reminder_seconds": self.expiry_reminder_after_days * DAY,
        }


class BrowseAbandonmentSettings(_Settings):
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


class UpSellSettings(_Settings):
    """5. Up-sell: a customer who views or adds a product with a higher-tier alternative in
    the catalogue (``upgrade_of``) is offered the upgrade, once per product."""

    enabled: bool = True
    # From the view or add-to-cart to the offer (an order of either product meanwhile ends it).
    offer_after_seconds: int = Field(default=15 * 60, ge=60)
    # How long to wait for an order of the upgrade before the one reminder.
    reminder_after_days: int = Field(default=2, ge=1)

    def execution_waits(self) -> dict:
        return {"before_offer_seconds": self.offer_after_seconds, "before_reminder_seconds": self.reminder_after_days * DAY}


class CrossSellSettings(_Settings):
    """6. Cross-sell: complementary products (the catalogue's ``complements``) after an order,
    and a review request for the complement once it is bought."""

    enabled: bool = True
    # Counted from the order: the thank-you with the complementary products.
    offer_after_hours: int = Field(default=24, ge=1)
    # Counted from the offer: the one reminder; then how long to keep listening for a purchase.
    reminder_after_days: int = Field(default=2, ge=1)
    last_wait_days: int = Field(default=3, ge=1)
    # Counted from the purchase of a complement: the review request for it (3-4 days).
    review_request_after_hours: int = Field(default=84, ge=1)
    max_products: int = Field(default=4, ge=1, le=12)  # complementary products shown
    # An order older than this (a historical import) starts no journey.
    max_order_age_hours: int = Field(default=24, ge=1)

    def execution_waits(self) -> dict:
        return {
            "before_offer_seconds": self.offer_after_hours * HOUR,
            "before_reminder_seconds": self.reminder_after_days * DAY,
            "after_reminder_seconds": self.last_wait_days * DAY,
            "before_review_request_seconds": self.review_request_after_hours * HOUR,
        }


class ReviewRequestSettings(_Settings):
    """8. Review request after delivery, timed by what was bought, branching on the rating."""

    enabled: bool = True
    # Days from delivery to the request, by the catalogue's ``product_type`` (lower case):
    # worn or used daily → [7-14 d]; durables need longer to judge → [>= 21 d]. The longest
    # applies to a mixed order; a type not listed (or no catalogue entry) gets the default.
    delay_days_by_product_type: dict[str, int] = {
        **dict.fromkeys(("apparel", "clothing", "shoes", "footwear", "cosmetics", "beauty", "jewellery", "jewelry"), 10),
        **dict.fromkeys(("durable", "durables", "furniture", "home goods", "sports equipment"), 21),
    }
    default_delay_days: int = Field(default=14, ge=1)
    # How long to wait for the review after the request, and after the one reminder.
    review_wait_days: int = Field(default=3, ge=1)
    after_reminder_wait_days: int = Field(default=4, ge=1)
    # Ratings of at least this are thanked with a referral invite; at most negative_up_to
    # get an apology and alert the store's staff; those between, a plain thank-you.
    positive_from: int = Field(default=4, ge=1, le=5)
    negative_up_to: int = Field(default=2, ge=1, le=5)
    # Off by default: rewarded reviews are less authentic. When set, the request carries a
    # coupon of this size, valid for incentive_valid_days.
    incentive_percent_off: int | None = Field(default=None, ge=1, le=100)
    incentive_valid_days: int = Field(default=30, ge=1)
    on_coupon_failure: OnCouponFailure = "send_without_code"

    @model_validator(mode="after")
    def _ratings_apart(self) -> "ReviewRequestSettings":
        if self.negative_up_to >= self.positive_from:
            raise ValueError("negative_up_to must be below positive_from")
        if any(days < 1 for days in self.delay_days_by_product_type.values()):
            raise ValueError("delay_days_by_product_type needs at least one day for every type")
        return self

    def delay_days(self, product_types) -> int:
        """The longest delay of the order's product types (None: not in the catalogue)."""
        return max(
            (self.delay_days_by_product_type.get((kind or "").strip().lower(), self.default_delay_days) for kind in product_types),
            default=self.default_delay_days,
        )

    def incentive(self) -> dict | None:
        if self.incentive_percent_off is None:
            return None
        return {"percent_off": self.incentive_percent_off, "valid_days": self.incentive_valid_days}

    def execution_waits(self, delay_seconds: int) -> dict:
        return {
            "before_request_seconds": delay_seconds,
            "review_seconds": self.review_wait_days * DAY,
            "after_reminder_seconds": self.after_reminder_wait_days * DAY,
        }


class EducationTip(_Settings):
    title: str = Field(min_length=1)
    body: str = Field(min_length=1)  # plain text; blank lines separate paragraphs


class EducationSeriesSettings(_Settings):
    """9. Education series: usage and care tips after the first purchase in a category."""

    enabled: bool = True
    # When each tip goes out, counted from the order.
    tip_offsets_days: tuple[int, int, int] = (2, 7, 14)
    # Three tips per catalogue category (the product's ``category``), in sending order.
    # Written by the store, read when each tip is sent; only a category with tips starts a
    # journey.
    tips: dict[str, tuple[EducationTip, EducationTip, EducationTip]] = {}
    # An order older than this (a historical import) starts no series.
    max_order_age_hours: int = Field(default=24, ge=1)

    @model_validator(mode="after")
    def _increasing(self) -> "EducationSeriesSettings":
        first, second, third = self.tip_offsets_days
        if not 0 < first < second < third:
            raise ValueError("tip_offsets_days must be positive and increasing")
        return self

    def tip(self, category: str | None, number: int) -> EducationTip | None:
        """Tip ``number`` (1-3) for the category; None once the store has removed it."""
        tips = self.tips.get(category or "")
        return tips[number - 1] if tips else None

    def execution_waits(self, elapsed_seconds: int = 0) -> dict:
        """Offsets become gaps; the first is shortened by the time the order took to reach
        us (at least a second: a wait needs a positive timeout)."""
        first, second, third = self.tip_offsets_days
        return {
            "before_tip_1_seconds": max(1, first * DAY - max(0, elapsed_seconds)),
            "before_tip_2_seconds": (second - first) * DAY,
            "before_tip_3_seconds": (third - second) * DAY,
        }


class CartThresholdNudgeSettings(_Settings):
    """17. Cart threshold nudge: a cart just below the free-delivery threshold gets one
    "add X more" email, once per cart, before the first cart-abandonment reminder."""

    enabled: bool = True
    # Free delivery from this cart total (store currency, minor units).
    threshold_cents: int = Field(default=5000, ge=1)
    # "Just below": at least this share of the threshold.
    near_percent: int = Field(default=75, ge=1, le=99)
    # The cart must rest this long before the nudge; keep it well under cart reminder 1.
    settle_seconds: int = Field(default=15 * 60, ge=60)

    @property
    def near_cents(self) -> int:
        """The smallest total that counts as just below the threshold."""
        return -(-self.threshold_cents * self.near_percent // 100)

    def is_just_below(self, total_cents: int) -> bool:
        return self.near_cents <= total_cents < self.threshold_cents

    def execution_waits(self) -> dict:
        return {"settle_seconds": self.settle_seconds}


class DeliverySettings(_Settings):
    """The guards of every marketing message (see encore.guards)."""

    # At most this many journeys message a customer per window (a series is one journey).
    max_journeys_per_window: int = Field(default=1, ge=1)
    window_days: int = Field(default=7, ge=1)
    # Lower number = more important: outranks (is never capped by) less important journeys.
    priorities: dict[str, int] = {
        "cart-abandonment": 1,
        "browse-abandonment": 2,
        "cart-threshold-nudge": 2,
        "welcome-series": 2,
        "up-sell": 3,
        "cross-sell": 3,
        "review-request": 3,
        "education-series": 4,
    }
    # Quiet hours in the customer's time zone (the store's when the customer's is unknown).
    quiet_hours_start: str = Field(default="21:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    quiet_hours_end: str = Field(default="09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    # A held-back message later than this after its first attempt is skipped, not sent.
    stale_after_hours: dict[str, int] = {
        "cart-abandonment": 24,
        "browse-abandonment": 24,
        "cart-threshold-nudge": 12,
        "up-sell": 48,
        "education-series": 14 * 24,  # care tips still help a week or two late
    }
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
        scenario_settings = getattr(self, (scenario or "").replace("-", "_"), None)
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
    def _postal_address_for_marketing(self) -> "StoreSettings":
        on = self.marketing_scenarios_on()
        if self.postal_address is None and on:
            # Raised with the field's own location, so `encore settings load` names it.
            problem = PydanticCustomError(
                "postal_address_required",
                "the store's postal address is required while a marketing scenario is on ({scenarios}): "
                "every marketing email shows it; add \"postal_address\" or switch those scenarios off",
                {"scenarios": ", ".join(on)},
            )
            raise ValidationError.from_exception_data(
                title=type(self).__name__, line_errors=[InitErrorDetails(type=problem, loc=("postal_address",), input=None)]
            )
        return self

    @classmethod
    def from_dict(cls, store_id: str, raw: dict) -> "StoreSettings":
        return cls.model_validate({**raw, "store_id": store_id})


# Scenarios whose messages are all transactional (sent without marketing consent); every
# other scenario with an ``enabled`` switch is marketing.
TRANSACTIONAL_SCENARIOS = frozenset({"post_purchase", "unpaid_order"})
MARKETING_SCENARIOS: tuple[str, ...] = tuple(
    name
    for name, field in StoreSettings.model_fields.items()
    if isinstance(field.default, _Settings) and "enabled" in type(field.default).model_fields and name not in TRANSACTIONAL_SCENARIOS
)


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
