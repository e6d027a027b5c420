"""``PrivacyRecords`` (``encore.storage.privacy_records``) on the in-memory fake and on moto:
a customer's partition read whole and as plain documents, erased with its look-ups (again,
when the first erasure's answer was lost), the receipt kept as proof and tombstone, and a
store's leftovers erased but for its receipts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from encore.models import (
    Cart,
    CartLink,
    CheckoutVisitor,
    Coupon,
    Customer,
    ErasureReceipt,
    JourneyWait,
    Order,
    OrderOwner,
    PhoneIdentity,
    VisitorIdentity,
    customer_key,
)
from encore.storage.privacy_records import Erasure, LookUps
from tests.unit.delivery_moto import bare_table  # noqa: F401  (fixture)
from tests.unit.privacy_moto import privacy_repositories  # noqa: F401  (fixture)

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
STORE = "shop"


def _profile(customer_id: str = "c-1", store_id: str = STORE) -> Customer:
    return Customer(
        customer_key(store_id, customer_id),
        Customer.sort_key(),
        store_id=store_id,
        customer_id=customer_id,
        email=f"{customer_id}@example.com",
        phone="+15550100",
        anonymous_ids={"anon-b", "anon-a"},
        orders_count=2,
    )


def _cart(cart_id: str, customer_id: str = "c-1") -> Cart:
    return Cart(customer_key(STORE, customer_id), Cart.sort_key(cart_id), store_id=STORE, customer_id=customer_id, cart_id=cart_id, updated_at=NOW)


def _order(order_id: str, customer_id: str = "c-1") -> Order:
    return Order(customer_key(STORE, customer_id), Order.sort_key(order_id), store_id=STORE, customer_id=customer_id, order_id=order_id)


def _wait(journey: str) -> JourneyWait:
    return JourneyWait(
        customer_key(STORE, "c-1"),
        JourneyWait.sort_key(journey),
        store_id=STORE,
        customer_id="c-1",
        journey=journey,
        awaiting={"order_placed"},
        task_token="token-1",
        parked_at=NOW,
    )


def _look_ups_of_c1() -> list:
    return [
        CartLink(*CartLink.key(STORE, "cart-1"), customer_id="c-1"),
        OrderOwner(*OrderOwner.key(STORE, "o-1"), customer_id="c-1"),
        VisitorIdentity(*VisitorIdentity.key(STORE, "anon-a"), customer_id="c-1", merged_at=NOW),
        PhoneIdentity(*PhoneIdentity.key("+15550100", STORE, "c-1"), store_id=STORE, customer_id="c-1"),
        CheckoutVisitor(*CheckoutVisitor.key(STORE, "chk-1"), customer_id="c-1", expires_at=NOW + timedelta(days=1)),
    ]


def _keys(repositories, models_and_keys) -> list:
    return [key for model, key in models_and_keys if repositories.read(model, *key) is not None]


def test_a_customers_items_are_their_whole_partition_in_sort_key_order_as_plain_documents(privacy_repositories):
    repositories = privacy_repositories
    repositories.add(_profile(), _cart("cart-1"), _order("o-1"), _wait("welcome"), _profile("c-10"), _cart("cart-9", customer_id="c-10"))

    items = repositories.storage.customer_items(STORE, "c-1")

    assert [item["sk"] for item in items] == sorted(["PROFILE", Cart.sort_key("cart-1"), Order.sort_key("o-1"), JourneyWait.sort_key("welcome")])
    profile = next(item for item in items if item["sk"] == "PROFILE")
    # A set stays a list of its members, a number becomes its text: JSON, the same on both.
    assert profile["anonymous_ids"] == ["anon-a", "anon-b"]
    assert profile["orders_count"] == "2"
    assert profile["email"] == "c-1@example.com"
    assert next(item for item in items if item["sk"].startswith("WAIT#"))["awaiting"] == ["order_placed"]
    assert repositories.storage.customer_items(STORE, "nobody") == []


def test_erasing_deletes_the_partition_and_its_look_ups_and_counts_each_key_once(privacy_repositories):
    repositories = privacy_repositories
    repositories.add(_profile(), _cart("cart-1"), _cart("cart-2"), _order("o-1"), *_look_ups_of_c1(), _profile("c-2"))
    repositories.add(
        Coupon(*Coupon.key(STORE, "SAVE-1"), store_id=STORE, code="SAVE-1", customer_id="c-1", journey="j", percent_off=10, issued_at=NOW, expires_at=NOW)
    )
    items = repositories.storage.customer_items(STORE, "c-1")
    look_ups = LookUps(
        cart_tokens=("cart-1", "cart-2"),
        order_ids=("o-1", "o-1"),  # two carts ordered as one order: BatchWriteItem refuses a key named twice
        coupon_codes=("SAVE-1",),
        anonymous_ids=("anon-a", "anon-b"),
        phones=("+15550100",),
        checkout_tokens=("chk-1",),
    )

    deleted = repositories.storage.erase_items(STORE, "c-1", items, look_ups)

    assert deleted == 4 + 2 + 1 + 1 + 2 + 1 + 1  # the partition's four, then each look-up once (anon-b had none: still named)
    assert repositories.storage.customer_items(STORE, "c-1") == []
    for model, key in [
        (CartLink, CartLink.key(STORE, "cart-1")),
        (OrderOwner, OrderOwner.key(STORE, "o-1")),
        (Coupon, Coupon.key(STORE, "SAVE-1")),
        (VisitorIdentity, VisitorIdentity.key(STORE, "anon-a")),
        (PhoneIdentity, PhoneIdentity.key("+15550100", STORE, "c-1")),
        (CheckoutVisitor, CheckoutVisitor.key(STORE, "chk-1")),
    ]:
        assert repositories.read(model, *key) is None, model.__name__
    assert repositories.read(Customer, customer_key(STORE, "c-2"), "PROFILE") is not None  # another customer stays


def test_an_erasure_retried_after_its_answer_was_lost_deletes_the_same_keys_without_failing(privacy_repositories):
    repositories = privacy_repositories
    repositories.add(_profile(), _cart("cart-1"), *_look_ups_of_c1())
    items = repositories.storage.customer_items(STORE, "c-1")
    look_ups = LookUps(cart_tokens=("cart-1",), anonymous_ids=("anon-a",))
    first = repositories.storage.erase_items(STORE, "c-1", items, look_ups)

    # The deletes were applied, the answer lost: the retry names the same keys, all gone now.
    assert repositories.storage.erase_items(STORE, "c-1", items, look_ups) == first == 4
    assert repositories.storage.customer_items(STORE, "c-1") == []


def test_the_receipt_says_when_the_customer_was_erased_and_a_later_erasure_replaces_it(privacy_repositories):
    repositories = privacy_repositories
    assert repositories.storage.erased_at(STORE, "c-1") is None

    repositories.storage.record_erasure(STORE, "c-1", Erasure(NOW, "req-1", items_deleted=7, journeys_stopped=2, exports_deleted=1))
    assert repositories.storage.erased_at(STORE, "c-1") == NOW
    assert repositories.storage.erased_at(STORE, "c-2") is None
    assert repositories.storage.erased_at("other-shop", "c-1") is None
    receipt = repositories.read(ErasureReceipt, *ErasureReceipt.key(STORE, "c-1"))
    assert (receipt.request_id, receipt.items_deleted, receipt.journeys_stopped, receipt.exports_deleted) == ("req-1", 7, 2, 1)
    assert "c-1" not in receipt.pk  # no personal data: the customer is a digest

    later = NOW + timedelta(days=30)  # the customer came back and was erased again
    repositories.storage.record_erasure(STORE, "c-1", Erasure(later, "req-2", items_deleted=1, journeys_stopped=0, exports_deleted=0))
    assert repositories.storage.erased_at(STORE, "c-1") == later


def test_a_store_names_its_customers_and_its_leftovers_go_but_its_receipts_stay(privacy_repositories):
    repositories = privacy_repositories
    repositories.add(_profile("c-1"), _profile("c-2"), _cart("cart-1"), *_look_ups_of_c1(), _profile("c-1", store_id="shop2"))
    repositories.storage.record_erasure(STORE, "c-0", Erasure(NOW, "req-0", items_deleted=3, journeys_stopped=0, exports_deleted=0))

    assert repositories.storage.customers_in_store(STORE) == {"c-1", "c-2"}
    assert repositories.storage.customers_in_store("nowhere") == set()

    # Everything under STORE#shop# (profiles, cart, the store-keyed look-ups) but the receipt;
    # the phone look-up lives under PHONE#, shop2 under its own store.
    assert repositories.storage.erase_store_remainder(STORE) == 3 + 4
    assert repositories.storage.customers_in_store(STORE) == set()
    assert repositories.storage.erased_at(STORE, "c-0") == NOW
    assert repositories.storage.customers_in_store("shop2") == {"c-1"}
    assert repositories.read(PhoneIdentity, *PhoneIdentity.key("+15550100", STORE, "c-1")) is not None
    assert repositories.storage.erase_store_remainder(STORE) == 0  # shop/redact again: nothing more
