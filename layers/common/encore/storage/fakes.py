"""In-memory implementations of the repositories, for domain tests that need no table.

Each honours the same conditions as its DynamoDB twin (a step is claimed only when it has no
record or one held back, a claim is given back or replaced only by its holder, the cap turn
moves only from the value read, ...); ``tests/contracts`` runs the same behaviour tests
against both, so a fake cannot drift. Items are kept as DynamoDB would keep them (serialised
attribute values), so a caller's object and the stored item never share state: changing one
changes the other only through a repository method, as on the table.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from encore.models import CapTurn, Cart, Coupon, Customer, Message, Order, Product, PurchasedProduct, _Item, customer_key
from encore.storage.delivery import DeliveryStorage
from encore.storage.messages import RECLAIMABLE_STATUSES, SentMessage

Item = TypeVar("Item", bound=_Item)
Raw = dict[str, Any]


class InMemoryTable:
    """Items by key, serialised; what every fake below keeps its items in."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str], Raw] = {}

    def add(self, *items: _Item) -> None:
        """Store items as they are (a test's given state: what a put would store)."""
        for item in items:
            self._items[(item.pk, item.sk)] = copy.deepcopy(item.serialize(null_check=False))

    def get(self, model: type[Item], pk: str, sk: str) -> Item | None:
        raw = self._items.get((pk, sk))
        return model.from_raw_data(copy.deepcopy(raw)) if raw is not None else None

    def query(self, model: type[Item], pk: str, sk_prefix: str) -> list[Item]:
        """A partition's items whose sort key starts with ``sk_prefix``, in sort-key order."""
        keys = sorted(key for key in self._items if key[0] == pk and key[1].startswith(sk_prefix))
        return [model.from_raw_data(copy.deepcopy(self._items[key])) for key in keys]

    def delete(self, pk: str, sk: str) -> None:
        self._items.pop((pk, sk), None)

    def update(self, item: Item, change: Callable[[Item], None]) -> None:
        """Apply ``change`` to the stored item (created when absent, as UpdateItem does) and
        bring ``item`` up to date with the result, as PynamoDB's ``update`` does."""
        stored = self.get(type(item), item.pk, item.sk) or type(item)(item.pk, item.sk)
        change(stored)
        self.add(stored)
        item.deserialize(copy.deepcopy(self._items[(item.pk, item.sk)]))


class InMemoryMessageStore:
    """``storage.messages.MessageStore`` in memory."""

    def __init__(self, table: InMemoryTable | None = None) -> None:
        self.table = table or InMemoryTable()

    def previous_attempt(self, pk: str, sk: str) -> Message | None:
        return self.table.get(Message, pk, sk)

    def stored(self, pk: str, sk: str) -> Message:
        stored = self.table.get(Message, pk, sk)
        if stored is None:
            raise Message.DoesNotExist(f"no record {sk}")
        return stored

    def claim(self, message: Message) -> bool:
        stored = self.table.get(Message, message.pk, message.sk)
        if stored is None or stored.status in RECLAIMABLE_STATUSES:
            self.table.add(message)
            return True
        return stored.claim_attempt == message.claim_attempt  # this very write, applied before

    def give_back(self, message: Message) -> None:
        if _claimed_by(self.table.get(Message, message.pk, message.sk), message):
            self.table.delete(message.pk, message.sk)

    def replace_claim(self, claimed: Message, record: Message) -> bool:
        stored = self.table.get(Message, record.pk, record.sk)
        if _claimed_by(stored, claimed):
            self.table.add(record)
            return True
        return stored is not None and stored.claim_attempt == record.claim_attempt

    def hold_for_coupon(self, message: Message, reason: str) -> None:
        self._update_unless_moved_on(message, status="awaiting_coupon", reason=reason, coupon_failure_reason=reason)

    def note_coupon_failure(self, message: Message, reason: str) -> None:
        self.table.update(message, _setting(coupon_failure_reason=reason))

    def record_sent(self, message: Message, sent: SentMessage) -> None:
        optional = {"coupon_code": sent.coupon_code, "sms_encoding": sent.sms_encoding, "sms_segments": sent.sms_segments}
        given = {name: value for name, value in optional.items() if value is not None}
        changes = {"status": "sent", "subject": sent.subject, "provider_message_id": sent.provider_message_id, "sent_at": sent.sent_at, **given}
        self.table.update(message, _setting(**changes))

    def record_uncertain(self, message: Message, reason: str, since: datetime, coupon_code: str | None) -> None:
        coupon = {"coupon_code": coupon_code} if coupon_code else {}
        self._update_unless_moved_on(message, status="uncertain", reason=reason, uncertain_since=since, **coupon)

    def recent(self, pk: str, since: datetime) -> list[Message]:
        def in_window(message: Message) -> bool:
            return any(moment is not None and moment >= since for moment in (message.sent_at, message.claimed_at))

        return [message for message in self.table.query(Message, pk, "MESSAGE#") if in_window(message)]

    def uncertain(self, pk: str) -> list[Message]:
        return [message for message in self.table.query(Message, pk, "MESSAGE#") if message.status == "uncertain"]

    def cap_turn(self, pk: str) -> int:
        stored = self.table.get(CapTurn, pk, CapTurn.sort_key())
        return int(stored.turn or 0) if stored is not None else 0

    def move_cap_turn(self, pk: str, turn: int) -> bool:
        if self.cap_turn(pk) != turn:
            return False
        self.table.add(CapTurn(pk, CapTurn.sort_key(), turn=turn + 1))
        return True

    def _update_unless_moved_on(self, message: Message, **changes: Any) -> None:
        stored = self.table.get(Message, message.pk, message.sk)
        if stored is not None and stored.status == "claimed":
            self.table.update(message, _setting(**changes))


class InMemoryCustomerRecords:
    """``storage.customers.CustomerRecords`` in memory; ``add`` the customers' items."""

    def __init__(self, table: InMemoryTable | None = None) -> None:
        self.table = table or InMemoryTable()

    def add(self, *items: _Item) -> None:
        self.table.add(*items)

    def customer(self, store_id: str, customer_id: str) -> Customer | None:
        return self.table.get(Customer, customer_key(store_id, customer_id), Customer.sort_key())

    def cart(self, store_id: str, customer_id: str, cart_id: str) -> Cart | None:
        return self.table.get(Cart, customer_key(store_id, customer_id), Cart.sort_key(cart_id))

    def order(self, store_id: str, customer_id: str, order_id: str) -> Order | None:
        return self.table.get(Order, customer_key(store_id, customer_id), Order.sort_key(order_id))

    def last_purchased_at(self, store_id: str, customer_id: str, product_id: str) -> datetime | None:
        bought = self.table.get(PurchasedProduct, customer_key(store_id, customer_id), PurchasedProduct.sort_key(product_id))
        return bought.last_purchased_at if bought is not None else None

    def forget_push_token(self, customer: Customer) -> None:
        self.table.update(customer, _setting(push_token=None, push_platform=None))

    def replace_push_token(self, customer: Customer, token: str) -> None:
        self.table.update(customer, _setting(push_token=token))


class InMemoryCatalogue:
    """``storage.catalogue.Catalogue`` in memory; ``add`` the products."""

    def __init__(self, table: InMemoryTable | None = None) -> None:
        self.table = table or InMemoryTable()

    def add(self, *products: Product) -> None:
        self.table.add(*products)

    def products(self, store_id: str, product_ids: list[str]) -> dict[str, Product]:
        found = (self.table.get(Product, *Product.key(store_id, product_id)) for product_id in dict.fromkeys(product_ids))
        return {product.product_id: product for product in found if product is not None}


class InMemoryIssuedCoupons:
    """``storage.coupons.IssuedCoupons`` in memory; ``add`` the coupons."""

    def __init__(self, table: InMemoryTable | None = None) -> None:
        self.table = table or InMemoryTable()

    def add(self, *coupons: Coupon) -> None:
        self.table.add(*coupons)

    def coupon(self, store_id: str, code: str) -> Coupon | None:
        return self.table.get(Coupon, *Coupon.key(store_id, code))


def in_memory_delivery_storage(table: InMemoryTable | None = None) -> DeliveryStorage:
    """Every repository delivery uses, in memory, over one shared table (as on DynamoDB);
    ``table.add`` puts a test's given items."""
    table = table or InMemoryTable()
    return DeliveryStorage(InMemoryMessageStore(table), InMemoryCustomerRecords(table), InMemoryCatalogue(table), InMemoryIssuedCoupons(table))


def _claimed_by(stored: Message | None, claim: Message) -> bool:
    return stored is not None and stored.status == "claimed" and stored.claim_attempt == claim.claim_attempt


def _setting(**changes: Any) -> Callable[[_Item], None]:
    def change(item: _Item) -> None:
        for name, value in changes.items():
            setattr(item, name, value)

    return change
