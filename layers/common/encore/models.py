"""DynamoDB items, one table for everything (PynamoDB).

Key design: every customer's items share one partition key (``STORE#<store>#CUSTOMER#<id>``)
so one Query reads a customer's whole state and load spreads across customers (no hot
partition). Look-ups by something other than the customer (a webhook id, a coupon code, a
platform cart token) get an item of their own with that value in the partition key.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.models import Model


class _Meta:
    table_name: str | None = None


def bind_table(table_name: str) -> None:
    """Point every model at the deployed table (its name comes from the function's settings)."""
    _Meta.table_name = table_name


def customer_key(store_id: str, customer_id: str) -> str:
    return f"STORE#{store_id}#CUSTOMER#{customer_id}"


class _Item(Model):
    Meta = _Meta
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class Customer(_Item):
    """Profile and consent; sk = PROFILE."""

    store_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    first_name = UnicodeAttribute(null=True)
    last_name = UnicodeAttribute(null=True)
    locale = UnicodeAttribute(null=True)
    accepts_email_marketing = BooleanAttribute(default=False)
    orders_count = NumberAttribute(default=0)
    revenue_cents = NumberAttribute(default=0)
    last_order_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)

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
    """A customer's cart; sk = CART#<cart id>. ``journey_token`` is the task token of the
    abandonment journey while it waits for an order (released by the order event)."""

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
    order_id = UnicodeAttribute(null=True)

    @staticmethod
    def sort_key(cart_id: str) -> str:
        return f"CART#{cart_id}"


class Order(_Item):
    """Order summary; sk = ORDER#<order id>. Saved once: a duplicate never counts twice."""

    store_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    order_id = UnicodeAttribute()
    cart_id = UnicodeAttribute(null=True)
    currency = UnicodeAttribute()
    total_cents = NumberAttribute()
    placed_at = UTCDateTimeAttribute()
    coupon_codes = ListAttribute(of=UnicodeAttribute, default=list)

    @staticmethod
    def sort_key(order_id: str) -> str:
        return f"ORDER#{order_id}"


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

    @staticmethod
    def key(store_id: str, event_id: str) -> tuple[str, str]:
        return f"STORE#{store_id}#EVENT#{event_id}", "EVENT"


class Message(_Item):
    """One step's message; sk = MESSAGE#<journey>#<step>. Written (claimed) before the
    channel is called, so a retried or redriven step never sends twice."""

    store_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    journey = UnicodeAttribute()
    step = UnicodeAttribute()
    template = UnicodeAttribute()
    channel = UnicodeAttribute(default="email")
    status = UnicodeAttribute()  # claimed | sent | skipped
    reason = UnicodeAttribute(null=True)
    subject = UnicodeAttribute(null=True)
    coupon_code = UnicodeAttribute(null=True)
    provider_message_id = UnicodeAttribute(null=True)
    claimed_at = UTCDateTimeAttribute()
    sent_at = UTCDateTimeAttribute(null=True)

    @staticmethod
    def sort_key(journey: str, step: str) -> str:
        return f"MESSAGE#{journey}#{step}"


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

    @staticmethod
    def key(store_id: str, code: str) -> tuple[str, str]:
        return f"STORE#{store_id}#COUPON#{code}", "COUPON"
