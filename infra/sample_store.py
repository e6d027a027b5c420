"""A deterministic sample store for ``make demo``: who shops, what they do, and what the
store's journeys must do about it.

Two groups of customers share the store:

* the *cart mix* (``--customers`` of them, half on Shopify, half on a store that uses the
  generic events API): returning customers who fill a cart and then buy at once, buy after
  one of the reminders, abandon it, or never agreed to marketing, dealt by a seeded random
  generator. Some carts land just below the free-delivery threshold;
* the *cast*: a fixed set of customers, each living one story that walks a path of another
  scenario (a registration, a browse that ends in a purchase, an upgrade bought after the
  offer, a delivery rated one star, a cart just below free delivery, ...).

Every customer's plan states which messages they must get, when, from which scenario, and
which were held back by a delivery guard first, and how each of their journeys must end.
The plan is worked out here from the store's settings file and the rules of each scenario
(timings), with quiet hours and the frequency cap asked of the production guards
(``encore.guards``: the demo checks the stack, it does not re-implement its rules), never
from what the stack did: ``infra.demo`` posts the events and compares.

Payloads are copies of the real-shaped samples in ``tests/events`` with ids, names,
products, prices and timestamps changed. Every event is posted at its own virtual time.
All names are made up and all addresses are at example.com / example.org.
"""

from __future__ import annotations

import copy
import json
import random
import unicodedata
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from functools import cache, partial
from pathlib import Path
from zoneinfo import ZoneInfo

from encore.guards import SentMarketing, frequency_cap_until, quiet_hours_end
from encore.scenarios.browse_abandonment import NAME as BROWSE_ABANDONMENT
from encore.scenarios.cart_abandonment import NAME as CART_ABANDONMENT
from encore.scenarios.cart_threshold_nudge import NAME as CART_THRESHOLD_NUDGE
from encore.scenarios.cross_sell import NAME as CROSS_SELL
from encore.scenarios.education_series import NAME as EDUCATION_SERIES
from encore.scenarios.post_purchase import NAME as POST_PURCHASE
from encore.scenarios.review_request import NAME as REVIEW_REQUEST
from encore.scenarios.unpaid_order import NAME as UNPAID_ORDER
from encore.scenarios.up_sell import NAME as UP_SELL
from encore.scenarios.welcome_series import NAME as WELCOME_SERIES
from encore.stores import StoreSettings

ROOT = Path(__file__).resolve().parents[1]
EVENTS_DIR = ROOT / "tests" / "events"
SETTINGS_FILE = ROOT / "infra" / "stores" / "demo-store.json"
STORE_ID = "demo-store"
SHOP_URL = f"https://{STORE_ID}.myshopify.com"
STOREFRONT_URL = "https://shop.example"
START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # a Monday, 10:00 in Vilnius

SHOPIFY = "shopify"
GENERIC = "generic"

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

SENT = "sent"
NO_CONSENT = "skipped (no_marketing_consent)"
QUIET_HOURS = "quiet_hours"
FREQUENCY_CAP = "frequency_cap"


@cache
def settings() -> StoreSettings:
    """The demo store's settings: the same file the demo loads into the stack."""
    return StoreSettings.from_dict(STORE_ID, json.loads(SETTINGS_FILE.read_text()))


def store_zone() -> ZoneInfo:
    return ZoneInfo(settings().time_zone)


def deliverable_at(moment: datetime, zone: ZoneInfo) -> datetime:
    """When a marketing message due at ``moment`` may go out: then, or when the quiet hours
    (in the customer's time zone) end, by the production guard (encore.guards)."""
    delivery = settings().delivery
    quiet_from, quiet_until = time.fromisoformat(delivery.quiet_hours_start), time.fromisoformat(delivery.quiet_hours_end)
    return quiet_hours_end(moment, zone, quiet_from, quiet_until) or moment


def capped_until(scenario: str, due: datetime, sent: Iterable[Expected]) -> datetime | None:
    """When the production frequency cap (encore.guards) lets a journey of ``scenario``
    message a customer who got the ``sent`` marketing messages (each from its scenario's
    journey), with the store's window and priorities; None when it may at ``due``."""
    delivery = settings().delivery
    return frequency_cap_until(
        _journey_of(scenario),
        [SentMarketing(_journey_of(message.scenario), message.at) for message in sent if message.outcome == SENT],
        now=due,
        window=timedelta(days=delivery.window_days),
        max_journeys=delivery.max_journeys_per_window,
        priorities=delivery.priorities,
    )


def _journey_of(scenario: str) -> str:
    """A journey name of the scenario: the guards tell a journey's scenario by its prefix."""
    return f"{scenario}-planned"


# ----------------------------------------------------------------------------- expectations
@dataclass(frozen=True)
class Expected:
    """One message the plan says a journey must produce for the customer."""

    at: datetime  # sent (or skipped) at this virtual moment
    scenario: str
    template: str
    outcome: str = SENT  # or "skipped (<reason>)"
    held_back: str = ""  # the guard that held it back first, if any

    @property
    def sort_key(self) -> tuple:
        # Messages of two journeys in the same second may go in either order: the check
        # compares both sides in this order.
        return (self.at, self.scenario, self.template)

    def describe(self) -> str:
        text = f"{self.at:%m-%d %H:%M} {self.scenario}/{self.template}"
        if self.held_back:
            text += f" (held back: {self.held_back})"
        return text if self.outcome == SENT else f"{text} {self.outcome}"


@dataclass(frozen=True)
class ExpectedJourney:
    scenario: str
    state: str  # the terminal state's name, or the state it waits in when the demo stops
    ends_at: datetime | None = None  # None: still running when the demo stops

    @property
    def status(self) -> str:
        return "RUNNING" if self.ends_at is None else "SUCCEEDED"

    @property
    def sort_key(self) -> tuple:
        return (self.scenario, self.state, self.ends_at or START)

    def describe(self) -> str:
        when = f" at {self.ends_at:%m-%d %H:%M}" if self.ends_at else ""
        return f"{self.scenario} {self.status} '{self.state}'{when}"


def marketing(at: datetime, scenario: str, template: str, person: Person) -> Expected:
    """A marketing message due at ``at``: skipped without consent (checked before the
    guards), else sent then or when the customer's quiet hours end."""
    if not person.marketing_consent:
        return Expected(at, scenario, template, NO_CONSENT)
    sent = deliverable_at(at, person.zone)
    return Expected(sent, scenario, template, held_back=QUIET_HOURS if sent != at else "")


def transactional(at: datetime, scenario: str, template: str) -> Expected:
    """No consent needed, no cap, no quiet hours."""
    return Expected(at, scenario, template)


# ----------------------------------------------------------------------------- catalogue
@dataclass(frozen=True)
class Product:
    category: str
    product_id: int  # Shopify's numeric ids; the generic API sends the same ids as text
    variant_id: int
    sku: str
    title: str
    variant_title: str | None
    price: str  # money as platforms send it: a decimal string
    slug: str
    grams: int
    product_type: str
    in_cart_mix: bool = True  # the cart mix shops these; the cast's own products are not
    upgrade_of: tuple[int, ...] = ()
    complements: tuple[int, ...] = ()

    @property
    def id(self) -> str:
        return str(self.product_id)

    @property
    def line_title(self) -> str:
        """What Shopify calls the line in cart webhooks: title and variant together."""
        return f"{self.title} - {self.variant_title}" if self.variant_title else self.title

    @property
    def cents(self) -> int:
        return int(Decimal(self.price) * 100)


LINEN_SHIRT = Product("Apparel", 632910392, 808950810, "LINEN-SHIRT-M-SAND", "Linen shirt", "M / Sand", "49.00", "linen-shirt", 300, "apparel")
MERINO_SOCKS = Product("Apparel", 632910393, 808950811, "MERINO-SOCKS-3", "Merino crew socks (3 pairs)", "One size", "24.00", "merino-socks", 150, "apparel")
CANVAS_JACKET = Product(
    "Apparel", 632910394, 808950812, "CANVAS-JACKET-L-OLIVE", "Waxed canvas jacket", "L / Olive", "189.00", "canvas-jacket", 1200, "apparel"
)
WOOL_BEANIE = Product("Apparel", 632910395, 808950813, "WOOL-BEANIE-RUST", "Wool beanie", "Rust", "29.00", "wool-beanie", 90, "apparel")
ESPRESSO_BEANS = Product("Coffee", 741200101, 918300101, "ESPRESSO-BEANS-1KG", "Espresso beans 1 kg", None, "24.50", "espresso-beans", 1000, "coffee")
YIRGACHEFFE = Product("Coffee", 741200102, 918300102, "YIRGACHEFFE-250G", "Ethiopia Yirgacheffe 250 g", None, "16.00", "yirgacheffe", 250, "coffee")
MILK_FROTHER = Product("Coffee", 741200103, 918300103, "MILK-FROTHER", "Milk frother", None, "39.90", "milk-frother", 600, "appliance")
KETTLE = Product("Coffee", 741200104, 918300104, "POUR-OVER-KETTLE", "Pour-over kettle", "Matte black", "59.00", "pour-over-kettle", 900, "appliance")
MUGS = Product("Home", 853400201, 120500201, "STONEWARE-MUGS-4", "Stoneware mug set", "Set of 4", "42.00", "stoneware-mugs", 1400, "home goods")
TEA_TOWELS = Product("Home", 853400202, 120500202, "LINEN-TEA-TOWELS-2", "Linen tea towels", "Pair", "18.50", "linen-tea-towels", 200, "home goods")
CANDLE = Product("Home", 853400203, 120500203, "BEESWAX-CANDLE", "Beeswax candle", None, "22.00", "beeswax-candle", 350, "home goods")
SERVING_BOARD = Product("Home", 853400204, 120500204, "OAK-SERVING-BOARD", "Oak serving board", None, "65.00", "oak-serving-board", 1100, "durable")
# The cast's products: an upgrade, complements and a category with care tips.
GRINDER = Product("Coffee", 741200105, 918300105, "BURR-GRINDER", "Burr grinder", None, "69.00", "burr-grinder", 1300, "appliance", False)
GRINDER_PRO = Product(
    "Coffee",
    741200106,
    918300106,
    "BURR-GRINDER-PRO",
    "Burr grinder Pro",
    "Steel burrs",
    "119.00",
    "burr-grinder-pro",
    1600,
    "appliance",
    False,
    upgrade_of=(GRINDER.product_id,),
)
TAMPER = Product("Coffee", 741200108, 918300108, "ESPRESSO-TAMPER", "Espresso tamper", "58 mm", "29.00", "espresso-tamper", 400, "appliance", False)
MILK_PITCHER = Product("Coffee", 741200109, 918300109, "MILK-PITCHER", "Milk pitcher", "350 ml", "19.00", "milk-pitcher", 250, "appliance", False)
ESPRESSO_MACHINE = Product(
    "Coffee",
    741200107,
    918300107,
    "ESPRESSO-MACHINE",
    "Espresso machine",
    "Brushed steel",
    "349.00",
    "espresso-machine",
    9000,
    "durable",
    False,
    complements=(TAMPER.product_id, MILK_PITCHER.product_id),
)
SKILLET = Product("Cast iron", 853400205, 120500205, "CAST-IRON-SKILLET-26", "Cast-iron skillet", "26 cm", "55.00", "cast-iron-skillet", 2600, "durable", False)
DUTCH_OVEN = Product("Cast iron", 853400206, 120500206, "CAST-IRON-DUTCH-OVEN", "Cast-iron Dutch oven", "5 l", "119.00", "dutch-oven", 5200, "durable", False)

CATALOGUE = (
    LINEN_SHIRT,
    MERINO_SOCKS,
    CANVAS_JACKET,
    WOOL_BEANIE,
    ESPRESSO_BEANS,
    YIRGACHEFFE,
    MILK_FROTHER,
    KETTLE,
    MUGS,
    TEA_TOWELS,
    CANDLE,
    SERVING_BOARD,
    GRINDER,
    GRINDER_PRO,
    ESPRESSO_MACHINE,
    TAMPER,
    MILK_PITCHER,
    SKILLET,
    DUTCH_OVEN,
)
MIX_CATEGORIES = ("Apparel", "Coffee", "Home")


def catalogue_entries() -> list[dict]:
    """The store's catalogue file (``encore.catalogue.CatalogueEntry``), imported before the
    first event: categories, product types, upgrades and complements."""
    entries = []
    for product in CATALOGUE:
        entry = {
            "product_id": product.id,
            "title": product.title,
            "category": product.category,
            "product_type": product.product_type,
            "price_cents": product.cents,
            "currency": settings().currency,
            "in_stock": True,
            "url": f"{STOREFRONT_URL}/p/{product.slug}",
        }
        if product.upgrade_of:
            entry["upgrade_of"] = [str(base) for base in product.upgrade_of]
        if product.complements:
            entry["complements"] = [str(other) for other in product.complements]
        entries.append(entry)
    return entries


@dataclass(frozen=True)
class Line:
    product: Product
    quantity: int = 1

    @property
    def total(self) -> Decimal:
        return Decimal(self.product.price) * self.quantity


def _money(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01'))}"


def cart_total(lines: tuple[Line, ...]) -> Decimal:
    return sum((line.total for line in lines), Decimal(0))


def cart_cents(lines: tuple[Line, ...]) -> int:
    return int(cart_total(lines) * 100)


def discounted(total: Decimal, coupon: str | None) -> tuple[Decimal, Decimal]:
    """(discount, total to pay) for an order that uses the cart journey's percentage coupon."""
    percent = settings().cart_abandonment.coupon_percent_off
    discount = (total * percent / 100).quantize(Decimal("0.01")) if coupon else Decimal(0)
    return discount, total - discount


# ----------------------------------------------------------------------------- people
@dataclass(frozen=True)
class Locale:
    tag: str  # BCP 47, as the generic API sends it; Shopify sends the language only
    currency: str
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]


EN_US = Locale("en-US", "USD", ("Avery", "Jordan", "Casey", "Morgan", "Riley"), ("Sample", "Tester", "Example", "Demo"))
EN_GB = Locale("en-GB", "GBP", ("Harriet", "Oliver", "Imogen", "Alfie"), ("Placeholder", "Fictional", "Specimen"))
DE_DE = Locale("de-DE", "EUR", ("Lena", "Jonas", "Mia", "Felix"), ("Mustermann", "Beispiel", "Probe"))
FR_FR = Locale("fr-FR", "EUR", ("Camille", "Léa", "Hugo", "Théo"), ("Exemple", "Dupont-Essai", "Fictif"))
ES_ES = Locale("es-ES", "EUR", ("Lucía", "Mateo", "Sofía", "Pablo"), ("Ejemplo", "Prueba", "Ficticio"))
LT_LT = Locale("lt-LT", "EUR", ("Marta", "Jonas", "Rūta"), ("Pavyzdytė", "Bandomasis"))
UK_UA = Locale("uk-UA", "EUR", ("Olena", "Taras"), ("Prykladna", "Zrazkovyi"))
LOCALES = (EN_US, EN_GB, DE_DE, FR_FR, ES_ES)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().replace(" ", "-")


@dataclass(frozen=True)
class Person:
    platform: str
    customer_id: str
    first_name: str
    last_name: str
    email: str
    locale: Locale
    marketing_consent: bool = True
    time_zone: str | None = None  # the generic API may send one; None: the store's applies

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone or settings().time_zone)


# ----------------------------------------------------------------------------- the plan
@dataclass(frozen=True)
class Story:
    """What a customer does. The cart mix's stories also fix when the order comes."""

    key: str
    label: str
    # Cart mix: when the order comes, counted from the first cart event (None: never).
    buys_between: tuple[timedelta, timedelta] | None = None
    marketing_consent: bool = True
    uses_coupon: bool = False


@dataclass(frozen=True)
class OrderPlan:
    order_id: str
    number: int
    lines: tuple[Line, ...]
    currency: str
    webhook_id: str
    cart_id: str | None = None
    checkout_id: int = 0
    checkout_token: str = ""
    paid: bool = True


@dataclass
class CartPlan:
    """The cart mix: one cart, perhaps changed once, perhaps bought."""

    cart_id: str  # Shopify: the cart token; generic API: the store's cart id
    started_at: datetime  # first cart event: the journey starts here
    lines: tuple[Line, ...]
    order: OrderPlan
    changed_at: datetime | None = None
    changed_lines: tuple[Line, ...] | None = None
    purchase_at: datetime | None = None
    checkout_id: int = 0
    checkout_token: str = ""
    # Special deliveries: the first checkout webhook delivered twice (a platform retry),
    # and a forged order (wrong signature) that must be rejected and change nothing.
    delivered_twice: bool = False
    forged_order_at: datetime | None = None

    @property
    def final_lines(self) -> tuple[Line, ...]:
        return self.changed_lines or self.lines


@dataclass(frozen=True, eq=False)
class PlannedEvent:
    """One request to post: what, for whom, at which virtual time, and the answer it must get."""

    at: datetime
    customer: PlannedCustomer
    action: str  # what it is, in a word or two ("checkout", "review 1/5")
    step: int  # the customer's own order of events (ties at one instant)
    platform: str  # SHOPIFY: a webhook of ``topic``; GENERIC: a call to the events API
    topic: str
    build: Callable[[str | None], dict]  # the body; given the coupon read from the customer's email
    webhook_id: str | None = None
    uses_coupon: bool = False
    forged: bool = False  # signed with the wrong secret
    expected_reply: str = "202 accepted"

    @property
    def sort_key(self) -> tuple:
        return (self.at, self.customer.index, self.step)


@dataclass(eq=False)
class PlannedCustomer:
    index: int
    person: Person
    story: Story
    events: list[PlannedEvent] = field(default_factory=list)
    messages: list[Expected] = field(default_factory=list)
    journeys: list[ExpectedJourney] = field(default_factory=list)
    staff_alerts: int = 0  # negative reviews: one SNS alert to the store's staff each
    # Orders the store does not ship during the demo: post-purchase waits for the shipment.
    awaiting_shipment: list[datetime] = field(default_factory=list)
    cart: CartPlan | None = None  # the cart mix only
    ids: dict[str, str] = field(default_factory=dict)  # the cart mix's webhook and message ids

    @property
    def platform(self) -> str:
        return self.person.platform

    @property
    def customer_id(self) -> str:
        return self.person.customer_id

    @property
    def email(self) -> str:
        return self.person.email

    @property
    def in_cast(self) -> bool:
        return self.cart is None

    @property
    def scenarios(self) -> set[str]:
        return {journey.scenario for journey in self.journeys}

    def post(self, at: datetime, action: str, topic: str, build: Callable[[str | None], dict], **options) -> None:
        self.events.append(PlannedEvent(at, self, action, len(self.events), self.platform, topic, build, **options))

    def expect(self, *messages: Expected) -> None:
        self.messages.extend(messages)

    def journey(self, scenario: str, state: str, ends_at: datetime | None) -> None:
        self.journeys.append(ExpectedJourney(scenario, state, ends_at))


@dataclass
class Plan:
    customers: list[PlannedCustomer]
    events: list[PlannedEvent]
    start: datetime
    end: datetime  # the demo runs the clock until then: every planned moment is behind it

    @property
    def cart_mix(self) -> list[PlannedCustomer]:
        return [customer for customer in self.customers if not customer.in_cast]

    @property
    def cast(self) -> list[PlannedCustomer]:
        return [customer for customer in self.customers if customer.in_cast]


def plan_store(*, seed: int, customers: int, start: datetime = START) -> Plan:
    everyone = plan_cart_mix(seed=seed, customers=customers, start=start)
    everyone += plan_cast(first_index=len(everyone), start=start)
    events = sorted((event for customer in everyone for event in customer.events), key=lambda event: event.sort_key)
    last = max([events[-1].at, *(journey.ends_at for customer in everyone for journey in customer.journeys if journey.ends_at)])
    end = last + DAY  # a quiet day after the last planned moment
    for customer in everyone:
        _post_purchase_without_shipment(customer, end)
    return Plan(everyone, events, start, end)


def _post_purchase_without_shipment(customer: PlannedCustomer, end: datetime) -> None:
    """The store ships none of these orders: each post-purchase journey still waits for the
    shipment when the demo stops, or has given up after the store's shipment wait."""
    wait = timedelta(days=settings().post_purchase.shipment_wait_days)
    for placed_at in customer.awaiting_shipment:
        if placed_at + wait <= end:
            customer.journey(POST_PURCHASE, "Journey ended without news of a shipment", placed_at + wait)
        else:
            customer.journey(POST_PURCHASE, "Wait for the shipment", None)


# ----------------------------------------------------------------------------- ids
class _Ids:
    """Made-up ids in each platform's shape, from one seeded generator."""

    def __init__(self, rng: random.Random, first_order_number: int):
        self.rng = rng
        self.order_number = first_order_number

    def shopify(self) -> int:
        return self.rng.randrange(10**17, 10**18)

    def token(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def order(self, platform: str, lines: tuple[Line, ...], currency: str, **options) -> OrderPlan:
        self.order_number += 1
        order_id = str(self.shopify()) if platform == SHOPIFY else f"order-{self.rng.randrange(100_000, 1_000_000)}"
        return OrderPlan(order_id, self.order_number, lines, currency, self.uuid(), **options)


def _history(customer: PlannedCustomer, ids: _Ids, start: datetime) -> None:
    """A returning customer: one order months ago, posted when the demo begins. It is a
    historical import (it starts no journey), and the customer's next order is not their
    first (no welcome series for it)."""
    product = (ESPRESSO_BEANS, MERINO_SOCKS, CANDLE, YIRGACHEFFE)[customer.index % 4]
    order = ids.order(customer.platform, (Line(product, 2),), customer.person.locale.currency)
    placed_at = start - timedelta(days=30 + (customer.index * 37) % 200)
    place_order(customer, order, placed_at, posted_at=start, action="past order")


def place_order(
    customer: PlannedCustomer, order: OrderPlan, at: datetime, *, posted_at: datetime | None = None, action: str = "order", uses_coupon: bool = False
) -> None:
    """Post the order (``orders/create`` or ``Order Completed``), placed at ``at``."""
    person = customer.person
    if customer.platform == SHOPIFY:
        customer.post(posted_at or at, action, "orders/create", partial(shopify_order, person, order, at), webhook_id=order.webhook_id, uses_coupon=uses_coupon)
    else:
        customer.post(
            posted_at or at,
            action,
            "Order Completed",
            partial(track_order_completed, person, order, at, message_id=f"msg-{order.webhook_id}"),
            uses_coupon=uses_coupon,
        )


# ----------------------------------------------------------------------------- the cart mix
_CART = settings().cart_abandonment
REMINDERS = ("cart_reminder_1", "cart_reminder_2", "cart_reminder_3")
REMINDER_AT = tuple(timedelta(seconds=offset) for offset in _CART.reminder_offsets_seconds)
COUPON_VALID = timedelta(days=_CART.coupon_valid_days)
ENDED_WITH_ORDER = "Journey ended with an order"
ENDED_WITHOUT_ORDER = "Journey ended without an order"

BUYS_QUICKLY = Story("buys_quickly", "buys within 30 minutes", (12 * MINUTE, 30 * MINUTE))
ABANDONS = Story("abandons", "abandons the cart for good")
# Orders that follow a reminder come at least 30 minutes after it and hours before the
# next one, so the outcome never depends on which of two nearly simultaneous events wins.
BUYS_AFTER_1 = Story("buys_after_reminder_1", "buys after reminder 1", (REMINDER_AT[0] + 30 * MINUTE, REMINDER_AT[1] - 4 * HOUR))
BUYS_AFTER_2 = Story("buys_after_reminder_2", "buys after reminder 2", (REMINDER_AT[1] + 2 * HOUR, REMINDER_AT[2] - 12 * HOUR))
BUYS_AFTER_3 = Story(
    "buys_after_reminder_3_with_coupon",
    "buys after reminder 3 with its coupon",
    (REMINDER_AT[2] + 2 * HOUR, REMINDER_AT[2] + COUPON_VALID - 2 * DAY),  # while the coupon is valid
    uses_coupon=True,
)
NO_MARKETING = Story("no_marketing_consent", "no marketing consent", marketing_consent=False)
BEHAVIOURS = (BUYS_QUICKLY, ABANDONS, BUYS_AFTER_1, BUYS_AFTER_2, BUYS_AFTER_3, NO_MARKETING)

# The order in which behaviours are dealt to each platform's customers: every behaviour
# appears within the first six, so any --customers >= 12 covers all of them on both
# platforms; further customers follow a realistic mix (most buy, some never come back).
DEAL = (
    BUYS_QUICKLY,
    ABANDONS,
    BUYS_AFTER_1,
    BUYS_AFTER_2,
    BUYS_AFTER_3,
    NO_MARKETING,
    BUYS_QUICKLY,
    BUYS_AFTER_1,
    ABANDONS,
    BUYS_AFTER_2,
    BUYS_QUICKLY,
    BUYS_AFTER_3,
    BUYS_AFTER_1,
    ABANDONS,
    BUYS_QUICKLY,
    BUYS_AFTER_2,
    NO_MARKETING,
    BUYS_AFTER_3,
)


def _minutes(rng: random.Random, low: timedelta, high: timedelta) -> timedelta:
    """A random whole number of minutes in [low, high]: readable timestamps."""
    return timedelta(minutes=rng.randint(int(low / MINUTE), int(high / MINUTE)))


def _pick_lines(rng: random.Random) -> tuple[Line, ...]:
    category = rng.choice(MIX_CATEGORIES)
    products = rng.sample([p for p in CATALOGUE if p.category == category and p.in_cart_mix], k=rng.choice((1, 1, 2)))
    return tuple(Line(product, rng.choice((1, 1, 2, 3))) for product in products)


def _changed(rng: random.Random, lines: tuple[Line, ...]) -> tuple[Line, ...]:
    """The shopper changes their mind: one more item, or another product of the same kind."""
    if rng.random() < 0.5:
        first, *rest = lines
        return (Line(first.product, first.quantity + 1), *rest)
    chosen = {line.product for line in lines}
    others = [p for p in CATALOGUE if p.category == lines[0].product.category and p.in_cart_mix and p not in chosen]
    return (*lines, Line(rng.choice(others), 1)) if others else lines


def _start_times(rng: random.Random, count: int, start: datetime, span: timedelta) -> list[datetime]:
    """Shopping trips spread over ``span``, from 09:00 to 19:59 in the store's time zone:
    late enough that the reminder an hour later still comes before the quiet hours."""
    zone, days = store_zone(), int(span / DAY)
    first_day = start.astimezone(zone).date()
    times = []
    for _ in range(count):
        day = first_day + rng.randrange(days) * DAY
        moment = datetime.combine(day, time(rng.randint(9, 19), rng.randrange(60)), tzinfo=zone).astimezone(UTC)
        times.append(max(moment, start))
    return times


def plan_cart_mix(*, seed: int, customers: int, start: datetime, span: timedelta = 14 * DAY) -> list[PlannedCustomer]:
    """Deal behaviours to both platforms and give every customer a person, a cart and times."""
    rng = random.Random(seed)
    ids = _Ids(rng, first_order_number=1000)
    shopify_count = (customers + 1) // 2
    assignments = [(SHOPIFY, DEAL[i % len(DEAL)]) for i in range(shopify_count)]
    assignments += [(GENERIC, DEAL[i % len(DEAL)]) for i in range(customers - shopify_count)]
    rng.shuffle(assignments)
    starts = sorted(_start_times(rng, customers, start, span))
    plan = [_plan_cart_customer(rng, ids, index, platform, behaviour, starts[index]) for index, (platform, behaviour) in enumerate(assignments)]
    _choose_special_deliveries(plan)
    for customer in plan:
        _history(customer, ids, start)
        _cart_events(customer)
        _cart_expectations(customer)
    return plan


def _plan_cart_customer(rng: random.Random, ids: _Ids, index: int, platform: str, behaviour: Story, started_at: datetime) -> PlannedCustomer:
    locale = rng.choice(LOCALES)
    first, last = rng.choice(locale.first_names), rng.choice(locale.last_names)
    domain = "example.com" if platform == SHOPIFY else "example.org"
    person = Person(
        platform,
        str(ids.shopify()) if platform == SHOPIFY else f"user-{2001 + index}",
        first,
        last,
        f"{_ascii(first)}.{_ascii(last)}.{index + 1:03d}@{domain}",
        locale,
        marketing_consent=behaviour.marketing_consent,
    )
    cart_id = ids.token() if platform == SHOPIFY else f"cart-{rng.randrange(10_000, 100_000)}"
    lines = _pick_lines(rng)
    cart = CartPlan(cart_id, started_at, lines, order=None)  # the order comes once the lines are final
    if behaviour.buys_between:
        cart.purchase_at = started_at + _minutes(rng, *behaviour.buys_between)
    # About a third change their cart a few minutes in (before a quick purchase, if any).
    if rng.random() < 0.35:
        latest = (cart.purchase_at - started_at - 5 * MINUTE) if behaviour is BUYS_QUICKLY else 40 * MINUTE
        cart.changed_at = started_at + _minutes(rng, 3 * MINUTE, latest)
        cart.changed_lines = _changed(rng, lines)
        if cart.purchase_at and behaviour is not BUYS_QUICKLY:
            # The change moves the reminders (they count from the cart's last update): the
            # purchase keeps its place among them.
            cart.purchase_at += cart.changed_at - started_at
    if platform == SHOPIFY:
        cart.checkout_id, cart.checkout_token = ids.shopify(), ids.token()
    cart.order = ids.order(platform, cart.final_lines, locale.currency, cart_id=cart_id, checkout_id=cart.checkout_id, checkout_token=cart.checkout_token)
    customer = PlannedCustomer(index, person, behaviour, cart=cart)
    customer.ids = {name: ids.uuid() for name in ("checkout", "cart_update", "product_added", "product_added_more", "forged_order")}
    return customer


def _choose_special_deliveries(plan: list[PlannedCustomer]) -> None:
    """One Shopify checkout is delivered twice; one generic customer who never buys gets a
    forged "Order Completed" two hours in: if it were accepted, their reminders would stop."""
    twice = next((c for c in plan if c.platform == SHOPIFY and c.story is BUYS_AFTER_1), None)
    if twice:
        twice.cart.delivered_twice = True
    forged = next((c for c in plan if c.platform == GENERIC and c.story is ABANDONS), None)
    if forged:
        forged.cart.forged_order_at = forged.cart.started_at + 2 * HOUR


def _cart_events(customer: PlannedCustomer) -> None:
    cart, person, ids = customer.cart, customer.person, customer.ids
    if customer.platform == SHOPIFY:
        checkout = partial(shopify_checkout, person, cart, cart.started_at)
        customer.post(cart.started_at, "checkout", "checkouts/update", checkout, webhook_id=ids["checkout"])
        if cart.delivered_twice:  # the same delivery again: same body, same X-Shopify-Webhook-Id
            customer.post(
                cart.started_at, "checkout retry", "checkouts/update", checkout, webhook_id=ids["checkout"], expected_reply="202 duplicate (already accepted)"
            )
        if cart.changed_at:
            customer.post(cart.changed_at, "cart update", "carts/update", partial(shopify_cart_update, cart, cart.changed_at), webhook_id=ids["cart_update"])
    else:
        added = partial(track_cart, person, cart.cart_id, cart.lines, cart.started_at, message_id=f"msg-{ids['product_added']}")
        customer.post(cart.started_at, "product added", "Product Added", added)
        if cart.changed_at:
            more = partial(track_cart, person, cart.cart_id, cart.final_lines, cart.changed_at, message_id=f"msg-{ids['product_added_more']}")
            customer.post(cart.changed_at, "product added", "Product Added", more)
        if cart.forged_order_at:
            forged = partial(track_order_completed, person, cart.order, cart.forged_order_at, message_id=f"msg-{ids['forged_order']}")
            customer.post(
                cart.forged_order_at, "forged order", "Order Completed", forged, forged=True, expected_reply="401 rejected: signature does not match the body"
            )
    if cart.purchase_at:
        place_order(customer, cart.order, cart.purchase_at, uses_coupon=customer.story.uses_coupon)


def _cart_expectations(customer: PlannedCustomer) -> None:
    """Reminders at +1 h, +24 h, +72 h from the cart's last update (the journey starts at the
    first cart event; a change while it waits moves its timers), each waiting for the one
    before to go out; those due before the order are sent; the order brings the thank-you
    and, from the post-purchase journey, the confirmation."""
    cart, person = customer.cart, customer.person
    due, reminders = cart.changed_at or cart.started_at, []
    for index, offset in enumerate(REMINDER_AT):
        due += offset - (REMINDER_AT[index - 1] if index else timedelta(0))
        reminder = marketing(due, CART_ABANDONMENT, REMINDERS[index], person)
        if cart.purchase_at and reminder.at >= cart.purchase_at:
            break
        reminders.append(reminder)
        due = reminder.at
    customer.expect(*reminders)
    if cart.purchase_at:
        thank_you = marketing(cart.purchase_at, CART_ABANDONMENT, "cart_thank_you", person)
        customer.expect(thank_you, transactional(cart.purchase_at, POST_PURCHASE, "order_confirmation"))
        customer.journey(CART_ABANDONMENT, ENDED_WITH_ORDER, thank_you.at)
        customer.awaiting_shipment.append(cart.purchase_at)
    else:
        # After reminder 3 the journey listens for a late order while the coupon is valid.
        customer.journey(CART_ABANDONMENT, ENDED_WITHOUT_ORDER, reminders[-1].at + COUPON_VALID)
    _nudge_expectations(customer)


def _nudge_expectations(customer: PlannedCustomer) -> None:
    """Scenario 17 on the cart mix: a cart in the store's currency whose total is just below
    the free-delivery threshold starts a journey; each later change of the cart within the
    settle time restarts the wait (or ends the journey: threshold reached, no longer near);
    an order ends it; otherwise the nudge goes out once the cart has rested."""
    nudge, cart, person = settings().cart_threshold_nudge, customer.cart, customer.person
    if person.locale.currency != settings().currency:
        return
    settle = timedelta(seconds=nudge.settle_seconds)
    changes = [(cart.started_at, cart.lines)] + ([(cart.changed_at, cart.changed_lines)] if cart.changed_at else [])
    due = None
    for at, lines in changes:
        total = cart_cents(lines)
        if due is None:
            due = at + settle if nudge.is_just_below(total) else None
            continue
        if at >= due:
            break  # the nudge went out before this change (a timer due at an instant fires first)
        if total >= nudge.threshold_cents:
            return customer.journey(CART_THRESHOLD_NUDGE, "Journey ended because the cart reached the threshold", at)
        if not nudge.is_just_below(total):
            return customer.journey(CART_THRESHOLD_NUDGE, "Journey ended because the cart is no longer near the threshold", at)
        due = at + settle
    if due is None:
        return
    if cart.purchase_at and cart.purchase_at < due:
        return customer.journey(CART_THRESHOLD_NUDGE, "Journey ended because the customer ordered", cart.purchase_at)
    message = marketing(due, CART_THRESHOLD_NUDGE, "cart_threshold_nudge", person)
    customer.expect(message)
    customer.journey(CART_THRESHOLD_NUDGE, "Journey ended after the nudge", message.at)


# ----------------------------------------------------------------------------- the cast
def _at(start: datetime, day: int, hh_mm: str) -> datetime:
    """Day ``day`` of the demo at ``hh_mm`` UTC."""
    hours, minutes = map(int, hh_mm.split(":"))
    return start.replace(hour=hours, minute=minutes) + day * DAY


class _Cast:
    """Builds the cast one customer at a time: person, history, events, expectations."""

    def __init__(self, first_index: int, start: datetime):
        self.ids = _Ids(random.Random("encore demo cast"), first_order_number=5000)
        self.index, self.start, self.customers = first_index, start, []

    def customer(
        self,
        key: str,
        label: str,
        platform: str,
        first: str,
        last: str,
        locale: Locale,
        *,
        returning: bool = True,
        consent: bool = True,
        time_zone: str | None = None,
    ) -> PlannedCustomer:
        customer_id = str(self.ids.shopify()) if platform == SHOPIFY else f"user-{3001 + len(self.customers)}"
        domain = "example.com" if platform == SHOPIFY else "example.org"
        email = f"{_ascii(first)}.{_ascii(last)}.{self.index + 1:03d}@{domain}"
        person = Person(platform, customer_id, first, last, email, locale, consent, time_zone)
        customer = PlannedCustomer(self.index, person, Story(key, label))
        self.index += 1
        self.customers.append(customer)
        if returning:
            _history(customer, self.ids, self.start)
        return customer

    def at(self, day: int, hh_mm: str) -> datetime:
        return _at(self.start, day, hh_mm)

    def order(self, customer: PlannedCustomer, at: datetime, *products: Product, paid: bool = True, ships: bool = False) -> OrderPlan:
        """Place an order; the post-purchase journey confirms it at once (and, unless the
        story ships it, then waits for the shipment)."""
        order = self.ids.order(customer.platform, tuple(Line(product) for product in products), customer.person.locale.currency, paid=paid)
        place_order(customer, order, at)
        customer.expect(transactional(at, POST_PURCHASE, "order_confirmation"))
        if not ships:
            customer.awaiting_shipment.append(at)
        return order

    def view(self, customer: PlannedCustomer, at: datetime, product: Product, dwell_seconds: int) -> None:
        build = partial(track_product_viewed, customer.person, product, dwell_seconds, at, message_id=f"msg-{self.ids.uuid()}")
        customer.post(at, "product viewed", "Product Viewed", build)

    def add_to_cart(self, customer: PlannedCustomer, at: datetime, cart_id: str, *lines: Line) -> None:
        customer.post(at, "product added", "Product Added", partial(track_cart, customer.person, cart_id, lines, at, message_id=f"msg-{self.ids.uuid()}"))

    def review(self, customer: PlannedCustomer, at: datetime, product: Product, order: OrderPlan, rating: int) -> None:
        build = partial(
            track_product_reviewed, customer.person, product, order, rating, at, message_id=f"msg-{self.ids.uuid()}", review_id=f"review-{self.ids.uuid()[:8]}"
        )
        # Reviews come from the review app through the generic API, for Shopify customers too.
        customer.events.append(PlannedEvent(at, customer, f"review {rating}/5", len(customer.events), GENERIC, "Product Reviewed", build))

    def ship_and_deliver(self, customer: PlannedCustomer, order: OrderPlan, shipped: datetime, delivered: datetime) -> None:
        """Shopify fulfillments: created (the shipping notice), then delivered (the delivery
        notice, and the review request's start)."""
        fulfillment_id = self.ids.rng.randrange(10**9, 10**10)
        for at, topic, is_delivered in ((shipped, "fulfillments/create", False), (delivered, "fulfillments/update", True)):
            build = partial(shopify_fulfillment, order, at, fulfillment_id, delivered=is_delivered)
            customer.post(at, "delivered" if is_delivered else "shipped", topic, build, webhook_id=self.ids.uuid())
        customer.expect(transactional(shipped, POST_PURCHASE, "shipping_notice"), transactional(delivered, POST_PURCHASE, "delivery_notice"))
        customer.journey(POST_PURCHASE, "Journey ended with the order delivered", delivered)


def plan_cast(*, first_index: int, start: datetime) -> list[PlannedCustomer]:
    cast = _Cast(first_index, start)
    for story in (
        _welcome_after_registration,
        _registration_without_consent,
        _sign_up_then_first_purchase_in_a_category,
        _welcomed_by_a_first_order,
        _browses_and_never_buys,
        _browses_and_buys_after_reminder_1,
        _upgrade_offer_and_reminder,
        _buys_the_upgrade,
        _buys_the_base_product,
        _ignores_the_complements,
        _buys_a_complement,
        _rates_a_durable_5,
        _rates_1,
        _rates_3,
        _never_reviews,
        _pays_after_reminder_1,
        _never_pays_and_cancels,
        _nudged_then_tops_up_and_buys,
        _reaches_the_threshold_before_the_nudge,
    ):
        story(cast)
    return cast.customers


# -- 1 welcome series, with 7's registration confirmation
_WELCOME = settings().welcome_series
WELCOME_2_AFTER = timedelta(days=_WELCOME.best_sellers_after_days)
WELCOME_3_AFTER = timedelta(days=_WELCOME.expiry_reminder_after_days)


def _welcome_series(customer: PlannedCustomer, at: datetime) -> datetime:
    """Welcome, best sellers 2 days later, coupon-expiry reminder 3 days after that; returns
    the last one's moment."""
    person = customer.person
    welcome = marketing(at, WELCOME_SERIES, "welcome_1", person)
    best_sellers = marketing(welcome.at + WELCOME_2_AFTER, WELCOME_SERIES, "welcome_2", person)
    reminder = marketing(best_sellers.at + WELCOME_3_AFTER, WELCOME_SERIES, "welcome_3", person)
    customer.expect(welcome, best_sellers, reminder)
    return reminder.at


def _welcome_after_registration(cast: _Cast) -> None:
    marta = cast.customer(
        "welcome_after_registration", "registers on Shopify, gets the whole welcome series", SHOPIFY, "Marta", "Pavyzdytė", LT_LT, returning=False
    )
    at = cast.at(0, "10:00")
    marta.post(at, "registered", "customers/create", partial(shopify_customer_created, marta.person, at), webhook_id=cast.ids.uuid())
    marta.expect(transactional(at, WELCOME_SERIES, "registration_confirmation"))
    marta.journey(WELCOME_SERIES, "Journey ended after the coupon expiry reminder", _welcome_series(marta, at))


def _registration_without_consent(cast: _Cast) -> None:
    jonas = cast.customer(
        "registration_without_consent", "registers on Shopify without marketing consent", SHOPIFY, "Jonas", "Bandomasis", LT_LT, returning=False, consent=False
    )
    at = cast.at(0, "11:00")
    jonas.post(at, "registered", "customers/create", partial(shopify_customer_created, jonas.person, at), webhook_id=cast.ids.uuid())
    jonas.expect(transactional(at, WELCOME_SERIES, "registration_confirmation"))  # transactional: no consent needed
    jonas.journey(WELCOME_SERIES, "Journey ended after the registration confirmation", at)


def _sign_up_then_first_purchase_in_a_category(cast: _Cast) -> None:
    olena = cast.customer(
        "sign_up_then_skillet",
        "signs up, buys a skillet next day: care tips (tip 1 held by the cap)",
        GENERIC,
        "Olena",
        "Prykladna",
        UK_UA,
        returning=False,
    )
    signed_up, ordered = cast.at(1, "09:30"), cast.at(2, "12:00")
    olena.post(signed_up, "signed up", "Signed Up", partial(track_signed_up, olena.person, signed_up, message_id=f"msg-{cast.ids.uuid()}"))
    welcome = marketing(signed_up, WELCOME_SERIES, "welcome_1", olena.person)
    olena.expect(transactional(signed_up, WELCOME_SERIES, "registration_confirmation"), welcome)
    cast.order(olena, ordered, SKILLET)
    # The first order ends the welcome series (it waits 2 days for one); the skillet is her
    # first cast-iron purchase, and the store has tips for that category.
    olena.journey(WELCOME_SERIES, "Journey ended because the customer ordered", ordered)
    tips = settings().education_series.tip_offsets_days
    # Tip 1 is due 2 days after the order, but the welcome (a journey of higher priority)
    # messaged her within the cap's window: it waits until the welcome email leaves it.
    tip_1_due = ordered + tips[0] * DAY
    cap_lifted = capped_until(EDUCATION_SERIES, tip_1_due, [welcome])
    assert cap_lifted is not None and tip_1_due == deliverable_at(tip_1_due, olena.person.zone)
    assert deliverable_at(cap_lifted, olena.person.zone) == cap_lifted, "the plan assumes the cap lifts outside quiet hours"
    tip_1 = Expected(cap_lifted, EDUCATION_SERIES, "education_tip_1", held_back=FREQUENCY_CAP)
    tip_2 = marketing(tip_1.at + (tips[1] - tips[0]) * DAY, EDUCATION_SERIES, "education_tip_2", olena.person)
    tip_3 = marketing(tip_2.at + (tips[2] - tips[1]) * DAY, EDUCATION_SERIES, "education_tip_3", olena.person)
    olena.expect(tip_1, tip_2, tip_3)
    olena.journey(EDUCATION_SERIES, "Journey ended after the third tip", tip_3.at)


def _welcomed_by_a_first_order(cast: _Cast) -> None:
    riley = cast.customer(
        "welcomed_by_first_order", "first order without an account: welcomed by the order", GENERIC, "Riley", "Sample", EN_US, returning=False
    )
    at = cast.at(3, "14:00")
    cast.order(riley, at, WOOL_BEANIE)
    riley.journey(WELCOME_SERIES, "Journey ended after the coupon expiry reminder", _welcome_series(riley, at))


# -- 2 browse abandonment
_BROWSE = settings().browse_abandonment


def _browses_and_never_buys(cast: _Cast) -> None:
    casey = cast.customer(
        "browses_never_buys",
        "views a jacket twice from New York, never buys (quiet hours)",
        GENERIC,
        "Casey",
        "Example",
        EN_US,
        time_zone="America/New_York",
    )
    cast.view(casey, cast.at(1, "12:00"), CANVAS_JACKET, 40)  # one short look: no intent yet
    second = cast.at(1, "12:06")
    cast.view(casey, second, CANVAS_JACKET, 50)  # the second view shows intent: the journey starts
    visit_ended = second + timedelta(seconds=_BROWSE.visit_idle_seconds)
    reminder_1 = marketing(visit_ended + timedelta(seconds=_BROWSE.reminder_1_after_seconds), BROWSE_ABANDONMENT, "browse_reminder_1", casey.person)
    assert reminder_1.held_back == QUIET_HOURS  # 08:36 in New York
    reminder_2 = marketing(reminder_1.at + timedelta(seconds=_BROWSE.reminder_2_after_seconds), BROWSE_ABANDONMENT, "browse_reminder_2", casey.person)
    casey.expect(reminder_1, reminder_2)
    casey.journey(BROWSE_ABANDONMENT, "Journey ended without an order", reminder_2.at)


def _browses_and_buys_after_reminder_1(cast: _Cast) -> None:
    felix = cast.customer(
        "browses_buys_after_reminder_1", "views the mug set for 2 minutes, buys it after browse reminder 1", GENERIC, "Felix", "Beispiel", DE_DE
    )
    viewed, ordered = cast.at(2, "10:00"), cast.at(2, "16:00")
    cast.view(felix, viewed, MUGS, 120)  # a long look is intent at once
    visit_ended = viewed + timedelta(seconds=_BROWSE.visit_idle_seconds)
    reminder_1 = marketing(visit_ended + timedelta(seconds=_BROWSE.reminder_1_after_seconds), BROWSE_ABANDONMENT, "browse_reminder_1", felix.person)
    felix.expect(reminder_1)
    assert reminder_1.at < ordered < reminder_1.at + timedelta(seconds=_BROWSE.reminder_2_after_seconds)
    cast.order(felix, ordered, MUGS)
    felix.journey(BROWSE_ABANDONMENT, "Journey ended because the customer ordered", ordered)


# -- 5 up-sell
_UP_SELL = settings().up_sell
OFFER_AFTER = timedelta(seconds=_UP_SELL.offer_after_seconds)


def _upgrade_offer_and_reminder(cast: _Cast) -> None:
    jordan = cast.customer("upgrade_offer_and_reminder", "views the burr grinder: the Pro offered, a reminder 2 days later", GENERIC, "Jordan", "Tester", EN_US)
    viewed = cast.at(1, "15:00")
    cast.view(jordan, viewed, GRINDER, 30)  # one short look: no browse intent, but it has an upgrade
    offer = marketing(viewed + OFFER_AFTER, UP_SELL, "up_sell_offer", jordan.person)
    reminder = marketing(offer.at + timedelta(days=_UP_SELL.reminder_after_days), UP_SELL, "up_sell_reminder", jordan.person)
    jordan.expect(offer, reminder)
    jordan.journey(UP_SELL, "Journey ended after the reminder", reminder.at)


def _buys_the_upgrade(cast: _Cast) -> None:
    oliver = cast.customer("buys_the_upgrade", "views the burr grinder, buys the Pro after the offer", GENERIC, "Oliver", "Fictional", EN_GB)
    viewed, ordered = cast.at(2, "13:00"), cast.at(2, "18:00")
    cast.view(oliver, viewed, GRINDER, 25)
    oliver.expect(marketing(viewed + OFFER_AFTER, UP_SELL, "up_sell_offer", oliver.person))
    cast.order(oliver, ordered, GRINDER_PRO)
    thank_you = marketing(ordered, UP_SELL, "up_sell_thank_you", oliver.person)
    oliver.expect(thank_you)
    oliver.journey(UP_SELL, "Journey ended because the customer bought the upgrade", thank_you.at)


def _buys_the_base_product(cast: _Cast) -> None:
    mia = cast.customer("buys_the_base_product", "views the burr grinder, buys it (not the Pro) after the offer", GENERIC, "Mia", "Probe", DE_DE)
    viewed, ordered = cast.at(3, "10:00"), cast.at(3, "11:00")
    cast.view(mia, viewed, GRINDER, 20)
    mia.expect(marketing(viewed + OFFER_AFTER, UP_SELL, "up_sell_offer", mia.person))
    cast.order(mia, ordered, GRINDER)
    mia.journey(UP_SELL, "Journey ended because the customer bought the product without the upgrade", ordered)


# -- 6 cross-sell
_CROSS_SELL = settings().cross_sell


def _ignores_the_complements(cast: _Cast) -> None:
    hugo = cast.customer("ignores_the_complements", "buys an espresso machine, not the accessories offered with it", GENERIC, "Hugo", "Fictif", FR_FR)
    ordered = cast.at(1, "10:00")
    cast.order(hugo, ordered, ESPRESSO_MACHINE)
    offer = marketing(ordered + timedelta(hours=_CROSS_SELL.offer_after_hours), CROSS_SELL, "cross_sell_offer", hugo.person)
    reminder = marketing(offer.at + timedelta(days=_CROSS_SELL.reminder_after_days), CROSS_SELL, "cross_sell_reminder", hugo.person)
    hugo.expect(offer, reminder)
    hugo.journey(CROSS_SELL, "Journey ended without a complementary purchase", reminder.at + timedelta(days=_CROSS_SELL.last_wait_days))


def _buys_a_complement(cast: _Cast) -> None:
    lucia = cast.customer("buys_a_complement", "buys an espresso machine, then the tamper: review asked (quiet hours)", GENERIC, "Lucía", "Ejemplo", ES_ES)
    ordered, complement = cast.at(1, "11:00"), cast.at(3, "10:00")
    cast.order(lucia, ordered, ESPRESSO_MACHINE)
    lucia.expect(marketing(ordered + timedelta(hours=_CROSS_SELL.offer_after_hours), CROSS_SELL, "cross_sell_offer", lucia.person))
    cast.order(lucia, complement, TAMPER)
    # 84 hours after a morning purchase is the middle of the night in Vilnius.
    review = marketing(complement + timedelta(hours=_CROSS_SELL.review_request_after_hours), CROSS_SELL, "review_request", lucia.person)
    assert review.held_back == QUIET_HOURS
    lucia.expect(review)
    lucia.journey(CROSS_SELL, "Journey ended with a review requested for the complementary purchase", review.at)


# -- 8 review request (Shopify orders, reviews through the generic API), with 7's notices
_REVIEWS = settings().review_request


def _delivered(cast: _Cast, customer: PlannedCustomer, product: Product, ordered: datetime, delivered: datetime) -> tuple[OrderPlan, Expected]:
    """An order shipped a day after it was placed and delivered at ``delivered``; returns it
    and the review request, due after the product type's delay."""
    order = cast.order(customer, ordered, product, ships=True)
    cast.ship_and_deliver(customer, order, ordered + DAY, delivered)
    request = marketing(delivered + _REVIEWS.delay_days([product.product_type]) * DAY, REVIEW_REQUEST, "review_request", customer.person)
    customer.expect(request)
    return order, request


def _rates_a_durable_5(cast: _Cast) -> None:
    harriet = cast.customer("rates_5", "oak board delivered (durable: asked after 21 days), rated 5/5", SHOPIFY, "Harriet", "Specimen", EN_GB)
    order, request = _delivered(cast, harriet, SERVING_BOARD, cast.at(0, "12:00"), cast.at(3, "12:00"))
    reviewed = request.at + 22 * HOUR
    cast.review(harriet, reviewed, SERVING_BOARD, order, 5)
    thank_you = marketing(reviewed, REVIEW_REQUEST, "review_thank_you", harriet.person)
    harriet.expect(thank_you)
    harriet.journey(REVIEW_REQUEST, "Journey ended with a positive review", thank_you.at)


def _rates_1(cast: _Cast) -> None:
    alfie = cast.customer("rates_1", "jacket delivered (apparel: 10 days), rated 1/5: apology, staff alert", SHOPIFY, "Alfie", "Placeholder", EN_GB)
    order, request = _delivered(cast, alfie, CANVAS_JACKET, cast.at(0, "13:00"), cast.at(3, "11:00"))
    reviewed = request.at + 4 * HOUR
    cast.review(alfie, reviewed, CANVAS_JACKET, order, 1)
    apology = marketing(reviewed, REVIEW_REQUEST, "review_apology", alfie.person)
    alfie.expect(apology)
    alfie.staff_alerts = 1
    alfie.journey(REVIEW_REQUEST, "Journey ended with a negative review", apology.at)


def _rates_3(cast: _Cast) -> None:
    morgan = cast.customer("rates_3", "linen shirt delivered, rated 3/5: a plain thank-you", SHOPIFY, "Morgan", "Demo", EN_US)
    order, request = _delivered(cast, morgan, LINEN_SHIRT, cast.at(1, "09:00"), cast.at(4, "10:00"))
    reviewed = request.at + DAY
    cast.review(morgan, reviewed, LINEN_SHIRT, order, 3)
    thank_you = marketing(reviewed, REVIEW_REQUEST, "review_neutral_thank_you", morgan.person)
    morgan.expect(thank_you)
    morgan.journey(REVIEW_REQUEST, "Journey ended with a neutral review", thank_you.at)


def _never_reviews(cast: _Cast) -> None:
    lena = cast.customer("never_reviews", "wool beanie delivered, never reviewed: one reminder", SHOPIFY, "Lena", "Mustermann", DE_DE)
    _, request = _delivered(cast, lena, WOOL_BEANIE, cast.at(1, "10:00"), cast.at(4, "12:00"))
    reminder = marketing(request.at + timedelta(days=_REVIEWS.review_wait_days), REVIEW_REQUEST, "review_reminder", lena.person)
    lena.expect(reminder)
    lena.journey(REVIEW_REQUEST, "Journey ended without a review", reminder.at + timedelta(days=_REVIEWS.after_reminder_wait_days))


# -- 4 unpaid order (Shopify, financial status pending)
_UNPAID = tuple(timedelta(seconds=offset) for offset in settings().unpaid_order.reminder_offsets_seconds)


def _pays_after_reminder_1(cast: _Cast) -> None:
    avery = cast.customer("pays_after_reminder_1", "orders by bank transfer, pays after payment reminder 1", SHOPIFY, "Avery", "Tester", EN_US)
    ordered, paid = cast.at(1, "13:00"), cast.at(1, "18:00")
    order = cast.order(avery, ordered, KETTLE, paid=False)
    avery.expect(transactional(ordered + _UNPAID[0], UNPAID_ORDER, "payment_reminder_1"))
    avery.post(paid, "paid", "orders/paid", partial(shopify_order_status, avery.person, order, ordered, paid, "orders/paid"), webhook_id=cast.ids.uuid())
    avery.journey(UNPAID_ORDER, "Journey ended with the order paid", paid)


def _never_pays_and_cancels(cast: _Cast) -> None:
    theo = cast.customer("never_pays_cancelled", "orders by bank transfer, never pays: 2 reminders, then cancelled", SHOPIFY, "Théo", "Exemple", FR_FR)
    ordered, cancelled = cast.at(2, "09:00"), cast.at(4, "09:00")
    order = cast.order(theo, ordered, MILK_FROTHER, paid=False, ships=True)  # the cancellation ends post-purchase
    theo.expect(
        transactional(ordered + _UNPAID[0], UNPAID_ORDER, "payment_reminder_1"), transactional(ordered + _UNPAID[1], UNPAID_ORDER, "payment_reminder_2")
    )
    theo.post(
        cancelled,
        "cancelled",
        "orders/cancelled",
        partial(shopify_order_status, theo.person, order, ordered, cancelled, "orders/cancelled"),
        webhook_id=cast.ids.uuid(),
    )
    theo.journey(UNPAID_ORDER, "Journey ended with the order cancelled", cancelled)
    theo.journey(POST_PURCHASE, "Journey ended because the order was cancelled", cancelled)


# -- 17 cart threshold nudge (generic API, the store's currency), with 3's thank-you
NUDGE_SETTLE = timedelta(seconds=settings().cart_threshold_nudge.settle_seconds)


def _nudged_then_tops_up_and_buys(cast: _Cast) -> None:
    morgan = cast.customer("nudged_tops_up_buys", "cart just below free delivery: nudged, adds a beanie and buys", GENERIC, "Morgan", "Sample", EN_US)
    cart_id, started, topped_up, ordered = "cart-70001", cast.at(2, "10:00"), cast.at(2, "10:25"), cast.at(2, "10:40")
    lines = (Line(YIRGACHEFFE, 2), Line(TEA_TOWELS))
    assert settings().cart_threshold_nudge.is_just_below(cart_cents(lines))
    cast.add_to_cart(morgan, started, cart_id, *lines)
    nudge = marketing(started + NUDGE_SETTLE, CART_THRESHOLD_NUDGE, "cart_threshold_nudge", morgan.person)
    morgan.expect(nudge)
    morgan.journey(CART_THRESHOLD_NUDGE, "Journey ended after the nudge", nudge.at)
    cast.add_to_cart(morgan, topped_up, cart_id, *lines, Line(WOOL_BEANIE))
    _bought_the_cart(cast, morgan, cart_id, ordered, (*lines, Line(WOOL_BEANIE)))


def _reaches_the_threshold_before_the_nudge(cast: _Cast) -> None:
    jordan = cast.customer(
        "reaches_threshold_before_nudge", "cart just below free delivery, tops it up within minutes: no nudge", GENERIC, "Jordan", "Demo", EN_US
    )
    cart_id, started, topped_up, ordered = "cart-70002", cast.at(5, "16:00"), cast.at(5, "16:10"), cast.at(5, "16:20")
    lines = (Line(MERINO_SOCKS), Line(CANDLE))
    assert settings().cart_threshold_nudge.is_just_below(cart_cents(lines))
    cast.add_to_cart(jordan, started, cart_id, *lines)
    cast.add_to_cart(jordan, topped_up, cart_id, *lines, Line(TEA_TOWELS))
    jordan.journey(CART_THRESHOLD_NUDGE, "Journey ended because the cart reached the threshold", topped_up)
    _bought_the_cart(cast, jordan, cart_id, ordered, (*lines, Line(TEA_TOWELS)))


def _bought_the_cart(cast: _Cast, customer: PlannedCustomer, cart_id: str, at: datetime, lines: tuple[Line, ...]) -> None:
    """The order of a cart bought before reminder 1: the cart journey's thank-you."""
    order = cast.ids.order(customer.platform, lines, customer.person.locale.currency, cart_id=cart_id)
    place_order(customer, order, at)
    thank_you = marketing(at, CART_ABANDONMENT, "cart_thank_you", customer.person)
    customer.expect(thank_you, transactional(at, POST_PURCHASE, "order_confirmation"))
    customer.journey(CART_ABANDONMENT, ENDED_WITH_ORDER, thank_you.at)
    customer.awaiting_shipment.append(at)


# ----------------------------------------------------------------------------- payloads
@cache
def _sample(name: str) -> dict:
    return json.loads((EVENTS_DIR / f"{name}.json").read_text())


def _sample_copy(name: str) -> dict:
    return copy.deepcopy(_sample(name))


def shopify_time(moment: datetime) -> str:
    return moment.isoformat()  # "2026-11-02T10:00:00+00:00", as in Shopify's payloads


def generic_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _consent(person: Person, updated_at: str | None) -> dict:
    return {"state": "subscribed" if person.marketing_consent else "not_subscribed", "opt_in_level": "single_opt_in", "consent_updated_at": updated_at}


def _shopify_customer(person: Person, template: dict, at: datetime) -> dict:
    return {
        **template,
        "id": int(person.customer_id),
        "email": person.email,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "accepts_marketing": person.marketing_consent,
        "updated_at": shopify_time(at),
        "currency": person.locale.currency,
        "admin_graphql_api_id": f"gid://shopify/Customer/{person.customer_id}",
        "email_marketing_consent": _consent(person, template["email_marketing_consent"]["consent_updated_at"]),
    }


def shopify_customer_created(person: Person, at: datetime, _coupon: str | None = None) -> dict:
    """customers/create: a new account, consent given (or not) as it was created."""
    payload = _sample_copy("shopify_customers_create")
    address = {**payload["default_address"], "customer_id": int(person.customer_id), "first_name": person.first_name, "last_name": person.last_name}
    address.update(name=person.first_name + " " + person.last_name, phone=None)
    payload.update(
        id=int(person.customer_id),
        email=person.email,
        first_name=person.first_name,
        last_name=person.last_name,
        created_at=shopify_time(at),
        updated_at=shopify_time(at),
        tags="",
        currency=person.locale.currency,
        phone=None,
        admin_graphql_api_id=f"gid://shopify/Customer/{person.customer_id}",
        email_marketing_consent=_consent(person, shopify_time(at) if person.marketing_consent else None),
        default_address=address,
    )
    return payload


def _checkout_line(template: dict, line: Line) -> dict:
    product = line.product
    return {
        **template,
        "key": str(product.variant_id),
        "presentment_title": product.title,
        "presentment_variant_title": product.variant_title or "",
        "product_id": product.product_id,
        "variant_id": product.variant_id,
        "sku": product.sku,
        "title": product.title,
        "variant_title": product.variant_title,
        "variant_price": product.price,
        "price": product.price,
        "quantity": line.quantity,
        "grams": product.grams,
        "line_price": _money(line.total),
    }


def shopify_checkout(person: Person, cart: CartPlan, at: datetime, _coupon: str | None = None) -> dict:
    payload = _sample_copy("shopify_checkouts_update")
    lines, currency = cart.lines, person.locale.currency
    total = _money(cart_total(lines))
    payload.update(
        id=cart.checkout_id,
        token=cart.checkout_token,
        cart_token=cart.cart_id,
        email=person.email,
        buyer_accepts_marketing=person.marketing_consent,
        created_at=shopify_time(cart.started_at - 5 * MINUTE),
        updated_at=shopify_time(at),
        landing_site=f"/products/{lines[0].product.slug}",
        currency=currency,
        presentment_currency=currency,
        customer_locale=person.locale.tag.split("-")[0],
        line_items=[_checkout_line(payload["line_items"][0], line) for line in lines],
        total_weight=sum(line.product.grams * line.quantity for line in lines),
        name=f"#{cart.checkout_id}",
        abandoned_checkout_url=f"{SHOP_URL}/548380009/checkouts/{cart.checkout_token}/recover?key=recovery-{cart.checkout_id % 1000:03d}",
        total_line_items_price=total,
        total_price=total,
        subtotal_price=total,
        customer=_shopify_customer(person, payload["customer"], at),
    )
    return payload


def _money_set(amount: str, currency: str) -> dict:
    return {"shop_money": {"amount": amount, "currency_code": currency}, "presentment_money": {"amount": amount, "currency_code": currency}}


def _cart_line(template: dict, line: Line, currency: str) -> dict:
    product, total = line.product, _money(line.total)
    return {
        **template,
        "id": product.variant_id,
        "variant_id": product.variant_id,
        "product_id": product.product_id,
        "key": f"{product.variant_id}:{product.sku.lower()}",
        "quantity": line.quantity,
        "sku": product.sku,
        "title": product.line_title,
        "grams": product.grams,
        "price": product.price,
        "original_price": product.price,
        "discounted_price": product.price,
        "line_price": total,
        "original_line_price": total,
        "discounted_price_set": _money_set(product.price, currency),
        "line_price_set": _money_set(total, currency),
        "original_line_price_set": _money_set(total, currency),
        "price_set": _money_set(product.price, currency),
        "total_discount_set": _money_set("0.0", currency),
    }


def shopify_cart_update(cart: CartPlan, at: datetime, _coupon: str | None = None, *, currency: str | None = None) -> dict:
    """carts/update carries no customer: the cart token links it to the checkout's."""
    payload = _sample_copy("shopify_carts_update")
    template = payload["line_items"][0]
    currency = currency or cart.order.currency
    payload.update(
        id=cart.cart_id,
        token=cart.cart_id,
        line_items=[_cart_line(template, line, currency) for line in cart.final_lines],
        updated_at=shopify_time(at),
        created_at=shopify_time(cart.started_at - 10 * MINUTE),
    )
    return payload


def _order_line(template: dict, line: Line, index: int) -> dict:
    product = line.product
    line_id = 466157049 + product.variant_id % 10_000 + index
    return {
        **template,
        "id": line_id,
        "admin_graphql_api_id": f"gid://shopify/LineItem/{line_id}",
        "fulfillable_quantity": line.quantity,
        "grams": product.grams,
        "name": product.line_title,
        "price": product.price,
        "product_id": product.product_id,
        "quantity": line.quantity,
        "sku": product.sku,
        "title": product.title,
        "variant_id": product.variant_id,
        "variant_title": product.variant_title,
    }


def shopify_order(person: Person, order: OrderPlan, at: datetime, coupon: str | None = None) -> dict:
    payload = _sample_copy("shopify_orders_create")
    lines, currency = order.lines, order.currency
    subtotal = cart_total(lines)
    discount, total = discounted(subtotal, coupon)
    payload.update(
        id=int(order.order_id),
        admin_graphql_api_id=f"gid://shopify/Order/{order.order_id}",
        buyer_accepts_marketing=person.marketing_consent,
        cart_token=order.cart_id,
        checkout_id=order.checkout_id or None,
        checkout_token=order.checkout_token or None,
        confirmation_number=order.webhook_id[:8].upper(),
        contact_email=person.email,
        email=person.email,
        created_at=shopify_time(at),
        processed_at=shopify_time(at),
        updated_at=shopify_time(at),
        currency=currency,
        presentment_currency=currency,
        customer_locale=person.locale.tag.split("-")[0],
        financial_status="paid" if order.paid else "pending",
        name=f"#{order.number}",
        number=order.number - 1000,
        order_number=order.number,
        token=order.webhook_id.replace("-", "")[:10],
        order_status_url=f"{SHOP_URL}/548380009/orders/{order.order_id}/authenticate?key=demo",
        current_subtotal_price=_money(subtotal),
        subtotal_price=_money(subtotal),
        total_line_items_price=_money(subtotal),
        current_total_discounts=_money(discount),
        total_discounts=_money(discount),
        current_total_price=_money(total),
        total_price=_money(total),
        total_weight=sum(line.product.grams * line.quantity for line in lines),
        discount_codes=[{"code": coupon, "amount": _money(discount), "type": "percentage"}] if coupon else [],
        customer=_shopify_customer(person, payload["customer"], at),
        line_items=[_order_line(payload["line_items"][0], line, i) for i, line in enumerate(lines)],
    )
    return payload


def shopify_order_status(person: Person, order: OrderPlan, placed_at: datetime, at: datetime, topic: str, _coupon: str | None = None) -> dict:
    """orders/paid or orders/cancelled: the whole order again, with the new status."""
    payload = shopify_order(person, order, placed_at)
    payload.update(updated_at=shopify_time(at), financial_status="paid" if topic == "orders/paid" else "voided")
    if topic == "orders/cancelled":
        payload.update(cancelled_at=shopify_time(at), cancel_reason="customer")
    return payload


def shopify_fulfillment(order: OrderPlan, at: datetime, fulfillment_id: int, _coupon: str | None = None, *, delivered: bool) -> dict:
    payload = _sample_copy("shopify_fulfillments_update")
    tracking = f"1Z{fulfillment_id}"
    payload.update(
        id=fulfillment_id,
        order_id=int(order.order_id),
        created_at=shopify_time(at if not delivered else at - 2 * DAY),
        updated_at=shopify_time(at),
        shipment_status="delivered" if delivered else None,
        line_items=[],
        tracking_number=tracking,
        tracking_numbers=[tracking],
        tracking_url=f"https://www.ups.com/WebTracking?loc=en&tracknum={tracking}",
        tracking_urls=[f"https://www.ups.com/WebTracking?loc=en&tracknum={tracking}"],
        name=f"#{order.number}.1",
        admin_graphql_api_id=f"gid://shopify/Fulfillment/{fulfillment_id}",
    )
    return payload


def _generic_products(lines: tuple[Line, ...]) -> list[dict]:
    return [
        {
            "product_id": line.product.id,
            "name": line.product.line_title,
            "price": float(line.product.price),
            "quantity": line.quantity,
            "url": f"{STOREFRONT_URL}/p/{line.product.slug}",
        }
        for line in lines
    ]


def _context(person: Person) -> dict:
    traits = {"email": person.email, "first_name": person.first_name, "last_name": person.last_name, "accepts_email_marketing": person.marketing_consent}
    return {"locale": person.locale.tag, "traits": traits, **({"timezone": person.time_zone} if person.time_zone else {})}


def _track(name: str, person: Person, at: datetime, message_id: str, properties: dict) -> dict:
    payload = _sample_copy(name)
    payload.pop("anonymousId", None)
    payload.update(messageId=message_id, userId=person.customer_id, timestamp=generic_time(at), context=_context(person), properties=properties)
    return payload


def track_cart(person: Person, cart_id: str, lines: tuple[Line, ...], at: datetime, _coupon: str | None = None, *, message_id: str) -> dict:
    """The generic API sends the whole cart with every cart event."""
    properties = {
        "cart_id": cart_id,
        "currency": person.locale.currency,
        "checkout_url": f"{STOREFRONT_URL}/cart/{cart_id}",
        "products": _generic_products(lines),
    }
    return _track("generic_product_added", person, at, message_id, properties)


def track_order_completed(person: Person, order: OrderPlan, at: datetime, coupon: str | None = None, *, message_id: str) -> dict:
    discount, total = discounted(cart_total(order.lines), coupon)
    properties = {"order_id": order.order_id, "total": float(total), "currency": order.currency, "products": _generic_products(order.lines)}
    if order.cart_id:
        properties["cart_id"] = order.cart_id
    if coupon:
        properties.update(coupon=coupon, discount=float(discount))
    return _track("generic_order_completed", person, at, message_id, properties)


def track_product_viewed(person: Person, product: Product, dwell_seconds: int, at: datetime, _coupon: str | None = None, *, message_id: str) -> dict:
    properties = {
        "product_id": product.id,
        "name": product.title,
        "category": product.category,
        "price": float(product.price),
        "url": f"{STOREFRONT_URL}/p/{product.slug}",
        "dwell_seconds": dwell_seconds,
    }
    return _track("generic_product_viewed", person, at, message_id, properties)


def track_signed_up(person: Person, at: datetime, _coupon: str | None = None, *, message_id: str) -> dict:
    """A new account with consent given as it was created (``email_consent``: a
    subscription, not the older ``accepts_email_marketing`` flag)."""
    payload = _track("generic_signed_up", person, at, message_id, {"email": person.email, "firstName": person.first_name, "lastName": person.last_name})
    payload["context"]["traits"] = {"email_consent": person.marketing_consent}
    return payload


def track_product_reviewed(
    person: Person, product: Product, order: OrderPlan, rating: int, at: datetime, _coupon: str | None = None, *, message_id: str, review_id: str
) -> dict:
    titles = {1: "Not what I hoped for", 2: "Disappointing", 3: "It is fine", 4: "Very good", 5: "Exactly right"}
    properties = {"product_id": product.id, "review_id": review_id, "order_id": order.order_id, "rating": rating, "review_title": titles[rating]}
    payload = _track("generic_product_reviewed", person, at, message_id, properties)
    payload["context"] = {}  # the review app knows the customer's id, not their profile
    return payload
