"""Guards: the frequency cap and quiet hours hold a marketing message back, or skip it when
it would be stale by then (``encore.guards`` holds the rules; this step reads what they
count). Transactional messages pass: no cap, no quiet hours.

Two journeys may decide at the same moment for one customer (a first order starts the welcome
and ends the cart journey with its thank-you): each counts the other's messages before either
claimed, and both would pass a cap that allows one. So the decision is serialised per customer
by a turn (``CapTurn``): read before counting, moved on after this step's claim on the condition
that it did not move meanwhile. Whoever moves it second counts again with the first's claim in
view, and holds its own message back if the cap says so: of two claims, the later to move the
turn always sees the earlier (a claim is written before its turn moves)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, cast

from encore.clock import first_known_zone
from encore.delivery import claim
from encore.delivery.load import LoadedStep
from encore.guards import ALLOW, SentMarketing, Verdict, check_marketing, scenario_of
from encore.messaging import is_marketing
from encore.storage.messages import MessageStore
from encore.storage.records import Message
from encore.stores import StoreSettings

if TYPE_CHECKING:
    from encore.channels import ChannelName

# Records that count against the frequency cap: sent, and those that may have gone out (a
# claim whose record a crash cut short, an uncertain send): over-counting holds one message
# back, under-counting mails a customer more than the store promised.
CAPPED_STATUSES = frozenset({"sent", "claimed", "uncertain"})


def sent_marketing(messages: MessageStore, pk: str, now: datetime, window: timedelta) -> list[SentMarketing]:
    """The customer's marketing messages within the cap's window (a consistent read: a claim
    written just before counts)."""
    return [
        SentMarketing(message.journey, message.sent_at or message.claimed_at)
        for message in messages.recent(pk, since=now - window)
        if message.status in CAPPED_STATUSES and is_marketing(message.template)
    ]


def verdict(step: LoadedStep, store: StoreSettings, messages: MessageStore) -> Verdict:
    request = step.request
    if not is_marketing(request.template):
        return ALLOW
    delivery = store.delivery
    window = timedelta(days=delivery.window_days)
    return check_marketing(
        request.journey,
        sent_marketing(messages, step.pk, step.now, window),
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


def cap_turn(step: LoadedStep, messages: MessageStore) -> int | None:
    """The customer's cap turn, read before the guards count (None: a transactional message,
    which the cap does not hold back)."""
    if not is_marketing(step.request.template):
        return None
    return messages.cap_turn(step.pk)


def hold_cap_turn(step: LoadedStep, store: StoreSettings, claimed: Message, turn: int | None, messages: MessageStore) -> Message:
    """Move the cap turn on for this claimed message. When another claim moved it since ``turn``
    was read, count again with that claim in view: allowed, move on from where the turn is now;
    held back, this claim becomes the deferral (or the skip) the guards name. Each refusal means
    another journey claimed meanwhile, so the loop ends; a failure gives the claim back
    (the caller's ``claim.given_back_on_failure``) and the step is retried whole."""
    if turn is None:
        return claimed
    # A move whose answer was lost is refused on the SDK's retry: counting again finds only this
    # journey's own claim, which the cap does not count, and moves it once more.
    while not messages.move_cap_turn(step.pk, turn):
        turn = messages.cap_turn(step.pk)
        again = verdict(step, store, messages)
        if not again.allowed:
            return claim.replace(claimed, claim.step_record(step, cast("ChannelName", claimed.channel), None, again), messages)
    return claimed
