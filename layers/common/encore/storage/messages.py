"""Messages: each journey step's record (``Message``, written before the channel is called)
and the customer's frequency-cap turn (``CapTurn``), at the level of what delivery does with
them: claim a step, give a claim back, record a send, count the customer's recent marketing,
move the cap turn.

Every write that must happen once carries its condition here, so that a fake honouring the
same conditions (``storage.fakes``) is as strict as DynamoDB; ``tests/contracts`` checks both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pynamodb.exceptions import DeleteError, UpdateError

from encore.models import CapTurn, Message, condition_failed, get_or_none, save_owned, set_given

# A step may be (re)claimed while nothing was sent for it yet: no record (first try), or one
# held back by a guard, or one waiting for the shop's coupon (on_coupon_failure: "retry").
RECLAIMABLE_STATUSES = frozenset({"deferred", "awaiting_coupon"})
_RECLAIMABLE = Message.pk.does_not_exist() | (Message.status == "deferred") | (Message.status == "awaiting_coupon")


@dataclass(frozen=True)
class SentMessage:
    """What the step's record keeps once the channel accepted the message."""

    subject: str
    provider_message_id: str
    sent_at: datetime
    coupon_code: str | None = None  # only the step that issued the coupon keeps it
    sms_encoding: str | None = None  # GSM-7 | UCS-2 (what a text costs: segments)
    sms_segments: int | None = None


class MessageStore(Protocol):
    """The steps' records and the cap turn. A method that takes a ``Message`` it updates also
    brings that object up to date with what is stored, as PynamoDB's ``update`` does."""

    def previous_attempt(self, pk: str, sk: str) -> Message | None:
        """The step's record, if any (an eventually consistent read)."""

    def stored(self, pk: str, sk: str) -> Message:
        """The step's record as stored now (a consistent read); it must exist."""

    def claim(self, message: Message) -> bool:
        """Write ``message`` unless the step was handled already (a record that is neither
        deferred nor awaiting its coupon). True when this call's record is stored, also when
        the write was applied and only its answer was lost (``claim_attempt`` tells)."""

    def give_back(self, message: Message) -> None:
        """Delete the claim, only while it is still ``message``'s own (claimed, same attempt)."""

    def replace_claim(self, claimed: Message, record: Message) -> bool:
        """Put ``record`` (a deferral or a skip) in place of ``claimed``, only while that claim is
        still stored as it was. False when another invocation took the step over."""

    def hold_for_coupon(self, message: Message, reason: str) -> None:
        """The claimed step waits for the shop's coupon (``awaiting_coupon``); a record that
        moved on meanwhile is left as it is."""

    def note_coupon_failure(self, message: Message, reason: str) -> None:
        """Why the shop gave no code, kept on the record of a step sent without one."""

    def record_sent(self, message: Message, sent: SentMessage) -> None:
        """The channel took the message."""

    def record_uncertain(self, message: Message, reason: str, since: datetime, coupon_code: str | None) -> None:
        """The channel may have taken the message; only a record still claimed becomes
        ``uncertain`` (an event that settled it, or this write's own retry, wins)."""

    def recent(self, pk: str, since: datetime) -> list[Message]:
        """The customer's step records sent or claimed since ``since``: one consistent Query
        on their partition, so a claim written just before is in view."""

    def uncertain(self, pk: str) -> list[Message]:
        """The customer's records whose send may or may not have reached them."""

    def cap_turn(self, pk: str) -> int:
        """The customer's frequency-cap turn (0 before any marketing claim), read consistently."""

    def move_cap_turn(self, pk: str, turn: int) -> bool:
        """Move the turn from ``turn`` to the next; False when it is no longer at ``turn``."""


class DynamoMessageStore:
    """``MessageStore`` on the DynamoDB table (``encore.models``)."""

    def previous_attempt(self, pk: str, sk: str) -> Message | None:
        return get_or_none(Message, pk, sk)

    def stored(self, pk: str, sk: str) -> Message:
        return Message.get(pk, sk, consistent_read=True)

    def claim(self, message: Message) -> bool:
        return save_owned(message, condition=_RECLAIMABLE, attempt_attribute="claim_attempt")

    def give_back(self, message: Message) -> None:
        try:
            message.delete(condition=_still_claimed_by(message))
        except DeleteError as refused:
            if not condition_failed(refused):  # already given back (our own retried delete), or taken over
                raise

    def replace_claim(self, claimed: Message, record: Message) -> bool:
        return save_owned(record, condition=_still_claimed_by(claimed), attempt_attribute="claim_attempt")

    def hold_for_coupon(self, message: Message, reason: str) -> None:
        actions = [Message.status.set("awaiting_coupon"), Message.reason.set(reason), Message.coupon_failure_reason.set(reason)]
        _update_unless_moved_on(message, actions)

    def note_coupon_failure(self, message: Message, reason: str) -> None:
        message.update(actions=[Message.coupon_failure_reason.set(reason)])

    def record_sent(self, message: Message, sent: SentMessage) -> None:
        optional = [(Message.coupon_code, sent.coupon_code), (Message.sms_encoding, sent.sms_encoding), (Message.sms_segments, sent.sms_segments)]
        message.update(
            actions=[
                Message.status.set("sent"),
                Message.subject.set(sent.subject),
                Message.provider_message_id.set(sent.provider_message_id),
                Message.sent_at.set(sent.sent_at),
                *set_given(optional),  # only what this send has (a code it issued, a text's cost)
            ]
        )

    def record_uncertain(self, message: Message, reason: str, since: datetime, coupon_code: str | None) -> None:
        actions = [Message.status.set("uncertain"), Message.reason.set(reason), Message.uncertain_since.set(since)]
        _update_unless_moved_on(message, [*actions, *([Message.coupon_code.set(coupon_code)] if coupon_code else [])])

    def recent(self, pk: str, since: datetime) -> list[Message]:
        window = (Message.sent_at >= since) | (Message.claimed_at >= since)
        return list(Message.query(pk, Message.sk.startswith("MESSAGE#"), filter_condition=window, consistent_read=True))

    def uncertain(self, pk: str) -> list[Message]:
        return list(Message.query(pk, Message.sk.startswith("MESSAGE#"), filter_condition=Message.status == "uncertain"))

    def cap_turn(self, pk: str) -> int:
        stored = get_or_none(CapTurn, pk, CapTurn.sort_key(), consistent_read=True)
        return int(stored.turn or 0) if stored is not None else 0

    def move_cap_turn(self, pk: str, turn: int) -> bool:
        # A move whose answer was lost is refused on the SDK's retry, like a move by another:
        # the caller reads the turn again (``encore.delivery.guards.hold_cap_turn``).
        condition = CapTurn.turn.does_not_exist() if turn == 0 else CapTurn.turn == turn
        try:
            CapTurn(pk, CapTurn.sort_key()).update(actions=[CapTurn.turn.set(turn + 1)], condition=condition)
        except UpdateError as refused:
            if condition_failed(refused):
                return False
            raise
        return True


def _still_claimed_by(message: Message):
    return (Message.status == "claimed") & (Message.claim_attempt == message.claim_attempt)


def _update_unless_moved_on(message: Message, actions: list) -> None:
    """Update a record that is still claimed. A refusal means it moved on (an event settled
    it) or this very update was applied and its answer lost: either way the record stands."""
    try:
        message.update(actions=actions, condition=Message.status == "claimed")
    except UpdateError as refused:
        if not condition_failed(refused):
            raise
