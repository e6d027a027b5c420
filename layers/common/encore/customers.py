"""Customer profiles: identity, consent per channel, anonymous visitors, product views,
and the segments every branch can read (new, active, inactive, VIP, cart abandoner, RFM).

Only the fields an event carries are written, so events from different platforms and in any
order add up instead of overwriting each other. The rules are here (which consent may replace
the one on file, what a view counts on); the writes go through ``encore.storage``
(``profiles``, ``visitors``), which holds the conditions that make them safe under races.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from encore.events import Consent, CustomerRef, CustomerUpdated, ProductViewed
from encore.storage import customer_state
from encore.storage.customer_state import CustomerStorage
from encore.storage.profiles import ConsentChange, CustomerRecord, ProfileUpdate
from encore.storage.records import Customer
from encore.storage.visitors import CheckoutSide, ViewCount

# How long an anonymous visitor's product views are kept after their last view (rolling).
VISITOR_VIEWS_KEPT = timedelta(days=90)


def consent_change(consent: Consent, fallback_time: datetime) -> ConsentChange:
    """How ``consent`` may replace the one on file (the rule; storage writes it conditionally).

    A dated consent replaces an older one. An undated "subscribed" (Shopify does not require
    ``consent_updated_at``; ``accepts_marketing`` has no date at all) is a state the shop
    reports, not an act of the customer: it may confirm a consent on file but never undoes an
    opt-out, however the opt-out was made. An undated withdrawal is always taken (dated with
    the event's time, it is never older than what is on file)."""
    return ConsentChange(
        granted=consent.granted,
        source=consent.source,
        updated_at=consent.updated_at or fallback_time,
        may_undo_opt_out=not (consent.granted and consent.updated_at is None),
    )


def profile_update(store_id: str, ref: CustomerRef, occurred_at: datetime, *, registered: bool = False) -> ProfileUpdate:
    """What the event says about the customer; blank strings from a platform are "not carried" too."""
    carried = {
        "email": ref.email,
        "phone": ref.phone,
        "first_name": ref.first_name,
        "last_name": ref.last_name,
        "locale": ref.locale,
        "time_zone": ref.time_zone,
        "country": ref.country.upper() if ref.country else None,
        # A push token is of use only with its platform, and the other way round.
        "push_token": ref.push_token if ref.push_platform else None,
        "push_platform": ref.push_platform if ref.push_token else None,
    }
    email_consent = ref.email_consent or (Consent(granted=True, source="legacy:accepts_marketing") if ref.accepts_email_marketing else None)
    return ProfileUpdate(
        store_id=store_id,
        customer_id=ref.customer_id,
        occurred_at=occurred_at,
        details={name: value for name, value in carried.items() if value},
        birthday=ref.birthday,
        tags=frozenset(ref.tags) if ref.tags is not None else None,
        registered=registered,
        email_consent=consent_change(email_consent, occurred_at) if email_consent else None,
        sms_consent=consent_change(ref.sms_consent, occurred_at) if ref.sms_consent else None,
    )


def upsert_customer(store_id: str, ref: CustomerRef, occurred_at: datetime, *, registered: bool = False, storage: CustomerStorage | None = None) -> None:
    """Keep the profile current; only fields the event carries are written.

    A consent that may not replace the one on file is ignored (a late webhook must not
    re-subscribe someone who has since opted out); the rest of the event is taken."""
    storage = storage or customer_state.on_dynamodb()
    storage.profiles.upsert_profile(profile_update(store_id, ref, occurred_at, registered=registered))
    if ref.anonymous_id:
        merge_visitor(store_id, ref.anonymous_id, ref.customer_id, occurred_at, storage=storage)
    if ref.phone:
        storage.profiles.record_phone(store_id, ref.customer_id, ref.phone)


def apply_customer_updated(event: CustomerUpdated, *, storage: CustomerStorage | None = None) -> None:
    upsert_customer(event.store_id, event.customer, event.occurred_at, registered=event.registered, storage=storage)


def customer_for_visitor(store_id: str, anonymous_id: str, *, storage: CustomerStorage | None = None) -> str | None:
    return (storage or customer_state.on_dynamodb()).visitors.customer_for_visitor(store_id, anonymous_id)


def merge_visitor(store_id: str, anonymous_id: str, customer_id: str, merged_at: datetime, *, storage: CustomerStorage | None = None) -> int:
    """Link a visitor to the customer and move what the visitor viewed onto the profile."""
    visitors = (storage or customer_state.on_dynamodb()).visitors
    visitors.link_visitor(store_id, anonymous_id, customer_id, merged_at)
    return visitors.move_views_to_customer(store_id, anonymous_id, customer_id)


# ---------------------------------------------------------------- visitor ↔ checkout token
# The checkout webhook follows the browser's checkout_started within seconds (Shopify retries
# a failed delivery for up to 4 hours): a day covers both, then the link is forgotten.
LINK_KEPT = timedelta(hours=24)


def link_checkout_to_visitor(store_id: str, checkout_token: str, visitor_id: str, now: datetime, *, storage: CustomerStorage | None = None) -> str | None:
    """The browser saw this checkout token. Returns the customer the visitor was merged into
    when the signed webhook for the token already came; None otherwise. The first visitor to
    claim a token keeps it."""
    return _link_checkout(store_id, checkout_token, now, "visitor_id", visitor_id, storage or customer_state.on_dynamodb())


def link_checkout_to_customer(store_id: str, checkout_token: str, customer_id: str, now: datetime, *, storage: CustomerStorage | None = None) -> str | None:
    """The shop's signed checkout webhook names this token's customer. Returns the visitor
    merged into the customer when the browser already reported the token; None otherwise.
    A checkout's customer does not change: the first webhook's stands."""
    return _link_checkout(store_id, checkout_token, now, "customer_id", customer_id, storage or customer_state.on_dynamodb())


def _link_checkout(store_id: str, checkout_token: str, now: datetime, side: CheckoutSide, mine: str, storage: CustomerStorage) -> str | None:
    """Record one side of a checkout token's link (the first value each side gets stands).
    When the other side is already there and not expired, the visitor is merged into the
    customer and the other side's id is returned; None otherwise, and when this side is
    already someone else's."""
    link = storage.visitors.claim_checkout_side(store_id, checkout_token, side, mine, now + LINK_KEPT)
    if link is None:
        return None
    if side == "customer_id":
        # Erasing the customer must find this item: the pointer lives in their own partition.
        storage.visitors.remember_customer_checkout(store_id, mine, checkout_token, now + LINK_KEPT)
    found = link.customer_id if side == "visitor_id" else link.visitor_id
    live = link.expires_at is None or link.expires_at > now  # DynamoDB TTL deletes late
    if not found or not live:
        return None
    visitor_id, customer_id = (mine, found) if side == "visitor_id" else (found, mine)
    merge_visitor(store_id, visitor_id, customer_id, now, storage=storage)
    return found


def apply_product_viewed(event: ProductViewed, *, storage: CustomerStorage | None = None) -> tuple[str, str | None]:
    """Count the view on the customer, or on the anonymous visitor until they are known.
    Returns where it was recorded ("customer", "visitor", "unattributed") and the customer."""
    storage = storage or customer_state.on_dynamodb()
    customer_id = event.customer.customer_id if event.customer else None
    if customer_id is None and event.anonymous_id:
        customer_id = storage.visitors.customer_for_visitor(event.store_id, event.anonymous_id)
    view = ViewCount(
        product_id=event.product_id,
        title=event.title,
        category=event.category,
        views=1,
        dwell_seconds=event.dwell_seconds or 0,
        first_viewed_at=event.occurred_at,
        last_viewed_at=event.occurred_at,
    )
    if customer_id is not None:
        storage.visitors.record_customer_view(event.store_id, customer_id, view)
        return "customer", customer_id
    if event.anonymous_id:
        # A visitor nobody links to a customer is forgotten: each view keeps it for
        # VISITOR_VIEWS_KEPT more (DynamoDB TTL); views moved to a customer carry no expiry.
        storage.visitors.record_visitor_view(event.store_id, event.anonymous_id, view, event.occurred_at + VISITOR_VIEWS_KEPT)
        return "visitor", None
    return "unattributed", None


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


def customer_record(store_id: str, customer_id: str, *, storage: CustomerStorage | None = None) -> CustomerRecord:
    """Everything the table knows about the customer (``storage.profiles.CustomerRecord``)."""
    return (storage or customer_state.on_dynamodb()).profiles.customer_record(store_id, customer_id)
