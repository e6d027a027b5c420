"""A deterministic sample store for ``make demo``: who shops, what they buy, and when.

Half of the customers shop on Shopify (checkouts/update, sometimes carts/update,
orders/create webhooks), half on a store that uses the generic events API (Segment-style
"Product Added" and "Order Completed").  Each customer gets one planned behaviour, and the
behaviour fixes which emails the cart-abandonment journey should send them, so the demo can
check the stack against the plan.

Payloads are copies of the real-shaped samples in ``tests/events`` with ids, names,
products, prices and timestamps changed.  Every timestamp is the virtual time at which the
event is posted.  All names are made up and all addresses are at example.com / example.org.
"""

from __future__ import annotations

import copy
import json
import random
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

from encore.stores import CartAbandonmentSettings

EVENTS_DIR = Path(__file__).resolve().parents[1] / "tests" / "events"
STORE_ID = "demo-store"
SHOP_URL = f"https://{STORE_ID}.myshopify.com"
STOREFRONT_URL = "https://shop.example"

SHOPIFY = "shopify"
GENERIC = "generic"

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

# The journey's final states (statemachines/cart_abandonment.asl.json).
ENDED_WITH_ORDER = "Journey ended with an order"
ENDED_WITHOUT_ORDER = "Journey ended without an order"

REMINDERS = ("cart_reminder_1", "cart_reminder_2", "cart_reminder_3")
THANK_YOU = "cart_thank_you"
CONFIRMATION = "order_confirmation"  # from the post-purchase journey every order starts
# The store runs with the default settings: reminders at +1 h, +24 h, +72 h, counted from
# the customer's first cart event (the journey starts then; later updates of the same cart
# do not restart it), and a 10 % coupon with reminder 3.
_DEFAULTS = CartAbandonmentSettings()
REMINDER_AT = tuple(timedelta(seconds=offset) for offset in _DEFAULTS.reminder_offsets_seconds)
COUPON_PERCENT_OFF = _DEFAULTS.coupon_percent_off
COUPON_VALID = timedelta(days=_DEFAULTS.coupon_valid_days)


# ----------------------------------------------------------------------------- behaviours
@dataclass(frozen=True)
class Behaviour:
    """One way a shopper can act, and what the journey should do about it."""

    key: str
    label: str
    # When the order comes, counted from the first cart event (None: never orders).
    buys_between: tuple[timedelta, timedelta] | None
    expected_emails: tuple[str, ...]
    expected_end: str
    marketing_consent: bool = True
    uses_coupon: bool = False


BUYS_QUICKLY = Behaviour("buys_quickly", "buys within 30 minutes", (12 * MINUTE, 30 * MINUTE), (THANK_YOU, CONFIRMATION), ENDED_WITH_ORDER)
ABANDONS = Behaviour("abandons", "abandons the cart for good", None, REMINDERS, ENDED_WITHOUT_ORDER)
# Orders that follow a reminder come at least 30 minutes after it and hours before the
# next one (reminder 1 at +1 h -> order between +1.5 h and +20 h), so the outcome never
# depends on which of two nearly simultaneous events wins.
BUYS_AFTER_1 = Behaviour(
    "buys_after_reminder_1",
    "buys after reminder 1",
    (REMINDER_AT[0] + 30 * MINUTE, REMINDER_AT[1] - 4 * HOUR),
    (REMINDERS[0], THANK_YOU, CONFIRMATION),
    ENDED_WITH_ORDER,
)
BUYS_AFTER_2 = Behaviour(
    "buys_after_reminder_2",
    "buys after reminder 2",
    (REMINDER_AT[1] + 2 * HOUR, REMINDER_AT[2] - 12 * HOUR),
    (*REMINDERS[:2], THANK_YOU, CONFIRMATION),
    ENDED_WITH_ORDER,
)
BUYS_AFTER_3 = Behaviour(
    "buys_after_reminder_3_with_coupon",
    "buys after reminder 3 with its coupon",
    (REMINDER_AT[2] + 2 * HOUR, REMINDER_AT[2] + COUPON_VALID - 2 * DAY),  # while the coupon is valid
    (*REMINDERS, THANK_YOU, CONFIRMATION),
    ENDED_WITH_ORDER,
    uses_coupon=True,
)
NO_CONSENT = Behaviour("no_marketing_consent", "no marketing consent", None, (), ENDED_WITHOUT_ORDER, marketing_consent=False)

BEHAVIOURS = (BUYS_QUICKLY, ABANDONS, BUYS_AFTER_1, BUYS_AFTER_2, BUYS_AFTER_3, NO_CONSENT)

# The order in which behaviours are dealt to each platform's customers: every behaviour
# appears within the first six, so any --customers >= 12 covers all of them on both
# platforms; further customers follow a realistic mix (most buy, some never come back).
DEAL = (
    BUYS_QUICKLY, ABANDONS, BUYS_AFTER_1, BUYS_AFTER_2, BUYS_AFTER_3, NO_CONSENT,
    BUYS_QUICKLY, BUYS_AFTER_1, ABANDONS, BUYS_AFTER_2, BUYS_QUICKLY, BUYS_AFTER_3,
    BUYS_AFTER_1, ABANDONS, BUYS_QUICKLY, BUYS_AFTER_2, NO_CONSENT, BUYS_AFTER_3,
)


# ----------------------------------------------------------------------------- catalogue
@dataclass(frozen=True)
class Product:
    category: str
    product_id: int  # Shopify's numeric ids; the generic API uses the SKU
    variant_id: int
    sku: str
    title: str
    variant_title: str | None
    price: str  # money as platforms send it: a decimal string
    slug: str
    grams: int

    @property
    def line_title(self) -> str:
        """What Shopify calls the line in cart webhooks: title and variant together."""
        return f"{self.title} - {self.variant_title}" if self.variant_title else self.title


CATALOGUE = (
    Product("apparel", 632910392, 808950810, "LINEN-SHIRT-M-SAND", "Linen shirt", "M / Sand", "49.00", "linen-shirt", 300),
    Product("apparel", 632910393, 808950811, "MERINO-SOCKS-3", "Merino crew socks (3 pairs)", "One size", "24.00", "merino-socks", 150),
    Product("apparel", 632910394, 808950812, "CANVAS-JACKET-L-OLIVE", "Waxed canvas jacket", "L / Olive", "189.00", "canvas-jacket", 1200),
    Product("apparel", 632910395, 808950813, "WOOL-BEANIE-RUST", "Wool beanie", "Rust", "29.00", "wool-beanie", 90),
    Product("coffee", 741200101, 918300101, "ESPRESSO-BEANS-1KG", "Espresso beans 1 kg", None, "24.50", "espresso-beans", 1000),
    Product("coffee", 741200102, 918300102, "YIRGACHEFFE-250G", "Ethiopia Yirgacheffe 250 g", None, "16.00", "yirgacheffe", 250),
    Product("coffee", 741200103, 918300103, "MILK-FROTHER", "Milk frother", None, "39.90", "milk-frother", 600),
    Product("coffee", 741200104, 918300104, "POUR-OVER-KETTLE", "Pour-over kettle", "Matte black", "59.00", "pour-over-kettle", 900),
    Product("home", 853400201, 120500201, "STONEWARE-MUGS-4", "Stoneware mug set", "Set of 4", "42.00", "stoneware-mugs", 1400),
    Product("home", 853400202, 120500202, "LINEN-TEA-TOWELS-2", "Linen tea towels", "Pair", "18.50", "linen-tea-towels", 200),
    Product("home", 853400203, 120500203, "BEESWAX-CANDLE", "Beeswax candle", None, "22.00", "beeswax-candle", 350),
    Product("home", 853400204, 120500204, "OAK-SERVING-BOARD", "Oak serving board", None, "65.00", "oak-serving-board", 1100),
)
CATEGORIES = ("apparel", "coffee", "home")


@dataclass(frozen=True)
class Line:
    product: Product
    quantity: int

    @property
    def total(self) -> Decimal:
        return Decimal(self.product.price) * self.quantity


def _money(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01'))}"


def cart_total(lines: tuple[Line, ...]) -> Decimal:
    return sum((line.total for line in lines), Decimal(0))


# ----------------------------------------------------------------------------- people
@dataclass(frozen=True)
class Locale:
    tag: str  # BCP 47, as the generic API sends it; Shopify sends the language only
    currency: str
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]


LOCALES = (
    Locale("en-US", "USD", ("Avery", "Jordan", "Casey", "Morgan", "Riley"), ("Sample", "Tester", "Example", "Demo")),
    Locale("en-GB", "GBP", ("Harriet", "Oliver", "Imogen", "Alfie"), ("Placeholder", "Fictional", "Specimen")),
    Locale("de-DE", "EUR", ("Lena", "Jonas", "Mia", "Felix"), ("Mustermann", "Beispiel", "Probe")),
    Locale("fr-FR", "EUR", ("Camille", "Léa", "Hugo", "Théo"), ("Exemple", "Dupont-Essai", "Fictif")),
    Locale("es-ES", "EUR", ("Lucía", "Mateo", "Sofía", "Pablo"), ("Ejemplo", "Prueba", "Ficticio")),
)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().replace(" ", "-")


# ----------------------------------------------------------------------------- the plan
@dataclass
class PlannedCustomer:
    """One customer, their cart and what they will do with it."""

    index: int
    platform: str
    behaviour: Behaviour
    customer_id: str
    first_name: str
    last_name: str
    email: str
    locale: Locale
    cart_id: str  # Shopify: the cart token; generic API: the store's cart id
    started_at: datetime  # first cart event: the journey starts here
    lines: tuple[Line, ...]
    # A later change of the same cart (Shopify carts/update, or a second "Product Added").
    changed_at: datetime | None = None
    changed_lines: tuple[Line, ...] | None = None
    purchase_at: datetime | None = None
    order_id: str = ""
    order_number: int = 0
    checkout_id: int = 0
    checkout_token: str = ""
    # Special deliveries: the first checkout webhook delivered twice (a platform retry),
    # and a forged order (wrong signature) that must be rejected and change nothing.
    delivered_twice: bool = False
    forged_order_at: datetime | None = None
    ids: dict[str, str] = field(default_factory=dict)  # webhook / message ids, fixed in advance

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def final_lines(self) -> tuple[Line, ...]:
        return self.changed_lines or self.lines

    @property
    def expected_emails(self) -> tuple[str, ...]:
        return self.behaviour.expected_emails


@dataclass(frozen=True)
class PlannedEvent:
    """One request to post: what, for whom, at which virtual time."""

    at: datetime
    customer: PlannedCustomer
    action: str  # one of ACTIONS
    step: int  # the customer's own order of events (ties at one instant)

    @property
    def sort_key(self) -> tuple:
        return (self.at, self.customer.index, self.step)


ACTIONS = ("checkout", "checkout_retry", "cart_update", "order", "forged_order", "product_added", "product_added_more", "order_completed")


def _minutes(rng: random.Random, low: timedelta, high: timedelta) -> timedelta:
    """A random whole number of minutes in [low, high]: readable timestamps."""
    return timedelta(minutes=rng.randint(int(low / MINUTE), int(high / MINUTE)))


def _hex_token(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _pick_lines(rng: random.Random) -> tuple[Line, ...]:
    category = rng.choice(CATEGORIES)
    products = rng.sample([p for p in CATALOGUE if p.category == category], k=rng.choice((1, 1, 2)))
    return tuple(Line(product, rng.choice((1, 1, 2, 3))) for product in products)


def _changed(rng: random.Random, lines: tuple[Line, ...]) -> tuple[Line, ...]:
    """The shopper changes their mind: one more item, or another product of the same kind."""
    if rng.random() < 0.5:
        first, *rest = lines
        return (Line(first.product, first.quantity + 1), *rest)
    chosen = {line.product for line in lines}
    others = [p for p in CATALOGUE if p.category == lines[0].product.category and p not in chosen]
    return (*lines, Line(rng.choice(others), 1)) if others else lines


def _start_times(rng: random.Random, count: int, start: datetime, span: timedelta) -> list[datetime]:
    """Shopping trips spread over ``span``, in waking hours (07:00-22:00 UTC)."""
    days = int(span / DAY)
    times = []
    for _ in range(count):
        day = start.replace(hour=0, minute=0) + rng.randrange(days) * DAY
        moment = day + timedelta(hours=rng.randint(7, 21), minutes=rng.randrange(60))
        times.append(max(moment, start))
    return times


def plan_store(*, seed: int, customers: int, start: datetime, span: timedelta = 14 * DAY) -> list[PlannedCustomer]:
    """Deal behaviours to both platforms and give every customer a person, a cart and times."""
    rng = random.Random(seed)
    shopify_count = (customers + 1) // 2
    assignments = [(SHOPIFY, DEAL[i % len(DEAL)]) for i in range(shopify_count)]
    assignments += [(GENERIC, DEAL[i % len(DEAL)]) for i in range(customers - shopify_count)]
    rng.shuffle(assignments)
    starts = sorted(_start_times(rng, customers, start, span))
    plan = [_plan_customer(rng, index, platform, behaviour, starts[index]) for index, (platform, behaviour) in enumerate(assignments)]
    _choose_special_deliveries(plan)
    return plan


def _plan_customer(rng: random.Random, index: int, platform: str, behaviour: Behaviour, started_at: datetime) -> PlannedCustomer:
    locale = rng.choice(LOCALES)
    first, last = rng.choice(locale.first_names), rng.choice(locale.last_names)
    domain = "example.com" if platform == SHOPIFY else "example.org"
    customer = PlannedCustomer(
        index=index,
        platform=platform,
        behaviour=behaviour,
        customer_id=str(rng.randrange(10**17, 10**18)) if platform == SHOPIFY else f"user-{2001 + index}",
        first_name=first,
        last_name=last,
        email=f"{_ascii(first)}.{_ascii(last)}.{index + 1:03d}@{domain}",
        locale=locale,
        cart_id=_hex_token(rng) if platform == SHOPIFY else f"cart-{rng.randrange(10_000, 100_000)}",
        started_at=started_at,
        lines=_pick_lines(rng),
        order_number=1001 + index,
    )
    if behaviour.buys_between:
        customer.purchase_at = started_at + _minutes(rng, *behaviour.buys_between)
    # About a third change their cart a few minutes in (before a quick purchase, if any).
    if rng.random() < 0.35:
        latest = (customer.purchase_at - started_at - 5 * MINUTE) if behaviour is BUYS_QUICKLY else 40 * MINUTE
        customer.changed_at = started_at + _minutes(rng, 3 * MINUTE, latest)
        customer.changed_lines = _changed(rng, customer.lines)
    if platform == SHOPIFY:
        customer.checkout_id = rng.randrange(10**17, 10**18)
        customer.checkout_token = _hex_token(rng)
        customer.order_id = str(rng.randrange(10**17, 10**18))
    else:
        customer.order_id = f"order-{rng.randrange(100_000, 1_000_000)}"
    customer.ids = {action: _uuid(rng) for action in ACTIONS}
    return customer


def _choose_special_deliveries(plan: list[PlannedCustomer]) -> None:
    """One Shopify checkout is delivered twice; one generic customer who never buys gets a
    forged "Order Completed" two hours in: if it were accepted, their reminders would stop."""
    twice = next((c for c in plan if c.platform == SHOPIFY and c.behaviour is BUYS_AFTER_1), None)
    if twice:
        twice.delivered_twice = True
    forged = next((c for c in plan if c.platform == GENERIC and c.behaviour is ABANDONS), None)
    if forged:
        forged.forged_order_at = forged.started_at + 2 * HOUR


def planned_events(plan: list[PlannedCustomer]) -> list[PlannedEvent]:
    """Every request of every customer, in virtual-time order."""
    events: list[PlannedEvent] = []
    for customer in plan:
        shopify = customer.platform == SHOPIFY
        steps = [(customer.started_at, "checkout" if shopify else "product_added")]
        if customer.delivered_twice:
            steps.append((customer.started_at, "checkout_retry"))
        if customer.changed_at:
            steps.append((customer.changed_at, "cart_update" if shopify else "product_added_more"))
        if customer.forged_order_at:
            steps.append((customer.forged_order_at, "forged_order"))
        if customer.purchase_at:
            steps.append((customer.purchase_at, "order" if shopify else "order_completed"))
        events += [PlannedEvent(at, customer, action, step) for step, (at, action) in enumerate(steps)]
    return sorted(events, key=lambda event: event.sort_key)


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


def _shopify_customer(customer: PlannedCustomer, template: dict, at: datetime) -> dict:
    consent = customer.behaviour.marketing_consent
    return {
        **template,
        "id": int(customer.customer_id),
        "email": customer.email,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "accepts_marketing": consent,
        "updated_at": shopify_time(at),
        "currency": customer.locale.currency,
        "admin_graphql_api_id": f"gid://shopify/Customer/{customer.customer_id}",
        "email_marketing_consent": {
            "state": "subscribed" if consent else "not_subscribed",
            "opt_in_level": "single_opt_in",
            "consent_updated_at": template["email_marketing_consent"]["consent_updated_at"],
        },
    }


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


def shopify_checkout(customer: PlannedCustomer, at: datetime) -> dict:
    payload = _sample_copy("shopify_checkouts_update")
    lines, currency = customer.lines, customer.locale.currency
    total = _money(cart_total(lines))
    payload.update(
        id=customer.checkout_id,
        token=customer.checkout_token,
        cart_token=customer.cart_id,
        email=customer.email,
        buyer_accepts_marketing=customer.behaviour.marketing_consent,
        created_at=shopify_time(customer.started_at - 5 * MINUTE),
        updated_at=shopify_time(at),
        landing_site=f"/products/{lines[0].product.slug}",
        currency=currency,
        presentment_currency=currency,
        customer_locale=customer.locale.tag.split("-")[0],
        line_items=[_checkout_line(payload["line_items"][0], line) for line in lines],
        total_weight=sum(line.product.grams * line.quantity for line in lines),
        name=f"#{customer.checkout_id}",
        abandoned_checkout_url=f"{SHOP_URL}/548380009/checkouts/{customer.checkout_token}/recover?key=recovery-{customer.index + 1:03d}",
        total_line_items_price=total,
        total_price=total,
        subtotal_price=total,
        customer=_shopify_customer(customer, payload["customer"], at),
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


def shopify_cart_update(customer: PlannedCustomer, at: datetime) -> dict:
    payload = _sample_copy("shopify_carts_update")
    template = payload["line_items"][0]
    payload.update(
        id=customer.cart_id,
        token=customer.cart_id,
        line_items=[_cart_line(template, line, customer.locale.currency) for line in customer.final_lines],
        updated_at=shopify_time(at),
        created_at=shopify_time(customer.started_at - 10 * MINUTE),
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


def discounted(total: Decimal, coupon: str | None) -> tuple[Decimal, Decimal]:
    """(discount, total to pay) for an order that uses the journey's percentage coupon."""
    discount = (total * COUPON_PERCENT_OFF / 100).quantize(Decimal("0.01")) if coupon else Decimal(0)
    return discount, total - discount


def shopify_order(customer: PlannedCustomer, at: datetime, coupon: str | None) -> dict:
    payload = _sample_copy("shopify_orders_create")
    lines, currency = customer.final_lines, customer.locale.currency
    subtotal = cart_total(lines)
    discount, total = discounted(subtotal, coupon)
    payload.update(
        id=int(customer.order_id),
        admin_graphql_api_id=f"gid://shopify/Order/{customer.order_id}",
        buyer_accepts_marketing=customer.behaviour.marketing_consent,
        cart_token=customer.cart_id,
        checkout_id=customer.checkout_id,
        checkout_token=customer.checkout_token,
        confirmation_number=customer.ids["order"][:8].upper(),
        contact_email=customer.email,
        email=customer.email,
        created_at=shopify_time(at),
        processed_at=shopify_time(at),
        updated_at=shopify_time(at),
        currency=currency,
        presentment_currency=currency,
        customer_locale=customer.locale.tag.split("-")[0],
        name=f"#{customer.order_number}",
        number=customer.order_number - 1000,
        order_number=customer.order_number,
        token=customer.ids["order"].replace("-", "")[:10],
        order_status_url=f"{SHOP_URL}/548380009/orders/{customer.order_id}/authenticate?key=demo",
        current_subtotal_price=_money(subtotal),
        subtotal_price=_money(subtotal),
        total_line_items_price=_money(subtotal),
        current_total_discounts=_money(discount),
        total_discounts=_money(discount),
        current_total_price=_money(total),
        total_price=_money(total),
        total_weight=sum(line.product.grams * line.quantity for line in lines),
        discount_codes=[{"code": coupon, "amount": _money(discount), "type": "percentage"}] if coupon else [],
        customer=_shopify_customer(customer, payload["customer"], at),
        line_items=[_order_line(payload["line_items"][0], line, i) for i, line in enumerate(lines)],
    )
    return payload


def _generic_products(lines: tuple[Line, ...]) -> list[dict]:
    return [
        {
            "product_id": line.product.sku.lower(),
            "name": line.product.line_title,
            "price": float(line.product.price),
            "quantity": line.quantity,
            "url": f"{STOREFRONT_URL}/p/{line.product.slug}",
        }
        for line in lines
    ]


def _generic_traits(customer: PlannedCustomer) -> dict:
    return {
        "email": customer.email,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "accepts_email_marketing": customer.behaviour.marketing_consent,
    }


def track_product_added(customer: PlannedCustomer, at: datetime, *, more: bool = False) -> dict:
    """The generic API sends the whole cart with every cart event."""
    payload = _sample_copy("generic_product_added")
    payload.update(
        messageId=f"msg-{customer.ids['product_added_more' if more else 'product_added']}",
        userId=customer.customer_id,
        timestamp=generic_time(at),
        context={"locale": customer.locale.tag, "traits": _generic_traits(customer)},
        properties={
            "cart_id": customer.cart_id,
            "currency": customer.locale.currency,
            "checkout_url": f"{STOREFRONT_URL}/cart/{customer.cart_id}",
            "products": _generic_products(customer.final_lines if more else customer.lines),
        },
    )
    return payload


def track_order_completed(customer: PlannedCustomer, at: datetime, coupon: str | None, *, forged: bool = False) -> dict:
    payload = _sample_copy("generic_order_completed")
    discount, total = discounted(cart_total(customer.final_lines), coupon)
    properties = {
        "order_id": customer.order_id,
        "cart_id": customer.cart_id,
        "total": float(total),
        "currency": customer.locale.currency,
        "products": _generic_products(customer.final_lines),
    }
    if coupon:
        properties.update(coupon=coupon, discount=float(discount))
    payload.update(
        messageId=f"msg-{customer.ids['forged_order' if forged else 'order_completed']}",
        userId=customer.customer_id,
        timestamp=generic_time(at),
        context={"locale": customer.locale.tag, "traits": _generic_traits(customer)},
        properties=properties,
    )
    return payload
