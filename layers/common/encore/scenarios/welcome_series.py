"""1. Welcome series, with 7's registration confirmation.

Who is welcomed: a customer who registers, subscribes (grants email consent with this
event) or places a first order, recently (``max_trigger_age_hours``: an imported history
welcomes nobody), and who accepts email marketing at that moment. A welcome is marketing:
a customer who registers without consent gets only the (transactional) registration
confirmation, and is welcomed when they subscribe later instead of being "used up" by a
journey whose every email would be skipped.

Once ever: the journey's business key is fixed ("welcome"), so concurrent triggers start one
execution; Step Functions keeps that name unique only for 90 days after the execution
closes, so a ``welcomed`` milestone on the customer keeps the rule for good. The
registration confirmation has its own milestone: it goes out once, inside the welcome
journey when the registration welcomes the customer, else in a confirmation-only journey
(series switched off, no consent, already welcomed as a subscriber).

Milestones are written after the start: a retried event finds the execution by name (no
second journey) and still records the milestone. When a concurrent trigger (a first order
landing with the registration) took the welcome, the registration is confirmed in a
journey of its own; only a crash between a start and its milestone can then confirm twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import Field, model_validator

from encore.clock import iso, utcnow
from encore.events import CustomerUpdated, OrderPlaced
from encore.scenarios.spec import DAY, MessageTemplate, OnCouponFailure, Scenario, ScenarioSettings
from encore.storage import scenario_starts
from encore.storage.scenario_starts import StartStorage

if TYPE_CHECKING:
    from encore.journeys import Journeys
    from encore.storage.milestones import Milestones
    from encore.stores import StoreSettings

NAME = "welcome-series"

WELCOMED = "welcomed"
REGISTRATION_CONFIRMED = "registration_confirmed"
WELCOME_KEY = "welcome"
REGISTRATION_KEY = "registration"


class WelcomeSeriesSettings(ScenarioSettings):
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
    def _reminder_before_expiry(self) -> WelcomeSeriesSettings:
        if self.best_sellers_after_days + self.expiry_reminder_after_days >= self.coupon_valid_days:
            raise ValueError("the coupon-expiry reminder must go out before the coupon expires")
        return self

    def execution_waits(self) -> dict:
        return {
            "best_sellers_seconds": self.best_sellers_after_days * DAY,
            "expiry_reminder_seconds": self.expiry_reminder_after_days * DAY,
        }


def on_customer_updated(event: CustomerUpdated, customer_id: str, store: StoreSettings, journeys: Journeys, *, storage: StartStorage | None = None) -> bool:
    storage = storage or scenario_starts.on_dynamodb()
    settings = store.welcome_series
    now = utcnow()
    consent = event.customer.email_consent
    registration = event.registered and not SCENARIO.too_old(event.occurred_at, settings, now)
    subscription = consent is not None and consent.granted and not SCENARIO.too_old(consent.updated_at or event.occurred_at, settings, now)
    if not (registration or subscription):
        return False
    milestones = storage.milestones
    confirm = registration and not milestones.reached(event.store_id, customer_id, REGISTRATION_CONFIRMED)
    trigger = "registration" if registration else "subscription"
    started = _welcome(event.store_id, customer_id, store, journeys, storage, trigger=trigger, confirm_registration=confirm, since=event.occurred_at)
    if started or not confirm or milestones.reached(event.store_id, customer_id, REGISTRATION_CONFIRMED):
        return started
    return _confirm_registration_only(event.store_id, customer_id, journeys, milestones)


def on_order_placed(event: OrderPlaced, customer_id: str, store: StoreSettings, journeys: Journeys, *, storage: StartStorage | None = None) -> bool:
    storage = storage or scenario_starts.on_dynamodb()
    settings = store.welcome_series
    if SCENARIO.too_old(event.occurred_at, settings, utcnow()):
        return False
    customer = storage.profiles.profile(event.store_id, customer_id)
    if customer is None or int(customer.orders_count or 0) != 1:
        return False
    return _welcome(event.store_id, customer_id, store, journeys, storage, trigger="first_order", confirm_registration=False, since=event.occurred_at)


def _welcome(
    store_id: str,
    customer_id: str,
    store: StoreSettings,
    journeys: Journeys,
    storage: StartStorage,
    *,
    trigger: str,
    confirm_registration: bool,
    since: datetime,
) -> bool:
    settings = store.welcome_series
    if not settings.enabled:
        return False
    customer = storage.profiles.profile(store_id, customer_id)
    milestones = storage.milestones
    if customer is None or not customer.accepts_email_marketing or milestones.reached(store_id, customer_id, WELCOMED):
        return False
    payload = _payload(settings, trigger=trigger, registration=confirm_registration, welcome=True, since=since)
    started = journeys.start(NAME, store_id, customer_id, WELCOME_KEY, payload)
    journey = journeys.name(NAME, store_id, customer_id, WELCOME_KEY)
    # Not started: the welcome journey exists already (a concurrent trigger, or this event
    # retried after a crash before the milestone was written): the customer is welcomed.
    # The first journey that reached a milestone keeps it.
    milestones.reach_milestone(store_id, customer_id, WELCOMED, journey=journey, at=utcnow())
    if started and confirm_registration:
        milestones.reach_milestone(store_id, customer_id, REGISTRATION_CONFIRMED, journey=journey, at=utcnow())
    return started


def _confirm_registration_only(store_id: str, customer_id: str, journeys: Journeys, milestones: Milestones) -> bool:
    payload = _payload(None, trigger="registration", registration=True, welcome=False, since=utcnow())
    started = journeys.start(NAME, store_id, customer_id, REGISTRATION_KEY, payload)
    journey = journeys.name(NAME, store_id, customer_id, REGISTRATION_KEY)
    milestones.reach_milestone(store_id, customer_id, REGISTRATION_CONFIRMED, journey=journey, at=utcnow())
    return started


def _payload(settings: WelcomeSeriesSettings | None, *, trigger: str, registration: bool, welcome: bool, since: datetime) -> dict:
    """The execution input: ids and settings only, never contact details.

    ``orders_since``: an order placed after the moment that triggered the welcome ends it
    (timestamps have whole seconds). So the first order that triggers a welcome is not its
    exit, nor is one placed in the same second as the registration (an account created at
    checkout), whichever of the two events is handled first."""
    settings = settings or WelcomeSeriesSettings()
    return {
        "trigger": trigger,
        "registration": registration,
        "welcome": welcome,
        "orders_since": iso(since + timedelta(seconds=1)),
        "best_sellers": list(settings.best_sellers),
        "coupon": {"percent_off": settings.coupon_percent_off, "valid_days": settings.coupon_valid_days},
        "waits": settings.execution_waits(),
    }


SCENARIO = Scenario(
    name=NAME,
    number=1,
    title="Welcome series",
    settings_field="welcome_series",
    settings_model=WelcomeSeriesSettings,
    start_rules={"customer_updated": on_customer_updated, "order_placed": on_order_placed},
    started_by="triggers",
    journey_key="customer",
    start_window=lambda settings: timedelta(hours=settings.max_trigger_age_hours),
    templates=(
        # 7's registration confirmation: transactional, sent even when the series is off.
        MessageTemplate("registration_confirmation", marketing=False, content="informational"),
        MessageTemplate("welcome_1", marketing=True, content="commercial", exit_rules=("ordered_since",)),
        MessageTemplate("welcome_2", marketing=True, content="commercial", exit_rules=("ordered_since",)),
        MessageTemplate("welcome_3", marketing=True, content="commercial", exit_rules=("ordered_since",)),
    ),
    priority=2,
)
