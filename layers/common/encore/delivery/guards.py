"""Guards: the frequency cap and quiet hours hold a marketing message back, or skip it when
it would be stale by then (``encore.guards`` holds the rules; this step reads what they
count). Transactional messages pass: no cap, no quiet hours."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from encore.clock import first_known_zone
from encore.delivery.load import LoadedStep
from encore.guards import ALLOW, SentMarketing, Verdict, check_marketing, scenario_of
from encore.messaging import is_marketing
from encore.models import Message
from encore.stores import StoreSettings

# Records that count against the frequency cap: sent, and those that may have gone out (a
# claim whose record a crash cut short, an uncertain send): over-counting holds one message
# back, under-counting mails a customer more than the store promised.
CAPPED_STATUSES = frozenset({"sent", "claimed", "uncertain"})


def sent_marketing(pk: str, now: datetime, window: timedelta) -> list[SentMarketing]:
    """The customer's marketing messages within the cap's window (one Query on their partition)."""
    since = now - window
    return [
        SentMarketing(message.journey, message.sent_at or message.claimed_at)
        for message in Message.query(pk, Message.sk.startswith("MESSAGE#"), filter_condition=(Message.sent_at >= since) | (Message.claimed_at >= since))
        if message.status in CAPPED_STATUSES and is_marketing(message.template)
    ]


def verdict(step: LoadedStep, store: StoreSettings) -> Verdict:
    request = step.request
    if not is_marketing(request.template):
        return ALLOW
    delivery = store.delivery
    window = timedelta(days=delivery.window_days)
    return check_marketing(
        request.journey,
        sent_marketing(step.pk, step.now, window),
        now=step.now,
        zone=first_known_zone(step.known_customer.time_zone, store.time_zone),
        window=window,
        max_journeys=delivery.max_journeys_per_window,
        priorities=delivery.priorities,
        quiet_start=time.fromisoformat(delivery.quiet_hours_start),
        quiet_end=time.fromisoformat(delivery.quiet_hours_end),
        stale_after=timedelta(hours=delivery.stale_after(scenario_of(request.journey))),
        first_attempt_at=step.first_attempt_at,
    )
