"""In-memory ``CustomerProfiles``, ``Visitors`` and ``MessageEvents``, honouring the same
conditions as their DynamoDB twins (a consent replaced only by one that may replace it, a
suppression or an engagement only on a profile that exists, a message moment kept once, a
checkout side taken by its first value); ``tests/contracts`` runs the same behaviour tests
against both. They keep their items in ``storage.fakes.InMemoryTable``, so a test can share
one table with delivery's fakes."""

from __future__ import annotations

from datetime import datetime

from encore.models import (
    CheckoutVisitor,
    ConsentAttribute,
    Customer,
    CustomerCheckout,
    JourneyWait,
    Message,
    Milestone,
    Order,
    PhoneIdentity,
    ProductView,
    VisitorIdentity,
    customer_key,
    visitor_key,
)
from encore.storage.customer_state import CustomerStorage
from encore.storage.fakes import InMemoryTable, _setting
from encore.storage.message_events import SETTLEABLE_STATUSES, MessageMoment, MessageRef
from encore.storage.profiles import ConsentChange, CustomerRecord, ProfileUpdate, birthday_key, order_moment
from encore.storage.visitors import CheckoutLink, CheckoutSide, ViewCount


class InMemoryCustomerProfiles:
    """``storage.profiles.CustomerProfiles`` in memory."""

    def __init__(self, table: InMemoryTable | None = None) -> None:
        self.table = table or InMemoryTable()

    def profile(self, store_id: str, customer_id: str) -> Customer | None:
        return self.table.get(Customer, customer_key(store_id, customer_id), Customer.sort_key())

    def upsert_profile(self, update: ProfileUpdate) -> bool:
        on_file = self.profile(update.store_id, update.customer_id)
        changes = {"email_consent": update.email_consent, "sms_consent": update.sms_consent}
        take_consents = all(_may_replace(getattr(on_file, name) if on_file else None, change) for name, change in changes.items() if change)

        def write(profile: Customer) -> None:
            profile.store_id, profile.customer_id, profile.updated_at = update.store_id, update.customer_id, update.occurred_at
            for name, value in update.details.items():
                if value is not None:
                    setattr(profile, name, value)
            if update.birthday:
                profile.birthday, profile.birthday_key = update.birthday.isoformat(), birthday_key(update.store_id, update.birthday)
            if update.tags is not None:
                profile.tags = set(update.tags) or None
            if update.registered and profile.registered_at is None:
                profile.registered_at = update.occurred_at
            if profile.accepts_email_marketing is None:
                profile.accepts_email_marketing = False
            if take_consents:
                for name, change in changes.items():
                    if change:
                        setattr(profile, name, ConsentAttribute(granted=change.granted, source=change.source, updated_at=change.updated_at))
                if update.email_consent:
                    profile.accepts_email_marketing = update.email_consent.granted

        self.table.update(Customer(customer_key(update.store_id, update.customer_id), Customer.sort_key()), write)
        return take_consents

    def suppress_email(self, store_id: str, customer_id: str, reason: str, at: datetime) -> bool:
        profile = self.profile(store_id, customer_id)
        if profile is None:
            return False
        self.table.update(profile, _setting(email_suppressed_reason=reason, email_suppressed_at=at))
        return True

    def suppress_sms(self, store_id: str, customer_id: str, reason: str, at: datetime) -> None:
        profile = Customer(customer_key(store_id, customer_id), Customer.sort_key())
        self.table.update(profile, _setting(sms_suppressed_reason=reason, sms_suppressed_at=at))

    def note_engaged(self, store_id: str, customer_id: str, at: datetime) -> bool:
        profile = self.profile(store_id, customer_id)
        if profile is None or (profile.last_engaged_at is not None and profile.last_engaged_at >= at):
            return False
        self.table.update(profile, _setting(last_engaged_at=at))
        return True

    def set_active_hour(self, customer: Customer, hour: int) -> None:
        self.table.update(customer, _setting(active_hour=hour))

    def record_phone(self, store_id: str, customer_id: str, phone: str) -> None:
        self.table.add(PhoneIdentity(*PhoneIdentity.key(phone, store_id, customer_id), store_id=store_id, customer_id=customer_id))

    def customers_with_phone(self, phone: str) -> list[tuple[str, str]]:
        pk, _ = PhoneIdentity.key(phone, "", "")
        return [(identity.store_id, identity.customer_id) for identity in self.table.query(PhoneIdentity, pk, "")]

    def customer_record(self, store_id: str, customer_id: str) -> CustomerRecord:
        pk = customer_key(store_id, customer_id)
        return CustomerRecord(
            profile=self.profile(store_id, customer_id),
            messages=sorted(self.table.query(Message, pk, "MESSAGE#"), key=lambda m: m.claimed_at),
            waits=self.table.query(JourneyWait, pk, "WAIT#"),
            milestones=self.table.query(Milestone, pk, "MILESTONE#"),
            orders=sorted(self.table.query(Order, pk, "ORDER#"), key=order_moment),
        )


class InMemoryVisitors:
    """``storage.visitors.Visitors`` in memory."""

    def __init__(self, table: InMemoryTable | None = None) -> None:
        self.table = table or InMemoryTable()

    def customer_for_visitor(self, store_id: str, anonymous_id: str) -> str | None:
        identity = self.table.get(VisitorIdentity, *VisitorIdentity.key(store_id, anonymous_id))
        return identity.customer_id if identity is not None else None

    def link_visitor(self, store_id: str, anonymous_id: str, customer_id: str, at: datetime) -> None:
        self.table.add(VisitorIdentity(*VisitorIdentity.key(store_id, anonymous_id), customer_id=customer_id, merged_at=at))

        def add_visitor(profile: Customer) -> None:
            profile.anonymous_ids = (profile.anonymous_ids or set()) | {anonymous_id}

        self.table.update(Customer(customer_key(store_id, customer_id), Customer.sort_key()), add_visitor)

    def move_views_to_customer(self, store_id: str, anonymous_id: str, customer_id: str) -> int:
        views = self.table.query(ProductView, visitor_key(store_id, anonymous_id), "VIEW#")
        for view in views:
            first = view.first_viewed_at
            count = ViewCount(view.product_id, view.title, view.category, int(view.views), int(view.dwell_seconds), first, view.last_viewed_at)
            self._record_view(customer_key(store_id, customer_id), count)
            self.table.delete(view.pk, view.sk)
        return len(views)

    def record_customer_view(self, store_id: str, customer_id: str, view: ViewCount) -> None:
        self._record_view(customer_key(store_id, customer_id), view)

    def record_visitor_view(self, store_id: str, anonymous_id: str, view: ViewCount, expires_at: datetime) -> None:
        self._record_view(visitor_key(store_id, anonymous_id), view, expires_at)

    def _record_view(self, pk: str, view: ViewCount, expires_at: datetime | None = None) -> None:
        def add(count: ProductView) -> None:
            count.product_id = view.product_id
            count.views = int(count.views or 0) + view.views
            count.dwell_seconds = int(count.dwell_seconds or 0) + view.dwell_seconds
            count.first_viewed_at = count.first_viewed_at or view.first_viewed_at
            count.last_viewed_at = view.last_viewed_at
            count.title = view.title or count.title
            count.category = view.category or count.category
            count.expires_at = expires_at or count.expires_at

        self.table.update(ProductView(pk, ProductView.sort_key(view.product_id)), add)

    def claim_checkout_side(self, store_id: str, checkout_token: str, side: CheckoutSide, value: str, expires_at: datetime) -> CheckoutLink | None:
        link = CheckoutVisitor(*CheckoutVisitor.key(store_id, checkout_token))
        stored = self.table.get(CheckoutVisitor, link.pk, link.sk)
        if stored is not None and getattr(stored, side) not in (None, value):
            return None

        def take(item: CheckoutVisitor) -> None:
            setattr(item, side, value)
            item.expires_at = item.expires_at or expires_at

        self.table.update(link, take)
        return CheckoutLink(visitor_id=link.visitor_id, customer_id=link.customer_id, expires_at=link.expires_at)

    def remember_customer_checkout(self, store_id: str, customer_id: str, checkout_token: str, expires_at: datetime) -> None:
        self.table.add(CustomerCheckout(customer_key(store_id, customer_id), CustomerCheckout.sort_key(checkout_token), expires_at=expires_at))


class InMemoryMessageEvents:
    """``storage.message_events.MessageEvents`` in memory."""

    def __init__(self, table: InMemoryTable | None = None) -> None:
        self.table = table or InMemoryTable()

    def settle_send(self, message: MessageRef, provider_message_id: str, sent_at: datetime) -> bool:
        stored = self.table.get(Message, *message.key)
        if stored is None or stored.status not in SETTLEABLE_STATUSES:
            return False
        self.table.update(stored, _setting(status="sent", provider_message_id=provider_message_id, sent_at=sent_at, uncertain_since=None))
        return True

    def note_first(self, message: MessageRef, moment: MessageMoment, at: datetime) -> bool:
        stored = self.table.get(Message, *message.key)
        if stored is None or getattr(stored, moment) is not None:
            return False
        self.table.update(stored, _setting(**{moment: at}))
        return True

    def engagement_moments(self, store_id: str, customer_id: str) -> list[datetime]:
        messages = self.table.query(Message, customer_key(store_id, customer_id), "MESSAGE#")
        return [moment for message in messages for moment in (message.opened_at, message.clicked_at) if moment is not None]


def in_memory_customer_storage(table: InMemoryTable | None = None) -> CustomerStorage:
    """The customer-state repositories in memory, over one shared table (as on DynamoDB);
    ``table.add`` puts a test's given items."""
    table = table or InMemoryTable()
    return CustomerStorage(InMemoryCustomerProfiles(table), InMemoryVisitors(table), InMemoryMessageEvents(table))


def _may_replace(on_file: ConsentAttribute | None, change: ConsentChange) -> bool:
    """``storage.profiles._may_replace``'s condition, evaluated on the item in memory."""
    if on_file is None:
        return True
    return on_file.updated_at <= change.updated_at and (change.may_undo_opt_out or bool(on_file.granted))
