"""What reconciliation reads to tell a recovered resource from one Encore already had (the
order's owner, the customer's cart), and where each store's last scheduled run ended."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pynamodb.attributes import UTCDateTimeAttribute

from encore.models import Cart, OrderOwner, _Item, customer_key, get_or_none


class ReconcileMark(_Item):
    """Where the last scheduled reconciliation of a store ended (no personal data)."""

    until = UTCDateTimeAttribute()

    @staticmethod
    def key(store_id: str) -> tuple[str, str]:
        return f"STORE#{store_id}#RECONCILE", "SCHEDULED"


class ReconcileState(Protocol):
    def order_known(self, store_id: str, order_id: str) -> bool:
        """Whether Encore has the order (its owner look-up is written when it arrives)."""

    def cart(self, store_id: str, customer_id: str, cart_id: str) -> Cart | None: ...

    def last_scheduled_until(self, store_id: str) -> datetime | None:
        """Where the store's last complete scheduled run ended (None: it never ran); read
        consistently, so a run that just ended is seen."""

    def mark_scheduled_run(self, store_id: str, until: datetime) -> None:
        """The store's scheduled run read the whole window up to ``until``."""


class DynamoReconcileState:
    """``ReconcileState`` on the DynamoDB table (``encore.models``)."""

    def order_known(self, store_id: str, order_id: str) -> bool:
        return get_or_none(OrderOwner, *OrderOwner.key(store_id, order_id)) is not None

    def cart(self, store_id: str, customer_id: str, cart_id: str) -> Cart | None:
        return get_or_none(Cart, customer_key(store_id, customer_id), Cart.sort_key(cart_id))

    def last_scheduled_until(self, store_id: str) -> datetime | None:
        mark = get_or_none(ReconcileMark, *ReconcileMark.key(store_id), consistent_read=True)
        return mark.until if mark is not None else None

    def mark_scheduled_run(self, store_id: str, until: datetime) -> None:
        ReconcileMark(*ReconcileMark.key(store_id), until=until).save()
