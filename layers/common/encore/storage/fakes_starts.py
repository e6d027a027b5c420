"""In-memory ``Milestones`` and ``ShopperReads``, honouring the same conditions as their
DynamoDB twins (a milestone kept by its first writer, a first purchase kept by its order, a
journey claimed once ever or once per cooldown); ``tests/contracts`` runs the same behaviour
tests against both. They keep their items in ``storage.fakes.InMemoryTable``, so a test shares
one table with the profile, cart and catalogue fakes (``in_memory_start_storage``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from encore.models import Milestone, Order, Product, ProductView, PurchasedProduct, Review, customer_key
from encore.storage.fakes import InMemoryCatalogue, InMemoryCustomerRecords, InMemoryTable
from encore.storage.fakes_customers import InMemoryCustomerProfiles
from encore.storage.fakes_journey_records import InMemoryJourneyRecords
from encore.storage.fakes_shopping import InMemoryShopping
from encore.storage.milestones import first_purchase_milestone
from encore.storage.scenario_starts import StartStorage


class InMemoryMilestones:
    """``storage.milestones.Milestones`` in memory."""

    def __init__(self, table: InMemoryTable | None = None) -> None:
        self.table = table or InMemoryTable()

    def reached(self, store_id: str, customer_id: str, name: str) -> bool:
        return self.table.get(Milestone, customer_key(store_id, customer_id), Milestone.sort_key(name)) is not None

    def reach_milestone(self, store_id: str, customer_id: str, name: str, *, journey: str, at: datetime) -> bool:
        if self.reached(store_id, customer_id, name):
            return False
        self.table.add(Milestone(customer_key(store_id, customer_id), Milestone.sort_key(name), reached_at=at, journey=journey))
        return True

    def reach_first_purchase(self, store_id: str, customer_id: str, category: str, *, order_id: str, at: datetime) -> bool:
        key = (customer_key(store_id, customer_id), Milestone.sort_key(first_purchase_milestone(category)))
        stored = self.table.get(Milestone, *key)
        if stored is not None and stored.order_id != order_id:
            return False
        self.table.add(Milestone(*key, reached_at=at, order_id=order_id))
        return True

    def claim_journey(
        self, store_id: str, customer_id: str, scenario: str, subject: str, journey: str, *, claimed_by: str, now: datetime, cooldown: timedelta | None
    ) -> bool:
        records = InMemoryJourneyRecords(self.table)  # the claim's one home
        return records.claim(customer_key(store_id, customer_id), scenario, subject, journey, claimed_by=claimed_by, now=now, cooldown=cooldown)


class InMemoryShopperReads:
    """``storage.shoppers.ShopperReads`` in memory."""

    def __init__(self, table: InMemoryTable | None = None) -> None:
        self.table = table or InMemoryTable()

    def order(self, store_id: str, customer_id: str, order_id: str) -> Order | None:
        return self.table.get(Order, customer_key(store_id, customer_id), Order.sort_key(order_id))

    def product_view(self, store_id: str, customer_id: str, product_id: str) -> ProductView | None:
        return self.table.get(ProductView, customer_key(store_id, customer_id), ProductView.sort_key(product_id))

    def views_since(self, store_id: str, customer_id: str, since: datetime) -> list[ProductView]:
        views = self.table.query(ProductView, customer_key(store_id, customer_id), "VIEW#")
        return [view for view in views if view.last_viewed_at is not None and view.last_viewed_at >= since]

    def reviewed_products(self, store_id: str, customer_id: str) -> set[str]:
        return {review.product_id for review in self.table.query(Review, customer_key(store_id, customer_id), "REVIEW#")}

    def bought(self, store_id: str, customer_id: str, product_ids: list[str]) -> set[str]:
        return {product_id for product_id in product_ids if self._purchase(store_id, customer_id, product_id) is not None}

    def bought_any(self, store_id: str, customer_id: str, product_ids: Iterable[str]) -> bool:
        return InMemoryShopping(self.table).bought_any(customer_key(store_id, customer_id), product_ids)

    def products_in_open_carts(self, store_id: str, customer_id: str) -> set[str]:
        return InMemoryShopping(self.table).products_in_open_carts(customer_key(store_id, customer_id))

    def product(self, store_id: str, product_id: str) -> Product | None:
        return self.table.get(Product, *Product.key(store_id, product_id))

    def available_products(self, store_id: str, product_ids: Iterable[str], *, limit: int | None = None) -> list[Product]:
        # The domain's rule of what is on sale, over the in-memory catalogue (as DynamoShopperReads).
        from encore.scenarios.shopping import available_products

        return available_products(store_id, product_ids, limit=limit, storage=InMemoryShopping(self.table))

    def _purchase(self, store_id: str, customer_id: str, product_id: str) -> PurchasedProduct | None:
        return self.table.get(PurchasedProduct, customer_key(store_id, customer_id), PurchasedProduct.sort_key(product_id))


def in_memory_start_storage(table: InMemoryTable | None = None) -> StartStorage:
    """Every repository the start rules use, in memory, over one shared table (as on
    DynamoDB); ``table.add`` puts a test's given items."""
    table = table or InMemoryTable()
    return StartStorage(
        InMemoryCustomerProfiles(table), InMemoryCustomerRecords(table), InMemoryCatalogue(table), InMemoryShopperReads(table), InMemoryMilestones(table)
    )
