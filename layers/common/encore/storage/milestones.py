"""What a customer reaches once ever, or once per cooldown, kept durably: milestones
(welcomed, registration confirmed, the first purchase in a category) and the latest journey a
scenario started about a subject (``claim_journey``). Step Functions keeps an execution name
unique only for 90 days after the execution closes, so the scenarios' "once" rules live here.

Every write is conditional, so racing triggers agree on one winner, and a retried write whose
first answer was lost still reads as the caller's own.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from pynamodb.exceptions import PutError

from encore.models import Milestone, condition_failed, customer_key, get_or_none
from encore.storage.journey_records import DynamoJourneyRecords


def first_purchase_milestone(category: str) -> str:
    return f"first_purchase_in#{category}"


class Milestones(Protocol):
    def reached(self, store_id: str, customer_id: str, name: str) -> bool:
        """The customer reached the milestone (a consistent read)."""

    def reach_milestone(self, store_id: str, customer_id: str, name: str, *, journey: str, at: datetime) -> bool:
        """Record the milestone once: the first journey that reached it keeps it. False when it
        was on file already (nothing written)."""

    def reach_first_purchase(self, store_id: str, customer_id: str, category: str, *, order_id: str, at: datetime) -> bool:
        """Record ``order_id`` as the customer's first purchase in the category. True for the
        order that made it (again when that order's event is retried, so a crash between this
        write and the journey's start does not lose the journey); False for any later order."""

    def claim_journey(
        self, store_id: str, customer_id: str, scenario: str, subject: str, journey: str, *, claimed_by: str, now: datetime, cooldown: timedelta | None
    ) -> bool:
        """``storage.journey_records.JourneyRecords.claim`` for the customer: once ever
        (``cooldown=None``) or once per cooldown; only the event that claimed it (retried)
        claims the same journey again."""


class DynamoMilestones:
    """``Milestones`` on the DynamoDB table (``encore.models``)."""

    def reached(self, store_id: str, customer_id: str, name: str) -> bool:
        return get_or_none(Milestone, customer_key(store_id, customer_id), Milestone.sort_key(name), consistent_read=True) is not None

    def reach_milestone(self, store_id: str, customer_id: str, name: str, *, journey: str, at: datetime) -> bool:
        milestone = Milestone(customer_key(store_id, customer_id), Milestone.sort_key(name), reached_at=at, journey=journey)
        return _put_once(milestone, Milestone.pk.does_not_exist())

    def reach_first_purchase(self, store_id: str, customer_id: str, category: str, *, order_id: str, at: datetime) -> bool:
        key = (customer_key(store_id, customer_id), Milestone.sort_key(first_purchase_milestone(category)))
        milestone = Milestone(*key, reached_at=at, order_id=order_id)
        return _put_once(milestone, Milestone.pk.does_not_exist() | (Milestone.order_id == order_id))

    def claim_journey(
        self, store_id: str, customer_id: str, scenario: str, subject: str, journey: str, *, claimed_by: str, now: datetime, cooldown: timedelta | None
    ) -> bool:
        records = DynamoJourneyRecords()  # the claim's one home
        return records.claim(customer_key(store_id, customer_id), scenario, subject, journey, claimed_by=claimed_by, now=now, cooldown=cooldown)


def _put_once(milestone: Milestone, condition) -> bool:
    try:
        milestone.save(condition=condition)
    except PutError as error:
        if not condition_failed(error):
            raise
        return False
    return True
