"""Customer profiles: identity, consent per channel, anonymous visitors, product views,
and the segments every branch can read (new, active, inactive, VIP, cart abandoner, RFM).

Profiles are written with UpdateItem and only the fields an event carries, so events from
different platforms and in any order add up instead of overwriting each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.expressions.update import Action

from encore.events import Consent, CustomerRef, CustomerUpdated, ProductViewed
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
    condition_failed,
    customer_key,
    get_or_none,
    set_given,
    update_returning,
    visitor_key,
)

# How long an anonymous visitor's product views are kept after their last view (rolling).
VISITOR_VIEWS_KEPT = timedelta(days=90)


def _consent(consent: Consent, fallback_time: datetime) -> ConsentAttribute:
    return ConsentAttribute(granted=consent.granted, source=consent.source, updated_at=consent.updated_at or fallback_time)


def _may_replace(on_file, consent: Consent, stored: ConsentAttribute):
    """The condition under which ``consent`` replaces the one on file.

    A dated consent replaces an older one. An undated "subscribed" (Shopify does not require
    ``consent_updated_at``; ``accepts_marketing`` has no date at all) is a state the shop
    reports, not an act of the customer: it may confirm a consent on file but never undoes an
    opt-out, however the opt-out was made. An undated withdrawal is always taken."""
    not_older = on_file.updated_at <= stored.updated_at
    if consent.granted and consent.updated_at is None:
        not_older = not_older & (on_file.granted == True)  # noqa: E712 (a DynamoDB condition)
    return on_file.does_not_exist() | not_older


def upsert_customer(store_id: str, ref: CustomerRef, occurred_at: datetime, *, registered: bool = False) -> None:
    """Keep the profile current; only fields the event carries are written.

    A consent older than the one on file is ignored (a late webhook must not re-subscribe
    someone who has since opted out)."""
    actions: list[Action] = [
        Customer.store_id.set(store_id),
        Customer.customer_id.set(ref.customer_id),
        Customer.updated_at.set(occurred_at),
    ]
    # Blank strings from a platform are "not carried" too.
    actions += set_given(
        (
            (Customer.email, ref.email or None),
            (Customer.phone, ref.phone or None),
            (Customer.first_name, ref.first_name or None),
            (Customer.last_name, ref.last_name or None),
            (Customer.locale, ref.locale or None),
            (Customer.time_zone, ref.time_zone or None),
            (Customer.country, ref.country.upper() if ref.country else None),
            (Customer.push_token, ref.push_token if ref.push_platform else None),
            (Customer.push_platform, ref.push_platform if ref.push_token else None),
        )
    )
    if ref.birthday:
        actions.append(Customer.birthday.set(ref.birthday.isoformat()))
        actions.append(Customer.birthday_key.set(f"STORE#{store_id}#BIRTHDAY#{ref.birthday:%m-%d}"))
    if ref.tags is not None:
        actions.append(Customer.tags.set(set(ref.tags)) if ref.tags else Customer.tags.remove())
    if registered:
        actions.append(Customer.registered_at.set(Customer.registered_at | occurred_at))
    consent_actions: list[Action] = []
    condition = None
    email_consent = ref.email_consent or (Consent(granted=True, source="legacy:accepts_marketing") if ref.accepts_email_marketing else None)
    if email_consent:
        consent = _consent(email_consent, occurred_at)
        consent_actions += [Customer.email_consent.set(consent), Customer.accepts_email_marketing.set(consent.granted)]
        condition = _may_replace(Customer.email_consent, email_consent, consent)
    else:
        # Events that say nothing about consent leave it as it is; a new profile starts without.
        actions.append(Customer.accepts_email_marketing.set(Customer.accepts_email_marketing | False))
    if ref.sms_consent:
        sms = _consent(ref.sms_consent, occurred_at)
        consent_actions.append(Customer.sms_consent.set(sms))
        sms_newer = _may_replace(Customer.sms_consent, ref.sms_consent, sms)
        condition = sms_newer if condition is None else condition & sms_newer
    profile = Customer(customer_key(store_id, ref.customer_id), Customer.sort_key())
    try:
        profile.update(actions=actions + consent_actions, condition=condition)
    except UpdateError as error:
        if not condition_failed(error):
            raise
        # The consent on file is newer than this event's: keep it, take the rest.
        profile.update(actions=actions)
    if ref.anonymous_id:
        merge_visitor(store_id, ref.anonymous_id, ref.customer_id, occurred_at)
    if ref.phone:
        PhoneIdentity(*PhoneIdentity.key(ref.phone, store_id, ref.customer_id), store_id=store_id, customer_id=ref.customer_id).save()


def apply_customer_updated(event: CustomerUpdated) -> None:
    upsert_customer(event.store_id, event.customer, event.occurred_at, registered=event.registered)


def customer_for_visitor(store_id: str, anonymous_id: str) -> str | None:
    try:
        return VisitorIdentity.get(*VisitorIdentity.key(store_id, anonymous_id)).customer_id
    except DoesNotExist:
        return None


def merge_visitor(store_id: str, anonymous_id: str, customer_id: str, merged_at: datetime) -> int:
    """Link a visitor to the customer and move what the visitor viewed onto the profile."""
    pk, sk = VisitorIdentity.key(store_id, anonymous_id)
    VisitorIdentity(pk, sk, customer_id=customer_id, merged_at=merged_at).save()
    # The profile lists its visitor ids so that erasing the customer finds every pointer.
    Customer(customer_key(store_id, customer_id), Customer.sort_key()).update(actions=[Customer.anonymous_ids.add({anonymous_id})])
    moved = 0
    for view in ProductView.query(visitor_key(store_id, anonymous_id), ProductView.sk.startswith("VIEW#")):
        _record_view(
            customer_key(store_id, customer_id),
            view.product_id,
            title=view.title,
            category=view.category,
            views=int(view.views),
            dwell_seconds=int(view.dwell_seconds),
            first=view.first_viewed_at,
            last=view.last_viewed_at,
        )
        view.delete()
        moved += 1
    return moved


# ---------------------------------------------------------------- visitor ↔ checkout token
# The checkout webhook follows the browser's checkout_started within seconds (Shopify retries
# a failed delivery for up to 4 hours): a day covers both, then the link is forgotten.
LINK_KEPT = timedelta(hours=24)


def _string(attributes: dict, name: str) -> str | None:
    value = attributes.get(name)
    return value.get("S") if isinstance(value, dict) else None


def _live(attributes: dict, now: datetime) -> bool:
    expires = attributes.get("expires_at", {}).get("N")
    return expires is None or float(expires) > now.timestamp()  # DynamoDB TTL deletes late


def link_checkout_to_visitor(store_id: str, checkout_token: str, visitor_id: str, now: datetime) -> str | None:
    """The browser saw this checkout token. Returns the customer the visitor was merged into
    when the signed webhook for the token already came; None otherwise. The first visitor to
    claim a token keeps it."""
    return _link_checkout(store_id, checkout_token, now, visitor_id=visitor_id)


def link_checkout_to_customer(store_id: str, checkout_token: str, customer_id: str, now: datetime) -> str | None:
    """The shop's signed checkout webhook names this token's customer. Returns the visitor
    merged into the customer when the browser already reported the token; None otherwise.
    A checkout's customer does not change: the first webhook's stands."""
    return _link_checkout(store_id, checkout_token, now, customer_id=customer_id)


def _link_checkout(store_id: str, checkout_token: str, now: datetime, *, visitor_id: str | None = None, customer_id: str | None = None) -> str | None:
    """Record one side of a checkout token's link (exactly one of ``visitor_id`` and
    ``customer_id``; the first value each side gets stands). When the other side is already
    there and not expired, the visitor is merged into the customer and the other side's id
    is returned; None otherwise, and when this side is already someone else's."""
    if visitor_id is not None:
        side, mine, other = CheckoutVisitor.visitor_id, visitor_id, "customer_id"
    elif customer_id is not None:
        side, mine, other = CheckoutVisitor.customer_id, customer_id, "visitor_id"
    else:
        raise ValueError("a checkout link needs a visitor_id or a customer_id")
    attributes = update_returning(
        CheckoutVisitor,
        CheckoutVisitor.key(store_id, checkout_token),
        actions=[side.set(mine), CheckoutVisitor.expires_at.set(CheckoutVisitor.expires_at | (now + LINK_KEPT))],
        condition=side.does_not_exist() | (side == mine),
        return_values="ALL_NEW",
    )
    if attributes is None:
        return None
    if customer_id is not None:
        # Erasing the customer must find this item: the pointer lives in their own partition.
        CustomerCheckout(customer_key(store_id, customer_id), CustomerCheckout.sort_key(checkout_token), expires_at=now + LINK_KEPT).save()
    found = _string(attributes, other)
    if not found or not _live(attributes, now):
        return None
    merge_visitor(store_id, visitor_id or found, customer_id or found, now)
    return found


def _record_view(
    pk: str, product_id: str, *, title, category, views: int, dwell_seconds: int, first: datetime, last: datetime, expires_at: datetime | None = None
) -> None:
    actions: list[Action] = [
        ProductView.product_id.set(product_id),
        ProductView.views.add(views),
        ProductView.dwell_seconds.add(dwell_seconds),
        ProductView.first_viewed_at.set(ProductView.first_viewed_at | first),
        ProductView.last_viewed_at.set(last),
    ]
    if title:
        actions.append(ProductView.title.set(title))
    if category:
        actions.append(ProductView.category.set(category))
    if expires_at is not None:
        actions.append(ProductView.expires_at.set(expires_at))
    ProductView(pk, ProductView.sort_key(product_id)).update(actions=actions)


def apply_product_viewed(event: ProductViewed) -> tuple[str, str | None]:
    """Count the view on the customer, or on the anonymous visitor until they are known.
    Returns where it was recorded ("customer", "visitor", "unattributed") and the customer."""
    customer_id = event.customer.customer_id if event.customer else None
    if customer_id is None and event.anonymous_id:
        customer_id = customer_for_visitor(event.store_id, event.anonymous_id)
    if customer_id is not None:
        pk = customer_key(event.store_id, customer_id)
    elif event.anonymous_id:
        pk = visitor_key(event.store_id, event.anonymous_id)
    else:
        return "unattributed", None
    _record_view(
        pk,
        event.product_id,
        title=event.title,
        category=event.category,
        views=1,
        dwell_seconds=event.dwell_seconds or 0,
        first=event.occurred_at,
        last=event.occurred_at,
        # A visitor nobody links to a customer is forgotten: each view keeps it for
        # VISITOR_VIEWS_KEPT more (DynamoDB TTL); views moved to a customer carry no expiry.
        expires_at=None if customer_id else event.occurred_at + VISITOR_VIEWS_KEPT,
    )
    return ("customer" if customer_id else "visitor"), customer_id


# ---------------------------------------------------------------- segments and RFM

# Quintile-style thresholds: a score is 1 + how many thresholds the value reaches.
RECENCY_DAYS = (365, 180, 90, 30)  # more recent → higher score
FREQUENCY_ORDERS = (2, 3, 5, 8)
MONETARY_CENTS = (5_000, 15_000, 40_000, 100_000)
ACTIVE_WITHIN = timedelta(days=90)
VIP_MIN_SCORE = 13  # R + F + M out of 15


@dataclass(frozen=True)
class Rfm:
    recency: int
    frequency: int
    monetary: int

    @property
    def total(self) -> int:
        return self.recency + self.frequency + self.monetary


def rfm(customer: Customer, now: datetime) -> Rfm | None:
    """RFM from the incrementally kept totals; recency is computed at read time because it
    changes every day without any event."""
    if not customer.orders_count or customer.last_order_at is None:
        return None
    days = (now - customer.last_order_at).days
    return Rfm(
        recency=1 + sum(days <= limit for limit in RECENCY_DAYS),
        frequency=1 + sum(customer.orders_count >= limit for limit in FREQUENCY_ORDERS),
        monetary=1 + sum(customer.revenue_cents >= limit for limit in MONETARY_CENTS),
    )


def segments(customer: Customer, now: datetime, *, has_open_cart: bool = False) -> set[str]:
    found: set[str] = set()
    scores = rfm(customer, now)
    if scores is None:
        found.add("new")
    elif now - customer.last_order_at <= ACTIVE_WITHIN:
        found.add("active")
    else:
        found.add("inactive")
    if scores and scores.total >= VIP_MIN_SCORE:
        found.add("vip")
    if has_open_cart:
        found.add("cart_abandoner")
    return found


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


def _order_moment(order: Order) -> datetime:
    return order.placed_at or order.paid_at or order.cancelled_at or datetime.max.replace(tzinfo=UTC)


def customer_record(store_id: str, customer_id: str) -> CustomerRecord:
    pk = customer_key(store_id, customer_id)
    return CustomerRecord(
        profile=get_or_none(Customer, pk, Customer.sort_key()),
        messages=sorted(Message.query(pk, Message.sk.startswith("MESSAGE#")), key=lambda m: m.claimed_at),
        waits=list(JourneyWait.query(pk, JourneyWait.sk.startswith("WAIT#"))),
        milestones=list(Milestone.query(pk, Milestone.sk.startswith("MILESTONE#"))),
        orders=sorted(Order.query(pk, Order.sk.startswith("ORDER#")), key=_order_moment),
    )
