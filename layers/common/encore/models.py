"""DynamoDB items, one table for everything (PynamoDB).

Key design: every customer's items share one partition key (``STORE#<store>#CUSTOMER#<id>``)
so one Query reads a customer's whole state and load spreads across customers (no hot
partition). Look-ups by something other than the customer (a webhook id, a coupon code, a
platform cart token) get an item of their own with that value in the partition key.
"""

from __future__ import annotations

import hashlib
from typing import Any, cast

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model


class _Meta:
    table_name: str | None = None


def bind_table(table_name: str) -> None:
    """Point every model at the deployed table (its name comes from the function's settings)."""
    _Meta.table_name = table_name


def get_or_none(model, pk: str, sk: str, *, consistent_read: bool = False):
    """The item, or None when there is none."""
    try:
        return model.get(pk, sk, consistent_read=consistent_read)
    except model.DoesNotExist:
        return None


def condition_failed(error: Exception) -> bool:
    """True when a conditional write was refused because its condition did not hold (the
    normal outcome of "only once" writes), as opposed to a real failure."""
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def set_given(pairs) -> list:
    """SET actions for the attributes an event carries: a None value means "not carried",
    so what other events wrote stays (webhooks from several sources add up)."""
    return [attribute.set(value) for attribute, value in pairs if value is not None]


def update_returning(model, key: tuple[str, str], *, actions: list, condition, return_values: str) -> dict | None:
    """One conditional UpdateItem that also returns the item's values from before it
    (PynamoDB's Model.update returns only new values). None when the condition was false."""
    try:
        response = model._get_connection().update_item(*key, actions=actions, condition=condition, return_values=return_values)
    except UpdateError as error:
        if not condition_failed(error):
            raise
        return None
    return response.get("Attributes", {})


# As the ``actions`` of one of ``transact``'s writes: delete the item.
DELETE = "delete"


def transact(writes: list[tuple]) -> bool:
    """Several writes that happen together or not at all (TransactWriteItems): each is
    ``(model, actions, condition)``, with ``actions`` None for a put, ``DELETE`` for a delete,
    else the update's actions. False when a condition did not hold (nothing was written); a
    marker and the effects it guards go in one of these, so a retry after any failure finds
    either all of them or none.
    """
    from pynamodb.exceptions import TransactWriteError
    from pynamodb.transactions import TransactWrite

    try:
        with TransactWrite(connection=_Item._get_connection().connection) as transaction:
            for model, actions, condition in writes:
                if actions is None:
                    transaction.save(model, condition=condition)
                elif actions is DELETE:
                    transaction.delete(model, condition=condition)
                else:
                    transaction.update(model, actions=actions, condition=condition)
    except TransactWriteError as error:
        reasons = [reason.code for reason in error.cancellation_reasons if reason is not None]
        if error.cause_response_code == "TransactionCanceledException" and reasons and set(reasons) <= {"ConditionalCheckFailed", "None"}:
            return False
        raise
    return True


def save_owned(item, *, condition, attempt_attribute) -> bool:
    """A conditional put that knows its own write: True when this call's item is stored.

    The SDK retries a PutItem whose answer was lost; when the first try was applied, the
    retry is refused with ConditionalCheckFailed although the item is ours. The item carries
    a random attempt id, and a refused put reads the item back to tell "ours" from "theirs".
    """
    from pynamodb.exceptions import PutError

    try:
        item.save(condition=condition)
        return True
    except PutError as error:
        if not condition_failed(error):
            raise
    stored = get_or_none(type(item), item.pk, item.sk, consistent_read=True)
    return stored is not None and getattr(stored, attempt_attribute) == getattr(item, attempt_attribute)


def string_list(**options: Any) -> ListAttribute[str]:
    """A list of strings. PynamoDB types ``ListAttribute(of=UnicodeAttribute)`` as a list of
    UnicodeAttribute, yet it loads and stores plain strings: this says so once."""
    return cast("ListAttribute[str]", ListAttribute(of=UnicodeAttribute, **options))


def customer_key(store_id: str, customer_id: str) -> str:
    return f"STORE#{store_id}#CUSTOMER#{customer_id}"


class _Item(Model):
    Meta = _Meta  # type: ignore[assignment]  # one shared Meta class (bind_table names the table once); PynamoDB types Meta as a protocol instance
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class ConsentAttribute(MapAttribute):
    granted = BooleanAttribute()
    source = UnicodeAttribute()
    updated_at = UTCDateTimeAttribute()


class BirthdayIndex(GlobalSecondaryIndex):
    """Customers by store and birthday month-day ("MM-DD"): the daily birthday scan reads
    only the day's matches."""

    class Meta:
        index_name = "birthday"
        projection = AllProjection()

    birthday_key = UnicodeAttribute(hash_key=True)  # STORE#<store>#BIRTHDAY#<MM-DD>
    customer_id = UnicodeAttribute(range_key=True)


class LastOrderIndex(GlobalSecondaryIndex):
    """Customers by store and the day of their last order: win-back scans query one day."""

    class Meta:
        index_name = "last-order"
        projection = AllProjection()

    last_order_key = UnicodeAttribute(hash_key=True)  # STORE#<store>#LASTORDER#<YYYY-MM-DD>
    customer_id = UnicodeAttribute(range_key=True)


class Customer(_Item):
    """Profile, consent per channel, order summary and RFM inputs; sk = PROFILE."""

    store_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)  # E.164
    first_name = UnicodeAttribute(null=True)
    last_name = UnicodeAttribute(null=True)
    locale = UnicodeAttribute(null=True)
    time_zone = UnicodeAttribute(null=True)  # IANA
    country = UnicodeAttribute(null=True)
    birthday = UnicodeAttribute(null=True)  # YYYY-MM-DD
    birthday_key = UnicodeAttribute(null=True)
    tags = UnicodeSetAttribute(null=True)
    accepts_email_marketing = BooleanAttribute(default=False)
    email_consent = ConsentAttribute(null=True)
    sms_consent = ConsentAttribute(null=True)
    registered_at = UTCDateTimeAttribute(null=True)
    # Hard suppression per channel (bounce, complaint, SMS STOP): no message of any kind.
    email_suppressed_reason = UnicodeAttribute(null=True)  # hard_bounce | complaint
    email_suppressed_at = UTCDateTimeAttribute(null=True)
    sms_suppressed_reason = UnicodeAttribute(null=True)  # stop_keyword
    sms_suppressed_at = UTCDateTimeAttribute(null=True)
    last_engaged_at = UTCDateTimeAttribute(null=True)  # the latest open or click
    active_hour = NumberAttribute(null=True)  # learned local hour of opens and clicks (0–23)
    push_token = UnicodeAttribute(null=True)  # the app's device token; dropped when the provider rejects it
    push_platform = UnicodeAttribute(null=True)  # APNS | APNS_SANDBOX | GCM
    anonymous_ids = UnicodeSetAttribute(null=True)  # visitors merged into this customer
    orders_count = NumberAttribute(default=0)
    revenue_cents = NumberAttribute(default=0)
    first_order_at = UTCDateTimeAttribute(null=True)
    last_order_at = UTCDateTimeAttribute(null=True)
    last_order_key = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    birthday_index = BirthdayIndex()
    last_order_index = LastOrderIndex()

    @staticmethod
    def sort_key() -> str:
        return "PROFILE"


class CartLineAttribute(MapAttribute):
    product_id = UnicodeAttribute()
    title = UnicodeAttribute()
    quantity = NumberAttribute()
    price_cents = NumberAttribute()
    url = UnicodeAttribute(null=True)
    image_url = UnicodeAttribute(null=True)


class Cart(_Item):
    """A customer's cart; sk = CART#<cart id>. Its abandonment journey waits in a JourneyWait
    (``encore.storage.waits``). ``journey_token`` and ``journey_reminder`` are where the previous
    release parked it: still read (``take_legacy_cart_token``), never written, until 2027-03-03."""

    store_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    cart_id = UnicodeAttribute()
    status = UnicodeAttribute(default="open")  # open | empty | ordered
    currency = UnicodeAttribute(default="USD")
    total_cents = NumberAttribute(default=0)
    lines = ListAttribute(of=CartLineAttribute, default=list)
    recovery_url = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute()
    journey_token = UnicodeAttribute(null=True)
    # Which reminder the parked journey waits for ("reminder_2"): a cart update moves that
    # timer. Absent while it waits for a late order (or on a journey of an older release).
    journey_reminder = UnicodeAttribute(null=True)
    timer_moves = NumberAttribute(null=True)  # how often cart updates moved the timers (capped)
    order_id = UnicodeAttribute(null=True)
    # The event that last wrote the lines: a single-product change retried after its write
    # (the function failed later) finds itself here and is not added twice.
    last_event_id = UnicodeAttribute(null=True)

    @staticmethod
    def sort_key(cart_id: str) -> str:
        return f"CART#{cart_id}"


class Order(_Item):
    """Order summary; sk = ORDER#<order id>. Lifecycle moments may arrive in any order
    (paid before placed): each is set once, and ``counted`` records whether the order is in
    the customer's totals, so duplicates and reordering never count it twice."""

    store_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    order_id = UnicodeAttribute()
    order_name = UnicodeAttribute(null=True)  # as the shop shows it ("#1001"); see display_name
    cart_id = UnicodeAttribute(null=True)
    currency = UnicodeAttribute(null=True)
    total_cents = NumberAttribute(null=True)
    placed_at = UTCDateTimeAttribute(null=True)
    paid_at = UTCDateTimeAttribute(null=True)
    fulfilled_at = UTCDateTimeAttribute(null=True)
    delivered_at = UTCDateTimeAttribute(null=True)
    cancelled_at = UTCDateTimeAttribute(null=True)
    refunded_cents = NumberAttribute(null=True)
    tracking_url = UnicodeAttribute(null=True)
    tracking_number = UnicodeAttribute(null=True)
    counted = BooleanAttribute(default=False)
    # Written last, once everything the order's first sight causes (coupons redeemed, journeys
    # started) has happened: a retry after a failure in between does the rest.
    effects_done = BooleanAttribute(null=True)
    coupon_codes = string_list(default=list)
    lines = ListAttribute(of=CartLineAttribute, default=list)
    payment_url = UnicodeAttribute(null=True)

    @staticmethod
    def sort_key(order_id: str) -> str:
        return f"ORDER#{order_id}"

    @property
    def display_name(self) -> str:
        return order_display_name(self.order_id, self.order_name)


def order_display_name(order_id: str, order_name: str | None) -> str:
    """What a customer or an operator is shown for an order: the shop's own name for it, or
    "#<id>" for a platform without names (the generic API)."""
    return order_name or f"#{order_id}"


class OrderOwner(_Item):
    """Which customer an order belongs to: status webhooks (fulfillments, refunds) name
    only the order."""

    customer_id = UnicodeAttribute()

    @staticmethod
    def key(store_id: str, order_id: str) -> tuple[str, str]:
        return f"STORE#{store_id}#ORDER#{order_id}", "OWNER"


class PendingOrderStatus(_Item):
    """A status webhook (a fulfilment names only the order) that arrived before anything
    told us whose order it is: kept here and applied when the order arrives, instead of
    being left to retries that end long before a late order webhook; sk = STATUS#<type>."""

    event = UnicodeAttribute()  # the canonical OrderStatusChanged, as JSON
    expires_at = TTLAttribute(null=True)  # an order that never arrives: dropped after this

    @staticmethod
    def key(store_id: str, order_id: str, event_type: str) -> tuple[str, str]:
        return f"STORE#{store_id}#ORDER#{order_id}", f"STATUS#{event_type}"


class PurchasedProduct(_Item):
    """What a customer bought, per product; sk = PURCHASE#<product id>."""

    product_id = UnicodeAttribute()
    title = UnicodeAttribute(null=True)
    quantity = NumberAttribute(default=0)
    orders = NumberAttribute(default=0)
    first_purchased_at = UTCDateTimeAttribute(null=True)
    last_purchased_at = UTCDateTimeAttribute(null=True)

    @staticmethod
    def sort_key(product_id: str) -> str:
        return f"PURCHASE#{product_id}"


class ProductView(_Item):
    """A customer's (or an anonymous visitor's) views of one product; sk = VIEW#<product id>."""

    product_id = UnicodeAttribute()
    title = UnicodeAttribute(null=True)
    category = UnicodeAttribute(null=True)
    views = NumberAttribute(default=0)
    dwell_seconds = NumberAttribute(default=0)
    first_viewed_at = UTCDateTimeAttribute(null=True)
    last_viewed_at = UTCDateTimeAttribute(null=True)
    # Only an anonymous visitor's views expire (encore.customers.VISITOR_VIEWS_KEPT after the
    # last one); a customer's are kept like the rest of the profile.
    expires_at = TTLAttribute(null=True)

    @staticmethod
    def sort_key(product_id: str) -> str:
        return f"VIEW#{product_id}"


def visitor_key(store_id: str, anonymous_id: str) -> str:
    return f"STORE#{store_id}#VISITOR#{anonymous_id}"


class VisitorIdentity(_Item):
    """An anonymous visitor merged into a customer at login or checkout."""

    customer_id = UnicodeAttribute()
    merged_at = UTCDateTimeAttribute()

    @staticmethod
    def key(store_id: str, anonymous_id: str) -> tuple[str, str]:
        return visitor_key(store_id, anonymous_id), "IDENTITY"


class CheckoutVisitor(_Item):
    """Which browser visitor started a checkout (the storefront pixel reports the checkout
    token) and which customer the shop's signed checkout webhook names for the same token.
    Whichever side arrives second finds the other and merges the visitor into the customer
    (encore.tracking): a browser alone never names a customer. Short-lived (TTL)."""

    visitor_id = UnicodeAttribute(null=True)  # from the browser (first one wins)
    customer_id = UnicodeAttribute(null=True)  # from the signed webhook
    expires_at = TTLAttribute()

    @staticmethod
    def key(store_id: str, checkout_token: str) -> tuple[str, str]:
        return f"STORE#{store_id}#CHECKOUT#{checkout_token}", "VISITOR"


class CustomerCheckout(_Item):
    """In the customer's partition: a checkout token a signed webhook gave them, so erasing
    the customer finds (and deletes) the CheckoutVisitor item naming them. sk = CHECKOUT#<token>."""

    expires_at = TTLAttribute()

    @staticmethod
    def sort_key(checkout_token: str) -> str:
        return f"CHECKOUT#{checkout_token}"


class TrackingCounter(_Item):
    """Requests of one busy visitor in one minute, across every warm container (written only
    for visitors already over the in-memory threshold: encore.tracking.RateLimiter)."""

    # Stored as "count"; named otherwise in Python because ``count`` would shadow Model.count
    # (the classmethod that counts a table's items).
    requests = NumberAttribute(default=0, attr_name="count")
    expires_at = TTLAttribute()

    @staticmethod
    def key(store_id: str, visitor_id: str, minute: str) -> tuple[str, str]:
        return f"STORE#{store_id}#TRACKRATE#{visitor_id}", f"MINUTE#{minute}"


class Product(_Item):
    """Catalogue entry; pk = STORE#<store>#PRODUCT#<id>, sk = PRODUCT. Webhooks keep the
    basics current; the relations scenarios need come from the catalogue file."""

    store_id = UnicodeAttribute()
    product_id = UnicodeAttribute()
    title = UnicodeAttribute()
    category = UnicodeAttribute(null=True)
    product_type = UnicodeAttribute(null=True)
    price_cents = NumberAttribute(null=True)
    currency = UnicodeAttribute(null=True)
    in_stock = BooleanAttribute(null=True)
    url = UnicodeAttribute(null=True)
    image_url = UnicodeAttribute(null=True)
    deleted = BooleanAttribute(default=False)
    upgrade_of = string_list(null=True)
    complements = string_list(null=True)
    # Written at catalogue import so that views need no scan: the products whose
    # ``upgrade_of`` names this one, and others of its category.
    upgrades = string_list(null=True)
    similar = string_list(null=True)
    daily_usage = NumberAttribute(null=True)  # units used per day, for replenishment
    updated_at = UTCDateTimeAttribute()

    @staticmethod
    def key(store_id: str, product_id: str) -> tuple[str, str]:
        return f"STORE#{store_id}#PRODUCT#{product_id}", "PRODUCT"


class CartLink(_Item):
    """Which customer a platform cart token belongs to (Shopify cart webhooks carry no
    customer; a checkout or an identified storefront event links them)."""

    customer_id = UnicodeAttribute()

    @staticmethod
    def key(store_id: str, cart_token: str) -> tuple[str, str]:
        return f"STORE#{store_id}#CARTTOKEN#{cart_token}", "LINK"


class ProcessedEvent(_Item):
    """Dedupe record of an accepted webhook (pk names the store and the platform's id)."""

    received_at = UTCDateTimeAttribute()
    event_type = UnicodeAttribute()
    expires_at = TTLAttribute(null=True)
    # An idempotency record: in_progress until the event is on the bus, then done (records
    # from before this field are done). ``attempt`` names the request that wrote it, so a
    # put that was applied but answered ConditionalCheckFailed (the SDK's retry) is known as
    # our own; an in_progress record whose request died is taken over after ``in_progress_until``.
    status = UnicodeAttribute(null=True)
    attempt = UnicodeAttribute(null=True)
    in_progress_until = UTCDateTimeAttribute(null=True)

    @staticmethod
    def key(store_id: str, event_id: str) -> tuple[str, str]:
        return f"STORE#{store_id}#EVENT#{event_id}", "EVENT"


class ErasureReceipt(_Item):
    """Proof that a customer was erased, holding no personal data: the customer is named only
    by a digest of the store and customer ids. It is also the tombstone that stops a replay or a late redelivery of
    events from before the erasure from creating the customer again."""

    erased_at = UTCDateTimeAttribute()
    request_id = UnicodeAttribute()
    items_deleted = NumberAttribute()
    journeys_stopped = NumberAttribute()
    exports_deleted = NumberAttribute(default=0)

    @staticmethod
    def key(store_id: str, customer_id: str) -> tuple[str, str]:
        digest = hashlib.sha256(f"{store_id}\x1f{customer_id}".encode()).hexdigest()
        return f"STORE#{store_id}#ERASED#{digest}", "ERASED"


class Message(_Item):
    """One step's message; sk = MESSAGE#<journey>#<step>. Written (claimed) before the
    channel is called, so a retried or redriven step never sends twice."""

    store_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    journey = UnicodeAttribute()
    step = UnicodeAttribute()
    template = UnicodeAttribute()
    channel = UnicodeAttribute(default="email")
    # deferred | claimed | sent | skipped | uncertain (the channel may have taken it: its
    # answer was lost; never sent again, settled by the channel's events)
    status = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    claim_attempt = UnicodeAttribute(null=True)  # which invocation claimed it (models.save_owned)
    uncertain_since = UTCDateTimeAttribute(null=True)
    first_attempt_at = UTCDateTimeAttribute(null=True)  # staleness of deferrals counts from here
    deferred_until = UTCDateTimeAttribute(null=True)
    deferred_reason = UnicodeAttribute(null=True)  # why it was held back (quiet_hours, frequency_cap)
    sms_encoding = UnicodeAttribute(null=True)  # GSM-7 | UCS-2
    sms_segments = NumberAttribute(null=True)
    # What the channel reported back (SES configuration-set events).
    delivered_at = UTCDateTimeAttribute(null=True)
    opened_at = UTCDateTimeAttribute(null=True)
    clicked_at = UTCDateTimeAttribute(null=True)
    bounced_at = UTCDateTimeAttribute(null=True)
    complained_at = UTCDateTimeAttribute(null=True)
    subject = UnicodeAttribute(null=True)
    coupon_code = UnicodeAttribute(null=True)
    coupon_failure_reason = UnicodeAttribute(null=True)  # the shop refused or was unreachable (encore.coupons)
    provider_message_id = UnicodeAttribute(null=True)
    claimed_at = UTCDateTimeAttribute()
    sent_at = UTCDateTimeAttribute(null=True)

    @staticmethod
    def sort_key(journey: str, step: str) -> str:
        return f"MESSAGE#{journey}#{step}"


class CapTurn(_Item):
    """The customer's frequency-cap turn; sk = CAP. Every marketing claim moves it on, on the
    condition that it is where it was before the claim's guards counted the customer's messages:
    of two journeys deciding at once, the second to move it counts again, with the first's claim
    in view (``encore.delivery.guards``). It holds a number only, never a message."""

    turn = NumberAttribute(null=True)

    @staticmethod
    def sort_key() -> str:
        return "CAP"


class Coupon(_Item):
    """A unique coupon code; pk names the store and the code so checkout can look it up."""

    store_id = UnicodeAttribute()
    code = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    journey = UnicodeAttribute()
    percent_off = NumberAttribute()
    issued_at = UTCDateTimeAttribute()
    expires_at = UTCDateTimeAttribute()
    redeemed_order_id = UnicodeAttribute(null=True)
    redeemed_at = UTCDateTimeAttribute(null=True)
    # Coupons the shop knows (encore.coupons): None on items from before shops were asked.
    status = UnicodeAttribute(null=True)  # pending | accepted | failed | expired | deleted
    platform = UnicodeAttribute(null=True)  # shopify | woocommerce | generic
    step = UnicodeAttribute(null=True)
    shop_ref = UnicodeAttribute(null=True)  # Shopify DiscountRedeemCode id, WooCommerce coupon id
    discount_ref = UnicodeAttribute(null=True)  # Shopify DiscountCodeNode id
    failure_reason = UnicodeAttribute(null=True)

    @staticmethod
    def key(store_id: str, code: str) -> tuple[str, str]:
        return f"STORE#{store_id}#COUPON#{code}", "COUPON"


class JourneyWait(_Item):
    """A journey waiting for one of the customer's events, or (cart abandonment) for its
    cart's order or next update; sk = WAIT#<execution name>. Read and written only through
    ``encore.storage.waits``: whoever takes the token (a conditional delete or update)
    releases the wait."""

    store_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    journey = UnicodeAttribute()
    # Canonical event types, e.g. {"order_fulfilled"}; a cart journey's {"cart_order_or_update"}.
    awaiting = UnicodeSetAttribute()
    key = UnicodeAttribute(null=True)  # the business key the event must match (an order id, a cart id)
    # Only an event about one of these products releases the wait (None: any product).
    products = UnicodeSetAttribute(null=True)
    # Absent while a cart journey whose timer a cart update moved is on its way to its next wait.
    task_token = UnicodeAttribute(null=True)
    parked_at = UTCDateTimeAttribute()
    reminder = UnicodeAttribute(null=True)  # the reminder a cart journey's wait leads to ("reminder_2")
    timer_moves = NumberAttribute(null=True)  # how often cart updates moved the journey's timers (capped)
    # The cart update that last moved the timer and the token it took: that update, told its
    # move failed (the answer to an applied write was lost), finds here that it moved it.
    moved_by = UnicodeAttribute(null=True)
    moved_token = UnicodeAttribute(null=True)

    @staticmethod
    def sort_key(journey: str) -> str:
        return f"WAIT#{journey}"


class Milestone(_Item):
    """Something that happens to a customer once ever: welcomed, registration confirmed, the
    first purchase in a category; sk = MILESTONE#<name>. Journeys that may run only once per
    customer check it: Step Functions keeps an execution name unique only for 90 days after
    the execution closes. Erasing the customer removes it with the rest."""

    reached_at = UTCDateTimeAttribute()
    journey = UnicodeAttribute(null=True)  # the execution it started, if any
    order_id = UnicodeAttribute(null=True)  # the order that reached it, if any

    @staticmethod
    def sort_key(name: str) -> str:
        return f"MILESTONE#{name}"


class Review(_Item):
    """A customer's product review (from the store's review app); sk = REVIEW#<review id>.
    The same review sent again (edited) replaces it."""

    store_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    review_id = UnicodeAttribute()
    product_id = UnicodeAttribute()
    order_id = UnicodeAttribute(null=True)
    rating = NumberAttribute()
    title = UnicodeAttribute(null=True)
    body = UnicodeAttribute(null=True)
    reviewed_at = UTCDateTimeAttribute()

    @staticmethod
    def sort_key(review_id: str) -> str:
        return f"REVIEW#{review_id}"


class JourneyRecord(_Item):
    """The latest journey a scenario started for a customer, about one subject (a product)
    or none; sk = JOURNEYRECORD#<scenario>#<subject>. Durable, unlike execution names
    (unique for 90 days only): cooldowns and "once per product" rules read it."""

    journey = UnicodeAttribute()
    started_at = UTCDateTimeAttribute()
    # The event that claimed it: only that event, retried, claims the same journey again.
    # None on records of the release before this attribute.
    claimed_by = UnicodeAttribute(null=True)

    @staticmethod
    def sort_key(scenario: str, subject: str = "") -> str:
        return f"JOURNEYRECORD#{scenario}#{subject}"


class PhoneIdentity(_Item):
    """Who has this phone number, in every store of the stack; pk = PHONE#<E.164>,
    sk = STORE#<store>#CUSTOMER#<id>. An SMS reply names only the number."""

    store_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()

    @staticmethod
    def key(phone: str, store_id: str, customer_id: str) -> tuple[str, str]:
        return f"PHONE#{phone}", f"STORE#{store_id}#CUSTOMER#{customer_id}"


# ---- coupons the shop accepts (encore.coupons) ---------------------------------------------


class StepCoupon(_Item):
    """The coupon one journey step issued, sk = COUPON#<journey>#<step> in the customer's
    partition: written with the Coupon before (or as) the shop is asked, so a retried step
    reuses its code and a message never carries two."""

    code = UnicodeAttribute()

    @staticmethod
    def sort_key(journey: str, step: str) -> str:
        return f"COUPON#{journey}#{step}"


class ShopDiscount(_Item):
    """A Shopify code discount holding one offer's redeem codes; pk names store and offer."""

    discount_id = UnicodeAttribute(null=True)  # DiscountCodeNode id, once Shopify created it
    first_code = UnicodeAttribute()  # the code it was created with (finds it again after a lost answer)
    pending_creation_id = UnicodeAttribute(null=True)  # a bulk add not yet stocked
    created_at = UTCDateTimeAttribute()

    @staticmethod
    def key(store_id: str, offer: str) -> tuple[str, str]:
        return f"STORE#{store_id}#OFFER#{offer}", "DISCOUNT"


class PooledCode(_Item):
    """A code the shop accepted, waiting for a message: pk = STORE#<store>#POOL#<pool>,
    sk = CODE#<code>. Taken by a conditional delete, so one code goes to one message."""

    code = UnicodeAttribute()
    shop_ref = UnicodeAttribute(null=True)
    discount_ref = UnicodeAttribute(null=True)
    added_at = UTCDateTimeAttribute()

    @staticmethod
    def key(store_id: str, pool: str, code: str = "") -> tuple[str, str]:
        return f"STORE#{store_id}#POOL#{pool}", f"CODE#{code}"


class IssuedCode(_Item):
    """A handed-out code the shop still holds, by when Encore deletes it there: pk =
    STORE#<store>#ISSUED-COUPONS, sk = <due, ISO UTC>#<code>. Cleanup reads the due ones in
    one Query; no customer id, so a deletion that must be retried survives an erasure."""

    code = UnicodeAttribute()
    platform = UnicodeAttribute()
    shop_ref = UnicodeAttribute(null=True)
    discount_ref = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)  # why it is due earlier than its expiry (erased)

    @staticmethod
    def partition(store_id: str) -> str:
        return f"STORE#{store_id}#ISSUED-COUPONS"
