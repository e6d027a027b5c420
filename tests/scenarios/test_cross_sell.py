"""Cross-sell (scenario 6): a day after an order, the thank-you with what goes with it (the
catalogue's complements the customer does not own yet), one reminder two days later; once a
complementary product is bought, its review request 3.5 days after that order."""

from __future__ import annotations

import copy
import json
from datetime import UTC, timedelta
from email.utils import parsedate_to_datetime

from tests.conftest import START, load_event, only_scenarios

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
ORDER = "820982911946154508"  # shopify_orders_create.json: two linen shirts
SHIRT = "632910392"
TROUSERS = "632910501"
JACKET = "632910502"
BELT = "632910503"
MUG = "632910504"

CATALOGUE = [
    {"product_id": SHIRT, "title": "Linen shirt", "product_type": "apparel", "price_cents": 4900, "complements": [TROUSERS, JACKET, BELT]},
    {"product_id": TROUSERS, "title": "Linen trousers", "product_type": "apparel", "price_cents": 6900, "url": "https://shop.example/p/linen-trousers"},
    {"product_id": JACKET, "title": "Cotton jacket", "product_type": "apparel", "price_cents": 12900, "url": "https://shop.example/p/cotton-jacket"},
    {"product_id": BELT, "title": "Leather belt", "product_type": "apparel", "price_cents": 2900},
    {"product_id": MUG, "title": "Stoneware mug", "product_type": "kitchen", "price_cents": 1800},
]

OFFER = "Thank you for your order, Olena: these go well with it"
REMINDER = "Still thinking about Linen trousers?"
CONFIRMED = "Order #1001 confirmed"  # the order as the shop names it (its "name")


# ------------------------------------------------------------------------ helpers
def _store(harness, **cross_sell) -> None:
    """Cross-sell and the transactional order confirmations only (every other marketing
    scenario off, so the emails seen are this scenario's)."""
    harness.configure_store({**only_scenarios("cross_sell"), "cross_sell": cross_sell}, CATALOGUE)


def _line(product_id: str, title: str, price: str) -> dict:
    line = copy.deepcopy(load_event("shopify_orders_create")["line_items"][0])
    line.update(id=int(product_id) + 1, product_id=int(product_id), title=title, name=title, price=price, quantity=1, sku=None, variant_title=None)
    return line


def _buy(harness, order_id: str, *lines: dict, **changes):
    # The shop numbers its orders: 900000000000000002 is the store's "#1002".
    return harness.order(webhook_id=f"order-{order_id}", id=int(order_id), name=f"#100{order_id[-1]}", line_items=list(lines), **changes)


def _sent(harness) -> list[tuple[str, object]]:
    return [(mail["Subject"], parsedate_to_datetime(mail["Date"]).astimezone(UTC)) for mail in harness.emails()]


def _text(mail) -> str:
    return next(part for part in mail.walk() if part.get_content_type() == "text/plain").get_payload(decode=True).decode()


def _journey(harness) -> dict:
    (journey,) = harness.stack.executions("CrossSellStateMachine")
    return journey


def _states(harness) -> list[str]:
    return [name for name, _ in harness.states_entered(_journey(harness))]


def _output(harness) -> dict:
    return json.loads(harness.history(_journey(harness))[-1]["executionSucceededEventDetails"]["output"])


OFFERED = [
    "Wait until the complementary products offer is due (a complementary purchase may come first)",
    "Send the complementary products offer",
    "Was the complementary products offer held back?",
    "Did the complementary products offer go out?",
    "Wait for a complementary purchase until the complementary products reminder is due",
]
REMINDED = [
    "Send the complementary products reminder",
    "Was the complementary products reminder held back?",
    "Wait for a complementary purchase until the offer lapses",
]


def _review_asked(products_in_the_order: int) -> list[str]:
    """The states from a complementary purchase to the end: one check per product of the
    complementary order, then the review request 3.5 days later."""
    return [
        "Did the customer buy a complementary product?",
        "Which complementary products were bought?",
        *["Is it a complementary product?"] * products_in_the_order,
        "Wait until the complementary products have been tried",
        "Send the review request for the complementary products",
        "Was the review request for the complementary products held back?",
        "Journey ended with a review requested for the complementary purchase",
    ]


# ------------------------------------------------------------------------ the three outcomes
def test_a_complement_bought_after_the_offer_gets_its_review_request_three_and_a_half_days_later(harness):
    _store(harness)
    harness.order()
    # An evening order (22:00), so that 3.5 days later is daytime, outside quiet hours. It
    # also holds an unrelated product: only the trousers are asked about.
    harness.run_until(2 * DAY + 13 * HOUR)
    _buy(harness, "900000000000000002", _line(TROUSERS, "Linen trousers", "69.00"), _line(MUG, "Stoneware mug", "18.00"))
    harness.run_until(10 * DAY)

    assert _sent(harness) == [
        (CONFIRMED, START),
        (OFFER, START + DAY),
        ("Order #1002 confirmed", START + 2 * DAY + 13 * HOUR),
        ("How do you like your Linen trousers?", START + 2 * DAY + 13 * HOUR + 3 * DAY + 12 * HOUR),
    ]
    offer = _text(harness.emails()[1])
    assert "Linen trousers" in offer and "Cotton jacket" in offer and "Leather belt" in offer
    assert _states(harness) == [*OFFERED, *_review_asked(2)]
    assert _output(harness)["bought"] == {"product_ids": [TROUSERS]}
    assert _journey(harness)["status"] == "SUCCEEDED"


def test_a_complement_bought_after_the_reminder_ends_the_offers_and_gets_its_review_request(harness):
    _store(harness)
    harness.order()
    harness.run_until(4 * DAY + 14 * HOUR)
    _buy(harness, "900000000000000003", _line(JACKET, "Cotton jacket", "129.00"))
    harness.run_until(12 * DAY)

    assert _sent(harness) == [
        (CONFIRMED, START),
        (OFFER, START + DAY),
        (REMINDER, START + 3 * DAY),
        ("Order #1003 confirmed", START + 4 * DAY + 14 * HOUR),
        ("How do you like your Cotton jacket?", START + 4 * DAY + 14 * HOUR + 3 * DAY + 12 * HOUR),
    ]
    assert _states(harness) == [*OFFERED, *REMINDED, *_review_asked(1)]


def test_no_complementary_purchase_means_one_reminder_then_the_journey_ends(harness):
    _store(harness)
    harness.order()
    harness.run_until(12 * DAY)
    assert _sent(harness) == [(CONFIRMED, START), (OFFER, START + DAY), (REMINDER, START + 3 * DAY)]
    assert _states(harness) == [*OFFERED, *REMINDED, "Journey ended without a complementary purchase"]
    assert dict(harness.states_entered(_journey(harness)))["Journey ended without a complementary purchase"] == START + 6 * DAY


def test_a_complement_bought_before_the_offer_skips_the_offers(harness):
    _store(harness)
    harness.order()
    harness.run_until(14 * HOUR)
    _buy(harness, "900000000000000004", _line(TROUSERS, "Linen trousers", "69.00"))
    harness.run_until(10 * DAY)
    assert _sent(harness) == [
        (CONFIRMED, START),
        ("Order #1004 confirmed", START + 14 * HOUR),
        ("How do you like your Linen trousers?", START + 14 * HOUR + 3 * DAY + 12 * HOUR),
    ]
    assert _states(harness)[:2] == [OFFERED[0], "Did the customer buy a complementary product?"]


# ------------------------------------------------------------------------ what is offered, to whom
def test_complements_the_customer_already_owns_are_not_offered(harness):
    _store(harness)
    _buy(harness, "900000000000000001", _line(BELT, "Leather belt", "29.00"), created_at=(START - 40 * DAY).isoformat())
    harness.order()
    harness.run_until(2 * DAY)
    offer = _text(harness.emails()[-1])
    assert harness.emails()[-1]["Subject"] == OFFER
    assert "Linen trousers" in offer and "Cotton jacket" in offer and "Leather belt" not in offer
    assert _journey(harness)["name"].endswith(ORDER)  # the old order started nothing


def test_an_order_without_complements_in_the_catalogue_starts_no_journey(harness):
    _store(harness)
    _buy(harness, "900000000000000005", _line(MUG, "Stoneware mug", "18.00"))
    harness.run_until(4 * DAY)
    assert harness.stack.executions("CrossSellStateMachine") == []


def test_without_marketing_consent_no_offer_is_sent(harness):
    _store(harness)
    customer = {
        "id": 603851970716743426,
        "email": "olena@example.com",
        "first_name": "Olena",
        "last_name": "Koval",
        "email_marketing_consent": {"state": "not_subscribed", "opt_in_level": None, "consent_updated_at": None},
    }
    harness.order(customer=customer, buyer_accepts_marketing=False)
    harness.run_until(12 * DAY)
    assert _sent(harness) == [(CONFIRMED, START)]
    assert {step: result["reason"] for step, result in _output(harness)["messages"].items()} == {
        "cross_sell_offer": "no_marketing_consent",
    }  # no reminder of an offer the customer never got
    assert _states(harness)[-1] == "Journey ended because the offer could not be sent"


def test_erasing_the_customer_ends_the_journey_at_once(harness):
    _store(harness)
    harness.order()
    harness.run_until(2 * DAY)
    harness.shopify("customers/redact", "shopify_customers_redact", webhook_id="redact-1")
    harness.run_until(12 * DAY)
    assert _sent(harness) == [(CONFIRMED, START), (OFFER, START + DAY)]
    assert _states(harness) == [*OFFERED, "Did the customer buy a complementary product?", "Journey ended because the customer's data was erased"]
