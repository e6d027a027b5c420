"""Customer profiles, write side: keep a profile current from the shops' events, record a
consent change, suppress a channel (bounce, complaint, SMS STOP), note engagement, and who
has a phone number. Also the operator's read of everything a customer's partition holds.

Profiles are written with UpdateItem and only the fields an event carries, so events from
different platforms and in any order add up instead of overwriting each other. Which consent
may replace the one on file is the domain's rule (``encore.customers``); it reaches storage as
``ConsentChange.may_undo_opt_out`` and the conditional write here enforces it, so that two
writers racing cannot both win.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Protocol

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from encore.models import (
    ConsentAttribute,
    Customer,
    JourneyWait,
    Message,
    Milestone,
    Order,
    PhoneIdentity,
    condition_failed,
    customer_key,
    get_or_none,
    set_given,
)

# The profile attributes an event may carry as plain text (None: not carried, left as it is).
PROFILE_DETAILS = ("email", "phone", "first_name", "last_name", "locale", "time_zone", "country", "push_token", "push_platform")


@dataclass(frozen=True)
class ConsentChange:
    """A channel's marketing consent as an event states it. ``updated_at`` is when it was
    given or withdrawn (the event's time when the shop gave none). ``may_undo_opt_out`` False:
    it may confirm a consent on file but never replaces an opt-out."""

    granted: bool
    source: str
    updated_at: datetime
    may_undo_opt_out: bool = True


@dataclass(frozen=True)
class ProfileUpdate:
    """What one event says about a customer; None (and an empty ``details`` entry) is "not
    carried". ``tags`` empty: the customer has none any more."""

    store_id: str
    customer_id: str
    occurred_at: datetime
    details: dict[str, str] = field(default_factory=dict)  # names from PROFILE_DETAILS
    birthday: date | None = None
    tags: frozenset[str] | None = None
    registered: bool = False
    email_consent: ConsentChange | None = None
    sms_consent: ConsentChange | None = None

    def __post_init__(self) -> None:
        unknown = set(self.details) - set(PROFILE_DETAILS)
        if unknown:
            raise ValueError(f"not profile details: {sorted(unknown)}")


@dataclass(frozen=True)
class CustomerRecord:
    """What the table knows about one customer, for an operator looking into their case:
    the profile (with consent per channel), every message step (sent, skipped with its
    reason, or held back until when), the journeys parked on an event, and the once-ever
    milestones (each naming the journey it started)."""

    profile: Customer | None
    messages: list[Message]
    waits: list[JourneyWait]
    milestones: list[Milestone]
    orders: list[Order] = field(default_factory=list)  # oldest first

    @property
    def journeys(self) -> list[str]:
        """Execution names of the journeys the table mentions, in order of first mention."""
        names = [m.journey for m in self.messages] + [w.journey for w in self.waits] + [m.journey for m in self.milestones if m.journey]
        return list(dict.fromkeys(names))


class CustomerProfiles(Protocol):
    def profile(self, store_id: str, customer_id: str) -> Customer | None:
        """The profile as stored now (a consistent read): after a consent change, it shows it."""

    def upsert_profile(self, update: ProfileUpdate) -> bool:
        """Write what the event carries (creating the profile when absent). Its consents are
        taken only when each may replace the one on file (none on file; not older; and, for
        a change that may not undo an opt-out, a consent on file that is granted); otherwise
        the consents on file stay and the rest is written. True when the consents were taken."""

    def suppress_email(self, store_id: str, customer_id: str, reason: str, at: datetime) -> bool:
        """No email of any kind any more (hard bounce, complaint). False: no such profile."""

    def suppress_sms(self, store_id: str, customer_id: str, reason: str, at: datetime) -> None:
        """No text of any kind any more (STOP)."""

    def note_engaged(self, store_id: str, customer_id: str, at: datetime) -> bool:
        """The customer opened or clicked at ``at``. False (nothing written) when there is no
        such profile or a later engagement is on file already."""

    def set_active_hour(self, customer: Customer, hour: int) -> None:
        """The local hour the customer most often engages at (campaigns send at it)."""

    def record_phone(self, store_id: str, customer_id: str, phone: str) -> None:
        """The customer has this number (an SMS reply names only the number)."""

    def customers_with_phone(self, phone: str) -> list[tuple[str, str]]:
        """(store id, customer id) of everyone with this number, in every store of the stack."""

    def customer_record(self, store_id: str, customer_id: str) -> CustomerRecord:
        """Everything the customer's partition holds, for the operator."""


def order_moment(order: Order) -> datetime:
    """When an order happened, to list a customer's orders oldest first."""
    return order.placed_at or order.paid_at or order.cancelled_at or datetime.max.replace(tzinfo=UTC)


def birthday_key(store_id: str, birthday: date) -> str:
    """The birthday index's key: the daily birthday scan reads only the day's matches."""
    return f"STORE#{store_id}#BIRTHDAY#{birthday:%m-%d}"


class DynamoCustomerProfiles:
    """``CustomerProfiles`` on the DynamoDB table (``encore.models``)."""

    def profile(self, store_id: str, customer_id: str) -> Customer | None:
        return get_or_none(Customer, customer_key(store_id, customer_id), Customer.sort_key(), consistent_read=True)

    def upsert_profile(self, update: ProfileUpdate) -> bool:
        actions: list[Action] = [
            Customer.store_id.set(update.store_id),
            Customer.customer_id.set(update.customer_id),
            Customer.updated_at.set(update.occurred_at),
        ]
        actions += set_given((getattr(Customer, name), value) for name, value in update.details.items())
        if update.birthday:
            actions.append(Customer.birthday.set(update.birthday.isoformat()))
            actions.append(Customer.birthday_key.set(birthday_key(update.store_id, update.birthday)))
        if update.tags is not None:
            actions.append(Customer.tags.set(set(update.tags)) if update.tags else Customer.tags.remove())
        if update.registered:
            actions.append(Customer.registered_at.set(Customer.registered_at | update.occurred_at))
        consent_actions: list[Action] = []
        condition = None
        if update.email_consent:
            consent = _stored_consent(update.email_consent)
            consent_actions += [Customer.email_consent.set(consent), Customer.accepts_email_marketing.set(consent.granted)]
            condition = _may_replace(Customer.email_consent, update.email_consent)
        else:
            # Events that say nothing about consent leave it as it is; a new profile starts without.
            actions.append(Customer.accepts_email_marketing.set(Customer.accepts_email_marketing | False))
        if update.sms_consent:
            consent_actions.append(Customer.sms_consent.set(_stored_consent(update.sms_consent)))
            sms_may_replace = _may_replace(Customer.sms_consent, update.sms_consent)
            condition = sms_may_replace if condition is None else condition & sms_may_replace
        profile = Customer(customer_key(update.store_id, update.customer_id), Customer.sort_key())
        try:
            profile.update(actions=actions + consent_actions, condition=condition)
            return True
        except UpdateError as error:
            if not condition_failed(error):
                raise
        # The consent on file may not be replaced by this event's: keep it, take the rest.
        profile.update(actions=actions)
        return False

    def suppress_email(self, store_id: str, customer_id: str, reason: str, at: datetime) -> bool:
        return _update_existing(
            store_id, customer_id, [Customer.email_suppressed_reason.set(reason), Customer.email_suppressed_at.set(at)], Customer.pk.exists()
        )

    def suppress_sms(self, store_id: str, customer_id: str, reason: str, at: datetime) -> None:
        profile = Customer(customer_key(store_id, customer_id), Customer.sort_key())
        profile.update(actions=[Customer.sms_suppressed_reason.set(reason), Customer.sms_suppressed_at.set(at)])

    def note_engaged(self, store_id: str, customer_id: str, at: datetime) -> bool:
        later = Customer.last_engaged_at.does_not_exist() | (Customer.last_engaged_at < at)
        return _update_existing(store_id, customer_id, [Customer.last_engaged_at.set(at)], Customer.pk.exists() & later)

    def set_active_hour(self, customer: Customer, hour: int) -> None:
        customer.update(actions=[Customer.active_hour.set(hour)])

    def record_phone(self, store_id: str, customer_id: str, phone: str) -> None:
        PhoneIdentity(*PhoneIdentity.key(phone, store_id, customer_id), store_id=store_id, customer_id=customer_id).save()

    def customers_with_phone(self, phone: str) -> list[tuple[str, str]]:
        pk, _ = PhoneIdentity.key(phone, "", "")
        return [(identity.store_id, identity.customer_id) for identity in PhoneIdentity.query(pk)]

    def customer_record(self, store_id: str, customer_id: str) -> CustomerRecord:
        pk = customer_key(store_id, customer_id)
        return CustomerRecord(
            profile=get_or_none(Customer, pk, Customer.sort_key()),
            messages=sorted(Message.query(pk, Message.sk.startswith("MESSAGE#")), key=lambda m: m.claimed_at),
            waits=list(JourneyWait.query(pk, JourneyWait.sk.startswith("WAIT#"))),
            milestones=list(Milestone.query(pk, Milestone.sk.startswith("MILESTONE#"))),
            orders=sorted(Order.query(pk, Order.sk.startswith("ORDER#")), key=order_moment),
        )


def _stored_consent(change: ConsentChange) -> ConsentAttribute:
    return ConsentAttribute(granted=change.granted, source=change.source, updated_at=change.updated_at)


def _may_replace(on_file, change: ConsentChange):
    """The DynamoDB condition under which ``change`` replaces the consent ``on_file``."""
    not_older = on_file.updated_at <= change.updated_at
    if not change.may_undo_opt_out:
        not_older = not_older & (on_file.granted == True)  # noqa: E712 (a DynamoDB condition)
    return on_file.does_not_exist() | not_older


def _update_existing(store_id: str, customer_id: str, actions: list[Action], condition) -> bool:
    try:
        Customer(customer_key(store_id, customer_id), Customer.sort_key()).update(actions=actions, condition=condition)
        return True
    except UpdateError as error:
        if not condition_failed(error):
            raise
        return False
