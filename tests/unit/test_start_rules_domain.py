"""Every scenario's start rule on the in-memory repositories (``storage.fakes_starts``) and a
Step Functions fake that starts an execution name once (``tests.unit.fake_workflows``): when a
journey starts and with what input, and when it does not (too old, no consent, once ever,
switched off). Milliseconds each; the scenario tests (tests/scenarios) keep the journeys end to
end, and tests/contracts holds the fakes to DynamoDB's behaviour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from encore.clock import iso
from encore.events import CartUpdated, Consent, CustomerRef, CustomerUpdated, Line, OrderPlaced, OrderStatusChanged, ProductViewed
from encore.journeys import Journeys, execution_name
from encore.models import JourneyRecord, Milestone, ProductView, PurchasedProduct, Review
from encore.scenarios import (
    browse_abandonment,
    cart_threshold_nudge,
    cross_sell,
    education_series,
    post_purchase,
    review_request,
    unpaid_order,
    up_sell,
    welcome_series,
)
from encore.scenarios.spec import DAY
from encore.storage.fakes import InMemoryTable
from encore.storage.fakes_starts import in_memory_start_storage
from encore.storage.milestones import first_purchase_milestone
from encore.storage.records import Cart, CartLineAttribute, Customer, Order, Product, customer_key
from encore.stores import StoreSettings, without_marketing
from tests.unit.fake_workflows import StartOnceWorkflows

STORE, CUSTOMER = "shop", "olena"
PK = customer_key(STORE, CUSTOMER)
ARN_PREFIX = "arn:aws:states:us-east-1:123456789012:stateMachine:encore-"
TIPS = [{"title": f"Tip {n}", "body": f"Body {n}."} for n in (1, 2, 3)]


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _settings(**scenarios) -> StoreSettings:
    return StoreSettings.from_dict(STORE, {"postal_address": "1 Main St", **scenarios})


class World:
    """One customer's state in memory, the journeys started, and the store's settings."""

    def __init__(self, settings: StoreSettings | None = None) -> None:
        self.table = InMemoryTable()
        self.storage = in_memory_start_storage(self.table)
        self.workflows = StartOnceWorkflows()
        self.journeys = Journeys(self.workflows, ARN_PREFIX)
        self.settings = settings or _settings()

    def add(self, *items) -> None:
        self.table.add(*items)

    def start(self, rule, event) -> bool:
        """Run a start rule that reads or writes state, on the in-memory repositories."""
        return rule(event, CUSTOMER, self.settings, self.journeys, storage=self.storage)

    def start_from_event(self, rule, event) -> bool:
        """Run a start rule that needs nothing but the event (post-purchase, unpaid order)."""
        return rule(event, CUSTOMER, self.settings, self.journeys)

    def step_functions_forgot(self) -> None:
        """Execution names are unique for 90 days only: after that a name starts again."""
        self.workflows = StartOnceWorkflows()
        self.journeys = Journeys(self.workflows, ARN_PREFIX)

    def started(self, scenario: str) -> dict[str, dict]:
        """Inputs of the journeys started of ``scenario``, by business key (the name's tail)."""
        prefix = f"{scenario}-{STORE}-{CUSTOMER}-"
        return {name.removeprefix(prefix): payload for name, payload in self.workflows.started.items() if name.startswith(prefix)}

    def milestone(self, name: str) -> Milestone | None:
        return self.table.get(Milestone, PK, Milestone.sort_key(name))


def _profile(*, consent: bool = True, orders: int = 0) -> Customer:
    return Customer(PK, Customer.sort_key(), store_id=STORE, customer_id=CUSTOMER, accepts_email_marketing=consent, orders_count=orders)


def _product(product_id: str, **fields) -> Product:
    return Product(*Product.key(STORE, product_id), store_id=STORE, product_id=product_id, title=product_id.title(), updated_at=_now(), **fields)


def _line(product_id: str, price_cents: int = 1000) -> Line:
    return Line(product_id=product_id, title=product_id.title(), quantity=1, price_cents=price_cents)


def _order_placed(*products: str, order_id: str = "1001", at: datetime | None = None, paid: bool = True) -> OrderPlaced:
    return OrderPlaced(
        event_id=f"order-{order_id}",
        store_id=STORE,
        occurred_at=at or _now(),
        source="api:Order Completed",
        customer=CustomerRef(customer_id=CUSTOMER),
        order_id=order_id,
        total_cents=1000 * len(products),
        lines=[_line(product_id) for product_id in products],
        paid=paid,
    )


def test_the_fake_step_functions_starts_a_name_once():
    world = World()
    assert world.journeys.start("post-purchase", STORE, CUSTOMER, "1001", {"order_id": "1001"})
    assert not world.journeys.start("post-purchase", STORE, CUSTOMER, "1001", {"order_id": "1001"})
    assert world.workflows.arns == {execution_name("post-purchase", STORE, CUSTOMER, "1001"): f"{ARN_PREFIX}post-purchase"}


# 1. Welcome series ---------------------------------------------------------------------------


def _customer_updated(*, registered: bool = False, consent_at: datetime | None = None, at: datetime | None = None) -> CustomerUpdated:
    consent = Consent(granted=True, source="api:identify", updated_at=consent_at) if consent_at else None
    return CustomerUpdated(
        event_id=f"customer-{registered}-{consent_at}",
        store_id=STORE,
        occurred_at=at or _now(),
        source="api:identify",
        customer=CustomerRef(customer_id=CUSTOMER, email_consent=consent),
        registered=registered,
    )


WELCOME = execution_name(welcome_series.NAME, STORE, CUSTOMER, welcome_series.WELCOME_KEY)
CONFIRMATION = execution_name(welcome_series.NAME, STORE, CUSTOMER, welcome_series.REGISTRATION_KEY)


def test_a_registration_with_consent_starts_the_welcome_with_its_confirmation():
    world = World()
    world.add(_profile(consent=True))
    event = _customer_updated(registered=True)

    assert world.start(welcome_series.on_customer_updated, event)

    payload = world.started(welcome_series.NAME)["welcome"]
    assert (payload["trigger"], payload["registration"], payload["welcome"]) == ("registration", True, True)
    assert payload["orders_since"] == iso(event.occurred_at + timedelta(seconds=1))
    assert payload["coupon"] == {"percent_off": 10, "valid_days": 7}
    assert payload["waits"] == {"best_sellers_seconds": 2 * DAY, "expiry_reminder_seconds": 3 * DAY}
    assert world.milestone(welcome_series.WELCOMED).journey == WELCOME
    assert world.milestone(welcome_series.REGISTRATION_CONFIRMED).journey == WELCOME


def test_a_welcome_is_once_ever_even_after_step_functions_forgot_the_name():
    world = World()
    world.add(_profile(consent=True))
    assert world.start(welcome_series.on_customer_updated, _customer_updated(registered=True))
    world.step_functions_forgot()

    assert not world.start(welcome_series.on_customer_updated, _customer_updated(consent_at=_now()))
    assert not world.start(welcome_series.on_customer_updated, _customer_updated(registered=True))  # confirmed already too
    assert world.workflows.started == {}


def test_a_registration_without_consent_is_confirmed_only_and_welcomed_when_they_subscribe():
    world = World()
    world.add(_profile(consent=False))

    assert world.start(welcome_series.on_customer_updated, _customer_updated(registered=True))

    payload = world.started(welcome_series.NAME)["registration"]
    assert (payload["trigger"], payload["registration"], payload["welcome"]) == ("registration", True, False)
    assert world.milestone(welcome_series.REGISTRATION_CONFIRMED).journey == CONFIRMATION
    assert world.milestone(welcome_series.WELCOMED) is None

    world.add(_profile(consent=True))
    assert world.start(welcome_series.on_customer_updated, _customer_updated(consent_at=_now()))
    payload = world.started(welcome_series.NAME)["welcome"]
    assert (payload["trigger"], payload["registration"], payload["welcome"]) == ("subscription", False, True)
    assert world.milestone(welcome_series.REGISTRATION_CONFIRMED).journey == CONFIRMATION  # kept by its first journey


def test_a_subscription_without_consent_on_the_profile_starts_nothing():
    world = World()
    world.add(_profile(consent=False))
    assert not world.start(welcome_series.on_customer_updated, _customer_updated(consent_at=_now()))
    assert world.workflows.started == {}


def test_a_registration_or_subscription_too_old_welcomes_nobody():
    world = World()
    world.add(_profile(consent=True))
    day_ago = _now() - timedelta(hours=24)

    assert not world.start(welcome_series.on_customer_updated, _customer_updated(registered=True, at=day_ago))
    assert not world.start(welcome_series.on_customer_updated, _customer_updated(consent_at=day_ago))  # the consent's own moment counts
    assert not world.start(welcome_series.on_order_placed, _order_placed("mug", at=day_ago))
    assert world.workflows.started == {}
    assert world.milestone(welcome_series.WELCOMED) is None


def test_the_welcome_switched_off_still_confirms_a_registration():
    world = World(_settings(welcome_series={"enabled": False}))
    world.add(_profile(consent=True, orders=1))

    assert not world.start(welcome_series.on_customer_updated, _customer_updated(consent_at=_now()))
    assert not world.start(welcome_series.on_order_placed, _order_placed("mug"))
    assert world.start(welcome_series.on_customer_updated, _customer_updated(registered=True))
    assert list(world.started(welcome_series.NAME)) == ["registration"]
    assert world.milestone(welcome_series.WELCOMED) is None


def test_a_first_order_welcomes_and_a_second_does_not():
    world = World()
    world.add(_profile(consent=True, orders=2))
    assert not world.start(welcome_series.on_order_placed, _order_placed("mug"))

    world.add(_profile(consent=True, orders=1))
    assert world.start(welcome_series.on_order_placed, _order_placed("mug"))
    payload = world.started(welcome_series.NAME)["welcome"]
    assert (payload["trigger"], payload["registration"], payload["welcome"]) == ("first_order", False, True)
    assert world.milestone(welcome_series.REGISTRATION_CONFIRMED) is None


def test_a_retried_event_after_a_crash_before_the_milestone_still_records_it():
    world = World()
    world.add(_profile(consent=True))
    world.journeys.start(welcome_series.NAME, STORE, CUSTOMER, welcome_series.WELCOME_KEY, {})  # started, then the crash

    assert not world.start(welcome_series.on_customer_updated, _customer_updated(consent_at=_now()))
    assert world.milestone(welcome_series.WELCOMED).journey == WELCOME


def test_a_registration_whose_welcome_a_first_order_took_is_confirmed_on_its_own():
    world = World()
    world.add(_profile(consent=True, orders=1))
    assert world.start(welcome_series.on_order_placed, _order_placed("mug"))

    assert world.start(welcome_series.on_customer_updated, _customer_updated(registered=True))
    assert sorted(world.started(welcome_series.NAME)) == ["registration", "welcome"]
    assert world.milestone(welcome_series.REGISTRATION_CONFIRMED).journey == CONFIRMATION


# 2. Browse abandonment -----------------------------------------------------------------------


def _viewed(product_id: str = "mug", *, at: datetime | None = None) -> ProductViewed:
    return ProductViewed(event_id=f"view-{product_id}", store_id=STORE, occurred_at=at or _now(), source="pixel", product_id=product_id)


def _views(product_id: str, *, views: int = 2, dwell: int = 0, at: datetime | None = None) -> ProductView:
    return ProductView(PK, ProductView.sort_key(product_id), product_id=product_id, views=views, dwell_seconds=dwell, last_viewed_at=at or _now())


def _cart(cart_id: str, *product_ids: str, status: str = "open", total_cents: int = 0, updated_at: datetime | None = None) -> Cart:
    lines = [CartLineAttribute(product_id=product_id, title=product_id, quantity=1, price_cents=1000) for product_id in product_ids]
    return Cart(
        PK,
        Cart.sort_key(cart_id),
        store_id=STORE,
        customer_id=CUSTOMER,
        cart_id=cart_id,
        status=status,
        lines=lines,
        total_cents=total_cents,
        updated_at=updated_at or _now(),
    )


def test_a_view_showing_intent_starts_browse_abandonment_with_what_was_viewed_and_similar():
    world = World()
    now = _now()
    world.add(
        _views("mug", views=2, at=now),
        _views("teapot", views=1, at=now - timedelta(minutes=5)),
        _views("kettle", views=1, at=now - timedelta(minutes=1)),
        _product("mug", similar=["cup", "saucer"]),
        _product("teapot"),
        _product("kettle", in_stock=False),
        _product("cup"),
        _product("saucer"),
    )

    assert world.start(browse_abandonment.on_product_viewed, _viewed("mug", at=now))

    visit_day = now.date().isoformat()  # the store's zone is UTC by default
    payload = world.started(browse_abandonment.NAME)[visit_day]
    assert payload["products"] == ["mug", "teapot", "cup", "saucer"]  # kettle is sold out
    assert (payload["retargeting"], payload["audience"]) == (False, {"member": False})
    record = world.table.get(JourneyRecord, PK, JourneyRecord.sort_key(browse_abandonment.NAME, ""))
    assert record.journey == execution_name(browse_abandonment.NAME, STORE, CUSTOMER, visit_day)


@pytest.mark.parametrize(
    ("views", "dwell", "starts"),
    [(1, 60, False), (1, 61, True), (2, 0, True)],
    ids=["a short look", "a long look", "a repeat view"],
)
def test_intent_is_a_long_look_or_a_repeat_view(views, dwell, starts):
    world = World()
    world.add(_views("mug", views=views, dwell=dwell), _product("mug"))
    assert world.start(browse_abandonment.on_product_viewed, _viewed("mug")) is starts


def test_a_product_in_an_open_cart_or_never_counted_starts_no_browse_abandonment():
    world = World()
    world.add(_views("mug"), _product("mug"), _cart("cart-1", "mug"))
    assert not world.start(browse_abandonment.on_product_viewed, _viewed("mug"))
    assert not world.start(browse_abandonment.on_product_viewed, _viewed("teapot"))  # no views on file
    assert world.workflows.started == {}


@pytest.mark.parametrize(("days_ago", "starts"), [(6, False), (7, True)])
def test_browse_abandonment_waits_out_its_cooldown_for_good(days_ago, starts):
    """The cooldown outlives Step Functions' memory of names: it is the durable journey record."""
    world = World()
    earlier = JourneyRecord(PK, JourneyRecord.sort_key(browse_abandonment.NAME, ""), journey="earlier", started_at=_now() - timedelta(days=days_ago))
    world.add(_views("mug"), _product("mug"), earlier)
    assert world.start(browse_abandonment.on_product_viewed, _viewed("mug")) is starts


def test_a_late_view_or_browse_abandonment_switched_off_starts_nothing():
    world = World()
    world.add(_views("mug"), _product("mug"))
    assert not world.start(browse_abandonment.on_product_viewed, _viewed("mug", at=_now() - timedelta(minutes=30)))
    world.settings = _settings(browse_abandonment={"enabled": False})
    assert not world.start(browse_abandonment.on_product_viewed, _viewed("mug"))
    assert world.workflows.started == {}


# 4. Unpaid order and 7. post-purchase (no reads: the order's event says it all) ----------------


def test_an_unpaid_order_starts_its_payment_reminders_once():
    world = World()
    assert world.start_from_event(unpaid_order.start, _order_placed("mug", paid=False))
    assert world.started(unpaid_order.NAME)["1001"] == {
        "store_id": STORE,
        "customer_id": CUSTOMER,
        "started_at": world.started(unpaid_order.NAME)["1001"]["started_at"],
        "order_id": "1001",
        "waits": {"before_reminder_1_seconds": 3600, "before_reminder_2_seconds": 23 * 3600, "after_reminder_2_seconds": 2 * DAY},
    }
    assert not world.start_from_event(unpaid_order.start, _order_placed("mug", paid=False))  # the event again


def test_a_paid_late_or_switched_off_unpaid_order_starts_nothing():
    world = World()
    assert not world.start_from_event(unpaid_order.start, _order_placed("mug", paid=True))
    assert not world.start_from_event(unpaid_order.start, _order_placed("mug", paid=False, at=_now() - timedelta(hours=1)))
    world.settings = _settings(unpaid_order={"enabled": False})
    assert not world.start_from_event(unpaid_order.start, _order_placed("mug", paid=False))
    assert world.workflows.started == {}


def test_post_purchase_starts_once_per_order_without_marketing_consent():
    world = World(StoreSettings.from_dict(STORE, without_marketing({})))  # transactional: no postal address needed
    world.add(_profile(consent=False))
    assert world.start_from_event(post_purchase.start, _order_placed("mug"))
    assert world.started(post_purchase.NAME)["1001"]["waits"] == {"shipment_seconds": 30 * DAY, "delivery_seconds": 30 * DAY}
    assert not world.start_from_event(post_purchase.start, _order_placed("mug"))


def test_post_purchase_too_old_or_switched_off_starts_nothing():
    world = World()
    assert not world.start_from_event(post_purchase.start, _order_placed("mug", at=_now() - timedelta(hours=24)))
    assert world.start_from_event(post_purchase.start, _order_placed("mug", at=_now() - timedelta(hours=23)))
    world.settings = _settings(post_purchase={"enabled": False})
    assert not world.start_from_event(post_purchase.start, _order_placed("mug", order_id="1002"))


# 5. Up-sell ----------------------------------------------------------------------------------


def _upgrades(world: World) -> None:
    world.add(
        _product("phone", upgrades=["phone-max", "phone-pro", "phone-ultra"]),
        _product("phone-max", price_cents=129900),
        _product("phone-pro", price_cents=99900),
        _product("phone-ultra", price_cents=89900, deleted=True),
    )


def test_a_view_of_a_product_with_upgrades_offers_the_next_tier_up_once():
    world = World()
    _upgrades(world)

    assert world.start(up_sell.on_product_viewed, _viewed("phone"))

    payload = world.started(up_sell.NAME)["phone"]
    assert (payload["product_id"], payload["upgrade_id"], payload["watched_products"]) == ("phone", "phone-pro", ["phone", "phone-pro"])
    assert payload["waits"] == {"before_offer_seconds": 15 * 60, "before_reminder_seconds": 2 * DAY}
    assert not world.start(up_sell.on_product_viewed, _viewed("phone"))
    assert world.table.get(JourneyRecord, PK, JourneyRecord.sort_key(up_sell.NAME, "phone")).journey == execution_name(up_sell.NAME, STORE, CUSTOMER, "phone")


def test_an_up_sell_offer_is_once_ever_even_after_step_functions_forgot_the_name():
    """Every view of the product gets the same execution name; Step Functions refuses it again
    only for 90 days. The claim's record refuses a later view's event for good, while the same
    event retried still starts the journey its first attempt claimed."""
    world = World()
    _upgrades(world)
    first = _viewed("phone")
    assert world.start(up_sell.on_product_viewed, first)
    world.step_functions_forgot()
    assert not world.start(up_sell.on_product_viewed, first.model_copy(update={"event_id": "view-phone-months-later"}))
    assert world.start(up_sell.on_product_viewed, first)  # the first event, retried: its own claim


def test_no_upgrade_is_offered_to_an_owner_of_one_or_one_who_chose_it():
    world = World()
    _upgrades(world)
    world.add(_product("laptop", upgrades=["laptop-pro"]), _product("laptop-pro"), _cart("cart-1", "laptop-pro"))
    world.add(PurchasedProduct(PK, PurchasedProduct.sort_key("phone-max"), product_id="phone-max"))

    assert not world.start(up_sell.on_product_viewed, _viewed("phone"))  # owns a higher tier
    assert not world.start(up_sell.on_product_viewed, _viewed("laptop"))  # the upgrade is in an open cart
    assert not world.start(up_sell.on_product_viewed, _viewed("mug"))  # not in the catalogue
    assert world.workflows.started == {}


def test_a_cart_update_offers_the_first_line_with_an_upgrade_not_already_in_the_cart():
    world = World()
    _upgrades(world)
    world.add(_product("mug"), _product("laptop", upgrades=["laptop-pro"]), _product("laptop-pro"))
    cart = CartUpdated(
        event_id="cart-1", store_id=STORE, occurred_at=_now(), source="api", cart_id="cart-1", lines=[_line("mug"), _line("laptop"), _line("phone")]
    )

    assert world.start(up_sell.on_cart_updated, cart)
    assert list(world.started(up_sell.NAME)) == ["laptop"]

    with_upgrade = cart.model_copy(update={"lines": [_line("phone"), _line("phone-pro")]})
    assert not world.start(up_sell.on_cart_updated, with_upgrade)


def test_a_late_view_or_up_sell_switched_off_offers_nothing():
    world = World()
    _upgrades(world)
    assert not world.start(up_sell.on_product_viewed, _viewed("phone", at=_now() - timedelta(minutes=15)))
    world.settings = _settings(up_sell={"enabled": False})
    assert not world.start(up_sell.on_product_viewed, _viewed("phone"))
    assert world.workflows.started == {}


# 6. Cross-sell -------------------------------------------------------------------------------


def test_an_order_offers_its_complements_on_sale_and_not_yet_bought():
    world = World(_settings(cross_sell={"max_products": 2}))
    world.add(
        _product("phone", complements=["case", "charger", "phone"]),
        _product("laptop", complements=["sleeve", "mouse", "case"]),
        _product("case"),
        _product("charger"),
        _product("sleeve", in_stock=False),
        _product("mouse"),
        PurchasedProduct(PK, PurchasedProduct.sort_key("charger"), product_id="charger"),
    )

    assert world.start(cross_sell.on_order_placed, _order_placed("phone", "laptop"))

    payload = world.started(cross_sell.NAME)["1001"]
    assert payload["complements"] == ["case", "mouse"]  # charger bought, sleeve sold out, at most two
    assert payload["waits"]["before_offer_seconds"] == 24 * 3600
    assert not world.start(cross_sell.on_order_placed, _order_placed("phone", "laptop"))  # once per order


def test_cross_sell_without_complements_too_old_or_switched_off_starts_nothing():
    world = World()
    world.add(_product("mug"), _product("phone", complements=["case"]), _product("case"))
    assert not world.start(cross_sell.on_order_placed, _order_placed("mug", "unknown"))
    assert not world.start(cross_sell.on_order_placed, _order_placed("phone", at=_now() - timedelta(hours=24)))
    world.settings = _settings(cross_sell={"enabled": False})
    assert not world.start(cross_sell.on_order_placed, _order_placed("phone"))
    assert world.workflows.started == {}


# 8. Review request ---------------------------------------------------------------------------


def _delivered(order_id: str = "1001", *, at: datetime | None = None) -> OrderStatusChanged:
    return OrderStatusChanged(
        event_id=f"delivered-{order_id}", store_id=STORE, occurred_at=at or _now(), source="api", type="order_delivered", order_id=order_id
    )


def _stored_order(*products: str, order_id: str = "1001", delivered_at: datetime | None = None, **fields) -> Order:
    lines = [CartLineAttribute(product_id=product_id, title=product_id, quantity=1, price_cents=1000) for product_id in products]
    return Order(PK, Order.sort_key(order_id), store_id=STORE, customer_id=CUSTOMER, order_id=order_id, lines=lines, delivered_at=delivered_at, **fields)


def test_a_delivered_order_asks_for_a_review_when_its_products_have_been_tried():
    world = World()
    delivered_at = _now() - timedelta(days=1)
    world.add(
        _stored_order("shirt", "sofa", "mug", delivered_at=delivered_at, total_cents=3000),
        _product("shirt", product_type="Apparel"),
        _product("sofa", product_type="furniture"),
        Review(PK, Review.sort_key("r-1"), store_id=STORE, customer_id=CUSTOMER, review_id="r-1", product_id="mug", rating=5, reviewed_at=_now()),
    )

    assert world.start(review_request.on_order_delivered, _delivered())

    payload = world.started(review_request.NAME)["1001"]
    assert (payload["products"], payload["shown_products"]) == (["shirt", "sofa"], ["shirt", "sofa"])  # mug reviewed already
    assert abs(payload["waits"]["before_request_seconds"] - 20 * DAY) <= 2  # furniture's 21 days, from the delivery on file
    assert payload["ratings"] == {"positive_from": 4, "negative_up_to": 2}
    assert payload["coupon"] is None
    assert not world.start(review_request.on_order_delivered, _delivered())  # once per order


@pytest.mark.parametrize(("product_type", "starts"), [("apparel", False), ("durable", True)])
def test_a_delivery_older_than_its_products_need_asks_for_nothing(product_type, starts):
    world = World()
    world.add(_stored_order("item", delivered_at=_now() - timedelta(days=10)), _product("item", product_type=product_type))
    assert world.start(review_request.on_order_delivered, _delivered()) is starts


@pytest.mark.parametrize(
    "order_fields",
    [{"cancelled_at": datetime(2026, 1, 1, tzinfo=UTC)}, {"total_cents": 3000, "refunded_cents": 3000}],
    ids=["cancelled", "refunded in full"],
)
def test_a_cancelled_or_refunded_order_asks_for_no_review(order_fields):
    world = World()
    world.add(_stored_order("shirt", delivered_at=_now(), **order_fields), _product("shirt"))
    assert not world.start(review_request.on_order_delivered, _delivered())


def test_nothing_to_ask_about_or_review_requests_switched_off_asks_for_nothing():
    world = World()
    assert not world.start(review_request.on_order_delivered, _delivered())  # no order on file
    world.add(
        _stored_order("mug", delivered_at=_now()),
        Review(PK, Review.sort_key("r-1"), store_id=STORE, customer_id=CUSTOMER, review_id="r-1", product_id="mug", rating=5, reviewed_at=_now()),
    )
    assert not world.start(review_request.on_order_delivered, _delivered())  # every product reviewed
    world.add(_stored_order("shirt", delivered_at=_now(), order_id="1002"))
    world.settings = _settings(review_request={"enabled": False})
    assert not world.start(review_request.on_order_delivered, _delivered("1002"))
    assert world.workflows.started == {}


# 9. Education series -------------------------------------------------------------------------


def _tips(**scenario) -> StoreSettings:
    return _settings(education_series={"tips": {"coffee": TIPS, "shirts": TIPS}, **scenario})


def test_a_first_purchase_in_a_category_with_tips_starts_its_series_whatever_the_consent():
    world = World(_tips())
    world.add(_profile(consent=False), _product("beans", category="coffee"), _product("linen", category="shirts"), _product("mug", category="kitchen"))

    assert world.start(education_series.on_order_placed, _order_placed("beans", "linen", "mug"))

    started = world.started(education_series.NAME)
    assert sorted(started) == ["coffee", "shirts"]  # kitchen has no tips
    assert (started["coffee"]["category"], started["coffee"]["order_id"]) == ("coffee", "1001")
    assert started["coffee"]["waits"]["before_tip_2_seconds"] == 5 * DAY
    assert world.milestone(first_purchase_milestone("kitchen")).order_id == "1001"  # recorded all the same


def test_the_series_is_once_ever_per_category():
    world = World(_tips())
    world.add(_product("beans", category="coffee"), _product("espresso", category="coffee"))
    assert world.start(education_series.on_order_placed, _order_placed("beans"))
    world.step_functions_forgot()

    assert not world.start(education_series.on_order_placed, _order_placed("espresso", order_id="1002"))
    assert world.workflows.started == {}


def test_a_retried_order_event_still_starts_a_series_its_first_attempt_did_not():
    world = World(_tips())
    world.add(_product("beans", category="coffee"))
    world.storage.milestones.reach_first_purchase(STORE, CUSTOMER, "coffee", order_id="1001", at=_now())  # then the crash

    assert world.start(education_series.on_order_placed, _order_placed("beans"))
    assert not world.start(education_series.on_order_placed, _order_placed("beans"))  # and again: Step Functions has it


@pytest.mark.parametrize(
    ("settings", "at"),
    [(_tips(enabled=False), None), (_tips(), "old"), (_settings(), None)],
    ids=["switched off", "too old", "no tips yet"],
)
def test_a_first_purchase_that_starts_no_series_is_still_the_first(settings, at):
    """A store that switches the series on (or writes tips) later does not treat the second
    purchase in the category as a first."""
    world = World(settings)
    world.add(_product("beans", category="coffee"), _product("espresso", category="coffee"))
    order_at = _now() - timedelta(hours=24) if at == "old" else None

    assert not world.start(education_series.on_order_placed, _order_placed("beans", at=order_at))
    assert world.milestone(first_purchase_milestone("coffee")).order_id == "1001"

    world.settings = _tips()
    assert not world.start(education_series.on_order_placed, _order_placed("espresso", order_id="1002"))
    assert world.workflows.started == {}


# 17. Cart threshold nudge --------------------------------------------------------------------


def _cart_updated(total_cents: int, *, at: datetime | None = None, currency: str | None = None, lines: int = 1) -> CartUpdated:
    return CartUpdated(
        event_id=f"cart-{total_cents}",
        store_id=STORE,
        occurred_at=at or _now(),
        source="api",
        customer=CustomerRef(customer_id=CUSTOMER),
        cart_id="cart-1",
        currency=currency,
        lines=[_line("mug", total_cents)] * lines,
        total_cents=total_cents,
    )


def test_a_cart_just_below_free_delivery_is_nudged_once():
    world = World()
    event = _cart_updated(3750)
    world.add(_cart("cart-1", "mug", total_cents=3750, updated_at=event.occurred_at))

    assert world.start(cart_threshold_nudge.on_cart_updated, event)

    payload = world.started(cart_threshold_nudge.NAME)["cart-1"]
    assert payload["threshold"] == {"cents": 5000, "near_cents": 3750}
    assert payload["waits"] == {"settle_seconds": 15 * 60}
    assert not world.start(cart_threshold_nudge.on_cart_updated, _cart_updated(4000, at=event.occurred_at))  # once per cart


@pytest.mark.parametrize("total_cents", [3749, 5000, 6000])
def test_a_cart_not_just_below_the_threshold_is_not_nudged(total_cents):
    world = World()
    event = _cart_updated(total_cents)
    world.add(_cart("cart-1", "mug", total_cents=total_cents, updated_at=event.occurred_at))
    assert not world.start(cart_threshold_nudge.on_cart_updated, event)


def test_a_cart_nudge_needs_the_open_cart_as_this_event_left_it():
    now = _now()
    cases = [
        ([], _cart_updated(4000, at=now)),  # no cart on file
        ([_cart("cart-1", "mug", status="ordered", updated_at=now)], _cart_updated(4000, at=now)),
        ([_cart("cart-1", "mug", updated_at=now + timedelta(seconds=1))], _cart_updated(4000, at=now)),  # a newer update came first
        ([_cart("cart-1", "mug", updated_at=now)], _cart_updated(4000, at=now, currency="EUR")),  # the threshold is in USD
        ([_cart("cart-1", "mug", updated_at=now)], _cart_updated(4000, at=now, lines=0)),
        ([_cart("cart-1", "mug", updated_at=now - timedelta(minutes=15))], _cart_updated(4000, at=now - timedelta(minutes=15))),  # too old
    ]
    for given, event in cases:
        world = World()
        world.add(*given)
        assert not world.start(cart_threshold_nudge.on_cart_updated, event), (given, event)


def test_the_cart_nudge_switched_off_starts_nothing():
    world = World(_settings(cart_threshold_nudge={"enabled": False}))
    event = _cart_updated(4000)
    world.add(_cart("cart-1", "mug", updated_at=event.occurred_at))
    assert not world.start(cart_threshold_nudge.on_cart_updated, event)
