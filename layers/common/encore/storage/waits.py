"""Journey waits: where a journey's parked Step Functions task token lives until what it waits
for happens (one of the customer's events, or the cart's order or next update).

One kind of record (``JourneyWait``, sk = WAIT#<execution name>) and one protocol for every
wait: the journey parks its token, then checks whether what it waits for already happened;
the code that sees it happen takes the token. A take is conditional, so of everyone who
tries, exactly one gets the token and releases the journey (the others get None).

A cart journey's record also counts how often cart updates moved its timers: a timer move
takes the token but keeps the record (and its count) for the wait the journey parks next.
A record without a token is not a wait (its journey is between two waits).

A take that deletes the record cannot be recognised by its taker if DynamoDB's answer is lost
(the SDK's retry then finds no record): that journey waits until its own timeout, as a journey
whose event never came. A timer move keeps the record and names its taker, so it can.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pynamodb.exceptions import DeleteError
from pynamodb.expressions.update import Action

from encore.models import Cart, JourneyWait, condition_failed, customer_key, get_or_none, update_returning


@dataclass(frozen=True)
class Wait:
    """A parked journey: its token, what it waits for, and (a cart journey) the reminder
    the wait leads to."""

    store_id: str
    customer_id: str
    journey: str  # the execution name
    awaiting: frozenset[str]
    task_token: str
    parked_at: datetime
    key: str | None = None  # the business key the event must match (an order id, a cart id)
    products: frozenset[str] | None = None  # only an event about one of these counts (None: any)
    reminder: str | None = None  # a cart journey's next reminder ("reminder_2"); None: none
    timer_moves: int = 0  # how often cart updates moved this journey's timers (read only)


@dataclass(frozen=True)
class LegacyCartWait:
    """A token an earlier release parked on the Cart item itself (``Cart.journey_token``)."""

    task_token: str
    reminder: str | None


class WaitStore(Protocol):
    def park(self, wait: Wait) -> None:
        """Keep the token (replacing the journey's earlier wait; a timer count stays)."""

    def take(self, store_id: str, customer_id: str, journey: str, *, task_token: str | None = None) -> Wait | None:
        """Remove the journey's wait and return it, only if it is parked (with ``task_token``:
        only if it still holds that token). None: nobody waits, or someone took it first."""

    def take_to_move(self, store_id: str, customer_id: str, journey: str, *, max_moves: int, taker: str) -> Wait | None:
        """Take the token of a wait that leads to a reminder, counting one timer move, while
        fewer than ``max_moves`` happened; the record (and its count) stays for the next park.
        The same ``taker`` asking again before the next park gets the same wait: a move whose
        answer was lost is still released by the update that made it."""

    def get(self, store_id: str, customer_id: str, journey: str) -> Wait | None:
        """The journey's parked wait, read consistently."""

    def of_customer(self, store_id: str, customer_id: str) -> list[Wait]:
        """Every parked wait of the customer."""

    def take_legacy_cart_token(self, store_id: str, customer_id: str, cart_id: str, *, max_moves: int | None = None) -> LegacyCartWait | None:
        """LEGACY: the token a journey of an earlier release parked on the cart item, taken
        (removed) at most once. With ``max_moves``: only a wait leading to a reminder of an
        open cart whose timers moved fewer times, counting one more move on the cart.

        Remove after 2027-03-03 (90 days after the release that stopped parking on the cart:
        an execution's longest wait), with ``Cart.journey_token`` / ``journey_reminder``."""


def _wait_from(item: JourneyWait) -> Wait | None:
    if not item.task_token:
        return None  # a cart journey between two waits: only its timer count is kept
    return Wait(
        store_id=item.store_id,
        customer_id=item.customer_id,
        journey=item.journey,
        awaiting=frozenset(item.awaiting),
        task_token=item.task_token,
        parked_at=item.parked_at,
        key=item.key,
        products=frozenset(item.products) if item.products else None,
        reminder=item.reminder,
        timer_moves=int(item.timer_moves or 0),
    )


def _key(store_id: str, customer_id: str, journey: str) -> tuple[str, str]:
    return customer_key(store_id, customer_id), JourneyWait.sort_key(journey)


class DynamoWaitStore:
    """The waits in the table (PynamoDB)."""

    def park(self, wait: Wait) -> None:
        # An update, not a put: a cart journey's timer count survives its re-parks.
        actions: list[Action] = [
            JourneyWait.store_id.set(wait.store_id),
            JourneyWait.customer_id.set(wait.customer_id),
            JourneyWait.journey.set(wait.journey),
            JourneyWait.awaiting.set(set(wait.awaiting)),
            JourneyWait.task_token.set(wait.task_token),
            JourneyWait.parked_at.set(wait.parked_at),
            JourneyWait.moved_by.remove(),
            JourneyWait.moved_token.remove(),
        ]
        # What this wait does not name goes: the journey's earlier wait may have named it.
        actions.append(JourneyWait.key.set(wait.key) if wait.key else JourneyWait.key.remove())
        actions.append(JourneyWait.products.set(set(wait.products)) if wait.products else JourneyWait.products.remove())
        actions.append(JourneyWait.reminder.set(wait.reminder) if wait.reminder else JourneyWait.reminder.remove())
        JourneyWait(*_key(wait.store_id, wait.customer_id, wait.journey)).update(actions=actions)

    def take(self, store_id: str, customer_id: str, journey: str, *, task_token: str | None = None) -> Wait | None:
        condition = JourneyWait.task_token.exists() if task_token is None else JourneyWait.task_token == task_token
        try:
            old = JourneyWait._get_connection().delete_item(*_key(store_id, customer_id, journey), condition=condition, return_values="ALL_OLD")
        except DeleteError as error:
            if condition_failed(error):
                return None
            raise
        return _wait_from(JourneyWait.from_raw_data(old["Attributes"]))

    def take_to_move(self, store_id: str, customer_id: str, journey: str, *, max_moves: int, taker: str) -> Wait | None:
        key = _key(store_id, customer_id, journey)
        old = update_returning(
            JourneyWait,
            key,
            actions=[
                JourneyWait.moved_token.set(JourneyWait.task_token),
                JourneyWait.moved_by.set(taker),
                JourneyWait.task_token.remove(),
                JourneyWait.timer_moves.add(1),
            ],
            condition=JourneyWait.task_token.exists()
            & JourneyWait.reminder.exists()
            & (JourneyWait.timer_moves.does_not_exist() | (JourneyWait.timer_moves < max_moves)),
            return_values="ALL_OLD",
        )
        if old:
            return _wait_from(JourneyWait.from_raw_data(old))
        current = get_or_none(JourneyWait, *key, consistent_read=True)
        if current is None or current.task_token or current.moved_by != taker or not current.moved_token:
            return None
        # As this taker took it: the token, and the count from before its move.
        current.task_token, current.timer_moves = current.moved_token, int(current.timer_moves or 1) - 1
        return _wait_from(current)

    def get(self, store_id: str, customer_id: str, journey: str) -> Wait | None:
        item = get_or_none(JourneyWait, *_key(store_id, customer_id, journey), consistent_read=True)
        return _wait_from(item) if item is not None else None

    def of_customer(self, store_id: str, customer_id: str) -> list[Wait]:
        items = JourneyWait.query(customer_key(store_id, customer_id), JourneyWait.sk.startswith("WAIT#"))
        return [wait for wait in map(_wait_from, items) if wait is not None]

    def take_legacy_cart_token(self, store_id: str, customer_id: str, cart_id: str, *, max_moves: int | None = None) -> LegacyCartWait | None:
        actions: list[Action] = [Cart.journey_token.remove(), Cart.journey_reminder.remove()]
        condition = Cart.journey_token.exists()
        if max_moves is not None:
            actions.append(Cart.timer_moves.add(1))
            condition = (
                condition & (Cart.status == "open") & Cart.journey_reminder.exists() & (Cart.timer_moves.does_not_exist() | (Cart.timer_moves < max_moves))
            )
        old = update_returning(
            Cart, (customer_key(store_id, customer_id), Cart.sort_key(cart_id)), actions=actions, condition=condition, return_values="ALL_OLD"
        )
        if not old:
            return None
        return LegacyCartWait(task_token=old["journey_token"]["S"], reminder=old.get("journey_reminder", {}).get("S"))
