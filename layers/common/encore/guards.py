"""The guards a message passes before it reaches a channel.

Order, cheapest and hardest first:
1. hard suppression (a hard bounce, a complaint, an SMS STOP) — every message, transactional
   ones too: an address that bounced will bounce again and hurts the sender's reputation;
2. for marketing only, the global frequency cap across all scenarios;
3. for marketing only, quiet hours in the customer's own time zone.

A capped or quiet-hours message is *deferred* (the journey waits until the returned moment
and asks again), not dropped — unless by then it would be stale (a cart reminder three days
late helps nobody), in which case it is skipped. Every outcome carries its reason.

The frequency cap counts *journeys*, not messages: the three emails of one welcome series are
one conversation, but a browse reminder, an up-sell offer and an education tip arriving in
the same week are three. A journey may message the customer when fewer than ``max_journeys``
other journeys of the same or higher priority did so within the window, so a cart reminder
(priority 1) still goes out after a newsletter (priority 5) but not the other way round.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from encore.journeys import SCENARIOS

UNKNOWN_SCENARIO_PRIORITY = 5  # campaigns and anything not ranked: the least urgent


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str | None = None
    defer_until: datetime | None = None

    @property
    def deferred(self) -> bool:
        return self.defer_until is not None


ALLOW = Verdict(True)


@dataclass(frozen=True)
class SentMarketing:
    """A marketing message the customer received: which journey, when."""

    journey: str
    sent_at: datetime


def scenario_of(journey: str) -> str | None:
    """Execution names start with their scenario (``journeys.execution_name``)."""
    return next((scenario for scenario in sorted(SCENARIOS, key=len, reverse=True) if journey.startswith(f"{scenario}-")), None)


def quiet_hours_end(now: datetime, zone: ZoneInfo, start: time, end: time) -> datetime | None:
    """The moment quiet hours end if ``now`` falls inside them (local time), else None.
    ``start`` after ``end`` means the quiet period spans midnight (21:00–09:00)."""
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    spans_midnight = start > end
    inside = (clock >= start or clock < end) if spans_midnight else (start <= clock < end)
    if not inside:
        return None
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    # Build the local wall time and let zoneinfo resolve DST (fold=0: the first occurrence).
    opening = datetime.combine(day, end, tzinfo=zone)
    return opening.astimezone(now.tzinfo)


def frequency_cap_until(
    journey: str,
    sent: Iterable[SentMarketing],
    *,
    now: datetime,
    window: timedelta,
    max_journeys: int,
    priorities: dict[str, int],
) -> datetime | None:
    """When this journey may message the customer under the cap (None: now)."""

    def priority(name: str) -> int:
        return priorities.get(scenario_of(name) or "", UNKNOWN_SCENARIO_PRIORITY)

    mine = priority(journey)
    latest: dict[str, datetime] = {}
    for message in sent:
        if message.journey == journey or now - message.sent_at >= window or priority(message.journey) > mine:
            continue
        latest[message.journey] = max(message.sent_at, latest.get(message.journey, message.sent_at))
    if len(latest) < max_journeys:
        return None
    # The cap frees up when the max_journeys-th most recent of them leaves the window.
    ordered = sorted(latest.values(), reverse=True)
    return ordered[max_journeys - 1] + window


def check_marketing(
    journey: str,
    sent: Iterable[SentMarketing],
    *,
    now: datetime,
    zone: ZoneInfo,
    window: timedelta,
    max_journeys: int,
    priorities: dict[str, int],
    quiet_start: time,
    quiet_end: time,
    stale_after: timedelta,
    first_attempt_at: datetime,
) -> Verdict:
    """Frequency cap, then quiet hours. ``first_attempt_at`` is when the step first asked
    to send: staleness counts from then, so repeated deferrals cannot postpone forever."""
    for reason, until in (
        ("frequency_cap", frequency_cap_until(journey, sent, now=now, window=window, max_journeys=max_journeys, priorities=priorities)),
        ("quiet_hours", quiet_hours_end(now, zone, quiet_start, quiet_end)),
    ):
        if until is None:
            continue
        if until - first_attempt_at > stale_after:
            return Verdict(False, f"{reason}_stale")
        return Verdict(False, reason, until)
    return ALLOW


# ---------------------------------------------------------------- campaign send window

TUESDAY, WEDNESDAY, THURSDAY = 1, 2, 3  # datetime.weekday()
MIN_ENGAGEMENTS_TO_LEARN = 3


def learned_active_hour(engaged_at: Iterable[datetime], zone: ZoneInfo) -> int | None:
    """The local hour at which this customer most often opens or clicks (ties: the
    earliest hour), once there are enough opens and clicks to say so."""
    hours = [moment.astimezone(zone).hour for moment in engaged_at]
    if len(hours) < MIN_ENGAGEMENTS_TO_LEARN:
        return None
    return min(set(hours), key=lambda hour: (-hours.count(hour), hour))


def next_campaign_slot(
    now: datetime,
    zone: ZoneInfo,
    *,
    days: tuple[int, ...] = (TUESDAY, WEDNESDAY, THURSDAY),
    start: time = time(10, 0),
    end: time = time(11, 0),
    active_hour: int | None = None,
) -> datetime:
    """Now if it is inside the campaign window (default Tue–Thu 10:00–11:00 local), else the
    window's next opening. A learned active hour replaces the default hour."""
    if active_hour is not None:
        start, end = time(active_hour, 0), time((active_hour + 1) % 24, 0) if active_hour < 23 else time(23, 59, 59)
    local = now.astimezone(zone)
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        if day.weekday() not in days:
            continue
        opening = datetime.combine(day, start, tzinfo=zone)
        closing = datetime.combine(day, end, tzinfo=zone)
        if local < opening:
            return opening.astimezone(now.tzinfo)
        if local < closing:
            return now
    raise ValueError("no campaign day in the week")  # only when ``days`` is empty
