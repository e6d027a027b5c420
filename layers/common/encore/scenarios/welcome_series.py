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

from pynamodb.exceptions import DoesNotExist, PutError

from encore.clock import iso, utcnow
from encore.events import CustomerUpdated, OrderPlaced
from encore.journeys import WELCOME_SERIES, Journeys
from encore.models import Customer, Milestone, condition_failed, customer_key
from encore.stores import StoreSettings, WelcomeSeriesSettings

WELCOMED = "welcomed"
REGISTRATION_CONFIRMED = "registration_confirmed"
WELCOME_KEY = "welcome"
REGISTRATION_KEY = "registration"


def on_customer_updated(event: CustomerUpdated, store: StoreSettings, journeys: Journeys) -> bool:
    settings = store.welcome_series
    now = utcnow()
    max_age = timedelta(hours=settings.max_trigger_age_hours)
    consent = event.customer.email_consent
    registration = event.registered and now - event.occurred_at <= max_age
    subscription = consent is not None and consent.granted and now - (consent.updated_at or event.occurred_at) <= max_age
    if not (registration or subscription):
        return False
    pk = customer_key(event.store_id, event.customer.customer_id)
    confirm = registration and not _reached(pk, REGISTRATION_CONFIRMED)
    trigger = "registration" if registration else "subscription"
    started = _welcome(event.store_id, event.customer.customer_id, store, journeys, trigger=trigger, confirm_registration=confirm, since=event.occurred_at)
    if started or not confirm or _reached(pk, REGISTRATION_CONFIRMED):
        return started
    return _confirm_registration_only(event.store_id, event.customer.customer_id, journeys)


def on_order_placed(event: OrderPlaced, store: StoreSettings, journeys: Journeys) -> bool:
    settings = store.welcome_series
    if utcnow() - event.occurred_at > timedelta(hours=settings.max_trigger_age_hours):
        return False
    customer = _profile(customer_key(event.store_id, event.customer.customer_id))
    if customer is None or int(customer.orders_count or 0) != 1:
        return False
    return _welcome(event.store_id, event.customer.customer_id, store, journeys, trigger="first_order", confirm_registration=False, since=event.occurred_at)


def _welcome(
    store_id: str, customer_id: str, store: StoreSettings, journeys: Journeys, *, trigger: str, confirm_registration: bool, since: datetime
) -> bool:
    settings = store.welcome_series
    pk = customer_key(store_id, customer_id)
    if not settings.enabled:
        return False
    customer = _profile(pk)
    if customer is None or not customer.accepts_email_marketing or _reached(pk, WELCOMED):
        return False
    payload = _payload(settings, trigger=trigger, registration=confirm_registration, welcome=True, since=since)
    started = journeys.start(WELCOME_SERIES, store_id, customer_id, WELCOME_KEY, payload)
    journey = journeys.name(WELCOME_SERIES, store_id, customer_id, WELCOME_KEY)
    # Not started: the welcome journey exists already (a concurrent trigger, or this event
    # retried after a crash before the milestone was written): the customer is welcomed.
    _reach(pk, WELCOMED, journey)
    if started and confirm_registration:
        _reach(pk, REGISTRATION_CONFIRMED, journey)
    return started


def _confirm_registration_only(store_id: str, customer_id: str, journeys: Journeys) -> bool:
    payload = _payload(None, trigger="registration", registration=True, welcome=False, since=utcnow())
    started = journeys.start(WELCOME_SERIES, store_id, customer_id, REGISTRATION_KEY, payload)
    _reach(customer_key(store_id, customer_id), REGISTRATION_CONFIRMED, journeys.name(WELCOME_SERIES, store_id, customer_id, REGISTRATION_KEY))
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


def _profile(pk: str) -> Customer | None:
    try:
        return Customer.get(pk, Customer.sort_key(), consistent_read=True)
    except DoesNotExist:
        return None


def _reached(pk: str, name: str) -> bool:
    try:
        Milestone.get(pk, Milestone.sort_key(name), consistent_read=True)
        return True
    except DoesNotExist:
        return False


def _reach(pk: str, name: str, journey: str) -> None:
    """Record the milestone once (the first journey that reached it keeps it)."""
    try:
        Milestone(pk, Milestone.sort_key(name), reached_at=utcnow(), journey=journey).save(condition=Milestone.pk.does_not_exist())
    except PutError as error:
        if not condition_failed(error):
            raise
