"""Review request (scenario 8): after delivery, wait by product type (10 days for apparel,
21 for durables), ask for a review, remind once, and answer the rating: a thank-you with a
referral invite, an apology with a resolution offer and an alert to the store's staff, or a
plain thank-you. Reviews arrive through the generic API's ``Product Reviewed``."""

from __future__ import annotations

import copy
import json
from datetime import UTC, timedelta
from email.utils import parsedate_to_datetime

from tests.conftest import START, STORE_ID, load_event, only_scenarios

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
CUSTOMER = "603851970716743426"  # the customer of shopify_orders_create.json
ORDER = "820982911946154508"
SHIRT = "632910392"  # the order's line: apparel
SOFA = "777000111"
MUG = "777000222"

CATALOGUE = [
    {"product_id": SHIRT, "title": "Linen shirt", "product_type": "apparel", "price_cents": 4900, "url": "https://shop.example/p/linen-shirt"},
    {"product_id": SOFA, "title": "Oak sofa", "product_type": "furniture", "price_cents": 89900, "url": "https://shop.example/p/oak-sofa"},
    {"product_id": MUG, "title": "Stoneware mug", "product_type": "kitchen", "price_cents": 1800},
]

REQUEST = "How do you like your Linen shirt?"
REMINDER = "A minute for your Linen shirt?"
THANK_YOU = "Thank you for your review, Olena!"
APOLOGY = "We are sorry about your Linen shirt: let us make it right"
NEUTRAL = "Thank you for your feedback on Linen shirt"
CONFIRMED = "Order #1001 confirmed"  # the order as the shop names it (its "name")
DELIVERED = "Your order #1001 has arrived"


# ------------------------------------------------------------------------ helpers
def _store(harness, **review_request) -> None:
    """The review request and the transactional post-purchase notices only: every other
    marketing scenario is switched off so the emails seen are this scenario's."""
    harness.configure_store({**only_scenarios("review_request"), "review_request": review_request}, CATALOGUE)


def _line(product_id: str, title: str, price: str) -> dict:
    line = copy.deepcopy(load_event("shopify_orders_create")["line_items"][0])
    line.update(id=int(product_id) + 1, product_id=int(product_id), title=title, name=title, price=price, quantity=1, sku=None, variant_title=None)
    return line


def _deliver(harness, order_id: str = ORDER, *, webhook_id: str = "delivered-1"):
    return harness.shopify(
        "fulfillments/update", "shopify_fulfillments_update", webhook_id=webhook_id, order_id=int(order_id), updated_at=harness.now().isoformat()
    )


def _review(harness, product_id: str, rating: int, *, review_id: str = "review-1"):
    payload = copy.deepcopy(load_event("generic_product_reviewed"))
    payload.update(messageId=f"msg-{review_id}", userId=CUSTOMER, timestamp=harness.now().isoformat(), context={})
    payload["properties"].update(product_id=product_id, rating=rating, review_id=review_id, order_id=ORDER)
    reply = harness.client.track(payload)
    harness.clock.settle()
    return reply


def _sent(harness) -> list[tuple[str, object]]:
    return [(mail["Subject"], parsedate_to_datetime(mail["Date"]).astimezone(UTC)) for mail in harness.emails()]


def _journeys(harness) -> list[dict]:
    return harness.stack.executions("ReviewRequestStateMachine")


def _journey(harness) -> dict:
    (journey,) = _journeys(harness)
    return journey


def _states(harness, journey: dict | None = None) -> list[str]:
    return [name for name, _ in harness.states_entered(journey or _journey(harness))]


def _text(mail) -> str:
    return next(part for part in mail.walk() if part.get_content_type() == "text/plain").get_payload(decode=True).decode()


def _staff_alerts(harness) -> list[tuple[str, dict]]:
    from moto.sns.models import sns_backends

    from infra.local.template import ACCOUNT_ID, REGION

    topic_arn = harness.stack.physical("StaffAlertsTopic")
    topic = sns_backends[ACCOUNT_ID][REGION].topics[topic_arn]
    return [(subject, json.loads(message)) for _, message, subject, *_ in topic.sent_notifications]


def _delivered_shirt(harness, **review_request) -> None:
    """An apparel order placed at START and delivered two days later."""
    _store(harness, **review_request)
    harness.order()
    harness.run_until(2 * DAY)
    _deliver(harness)


ASKED = [
    "Wait until the products have been tried (a review may come first)",
    "Send the review request",
    "Was the review request held back?",
    "Wait for the review until the review reminder is due",
]
REMINDED = ["Send the review reminder", "Was the review reminder held back?", "Wait for the review until the review request lapses"]


# ------------------------------------------------------------------------ timing by product type
def test_no_review_gets_one_reminder_then_the_journey_ends_quietly(harness):
    _delivered_shirt(harness)
    harness.run_until(30 * DAY)

    assert _sent(harness) == [
        (CONFIRMED, START),
        (DELIVERED, START + 2 * DAY),
        (REQUEST, START + 12 * DAY),  # apparel: 10 days after delivery
        (REMINDER, START + 15 * DAY),
    ]
    request = _text(harness.emails()[2])
    assert "https://shop.example/p/linen-shirt" in request and "% off" not in request  # no incentive by default
    journey = _journey(harness)
    assert journey["status"] == "SUCCEEDED"
    assert _states(harness) == [*ASKED, *REMINDED, "Journey ended without a review"]
    assert dict(harness.states_entered(journey))["Journey ended without a review"] == START + 19 * DAY
    assert _staff_alerts(harness) == []


def test_durables_wait_21_days_and_the_longest_delay_applies_to_a_mixed_order(harness):
    _store(harness)
    harness.order(line_items=[_line(SHIRT, "Linen shirt", "49.00"), _line(SOFA, "Oak sofa", "899.00")])
    harness.run_until(2 * DAY)
    _deliver(harness)
    harness.run_until(24 * DAY)
    assert _sent(harness)[2:] == [("How do you like your Linen shirt and the rest of your order?", START + 23 * DAY)]
    assert "Oak sofa" in _text(harness.emails()[2])


def test_a_product_type_not_listed_gets_the_default_delay(harness):
    _store(harness, default_delay_days=7)
    harness.order(line_items=[_line(MUG, "Stoneware mug", "18.00")])
    harness.run_until(2 * DAY)
    _deliver(harness)
    harness.run_until(10 * DAY)
    assert _sent(harness)[2:] == [("How do you like your Stoneware mug?", START + 9 * DAY)]


def test_an_old_delivery_report_starts_no_request(harness):
    _store(harness)
    harness.order()
    harness.run_until(12 * DAY)
    harness.shopify("fulfillments/update", "shopify_fulfillments_update", webhook_id="late", order_id=int(ORDER), updated_at=(START + HOUR).isoformat())
    assert _journeys(harness) == []


# ------------------------------------------------------------------------ the rating's branches
def test_a_positive_review_is_thanked_with_a_referral_invite(harness):
    _delivered_shirt(harness)
    harness.run_until(13 * DAY)
    assert _review(harness, SHIRT, 5).status == 202
    harness.run_until(30 * DAY)

    assert _sent(harness)[2:] == [(REQUEST, START + 12 * DAY), (THANK_YOU, START + 13 * DAY)]
    assert "Share Encore demo store with a friend" in _text(harness.emails()[3])
    assert _states(harness) == [
        *ASKED,
        "How was the review?",
        "Send the thank-you with a referral invite",
        "Was the thank-you with a referral invite held back?",
        "Journey ended with a positive review",
    ]
    assert _staff_alerts(harness) == []
    review = harness.item(f"STORE#{STORE_ID}#CUSTOMER#{CUSTOMER}", "REVIEW#review-1")
    assert (review["product_id"], review["rating"], review["order_id"]) == (SHIRT, 5, ORDER)


def test_a_negative_review_alerts_the_staff_and_gets_an_apology_with_a_resolution_offer(harness):
    _delivered_shirt(harness)
    harness.run_until(13 * DAY)
    _review(harness, SHIRT, 1, review_id="review-bad")
    harness.run_until(30 * DAY)

    assert _sent(harness)[2:] == [(REQUEST, START + 12 * DAY), (APOLOGY, START + 13 * DAY)]
    assert "a replacement, an exchange or a full refund" in _text(harness.emails()[3])
    (alert,) = _staff_alerts(harness)
    subject, message = alert
    assert subject == "Negative review (1 of 5) to follow up"
    assert {key: message[key] for key in ("alert", "store_id", "order_id", "product_id", "review_id", "rating", "customer_id")} == {
        "alert": "negative_review",
        "store_id": STORE_ID,
        "order_id": ORDER,
        "product_id": SHIRT,
        "review_id": "review-bad",
        "rating": 1,
        "customer_id": CUSTOMER,
    }
    assert message["summary"] == f"Product {SHIRT} was rated 1 of 5 (order {ORDER}, store {STORE_ID}). Please follow up with customer {CUSTOMER}."
    assert "olena" not in json.dumps(message).lower()  # no contact details, no name
    assert _states(harness) == [
        *ASKED,
        "How was the review?",
        "Alert the store's staff to the negative review",
        "Send the apology with a resolution offer",
        "Was the apology with a resolution offer held back?",
        "Journey ended with a negative review",
    ]


def test_a_neutral_review_gets_a_plain_thank_you(harness):
    _delivered_shirt(harness)
    harness.run_until(14 * DAY)
    _review(harness, SHIRT, 3)
    harness.run_until(30 * DAY)
    assert _sent(harness)[2:] == [(REQUEST, START + 12 * DAY), (NEUTRAL, START + 14 * DAY)]
    assert _states(harness)[-3:] == [
        "Send the thank-you for the feedback",
        "Was the thank-you for the feedback held back?",
        "Journey ended with a neutral review",
    ]
    assert _staff_alerts(harness) == []


def test_a_late_review_after_the_reminder_is_still_answered(harness):
    _delivered_shirt(harness)
    harness.run_until(17 * DAY)
    _review(harness, SHIRT, 2)
    harness.run_until(30 * DAY)
    assert _sent(harness)[2:] == [(REQUEST, START + 12 * DAY), (REMINDER, START + 15 * DAY), (APOLOGY, START + 17 * DAY)]
    assert len(_staff_alerts(harness)) == 1
    assert _states(harness)[:8] == [*ASKED, *REMINDED, "How was the review?"]


def test_a_review_before_the_request_is_answered_and_no_request_is_sent(harness):
    _delivered_shirt(harness)
    harness.run_until(5 * DAY)
    _review(harness, SHIRT, 4)
    harness.run_until(30 * DAY)
    assert _sent(harness)[2:] == [(THANK_YOU, START + 5 * DAY)]
    assert _states(harness)[:2] == ["Wait until the products have been tried (a review may come first)", "How was the review?"]


def test_a_review_of_another_product_does_not_release_the_wait(harness):
    _delivered_shirt(harness)
    harness.run_until(13 * DAY)
    assert _review(harness, MUG, 5, review_id="review-mug").status == 202
    harness.run_until(16 * DAY)
    assert _sent(harness)[2:] == [(REQUEST, START + 12 * DAY), (REMINDER, START + 15 * DAY)]
    assert _states(harness)[-1] == "Wait for the review until the review request lapses"
    assert harness.item(f"STORE#{STORE_ID}#CUSTOMER#{CUSTOMER}", "REVIEW#review-mug")["product_id"] == MUG  # recorded all the same


# ------------------------------------------------------------------------ consent, incentive, erasure, other journeys
def test_without_marketing_consent_nothing_is_sent_but_the_staff_still_hear_of_a_bad_review(harness):
    _store(harness)
    customer = {
        "id": int(CUSTOMER),
        "email": "olena@example.com",
        "first_name": "Olena",
        "last_name": "Koval",
        "email_marketing_consent": {"state": "not_subscribed", "opt_in_level": None, "consent_updated_at": None},
    }
    harness.order(customer=customer, buyer_accepts_marketing=False)
    harness.run_until(2 * DAY)
    _deliver(harness)
    harness.run_until(16 * DAY)
    _review(harness, SHIRT, 1)
    harness.run_until(30 * DAY)

    assert _sent(harness) == [(CONFIRMED, START), (DELIVERED, START + 2 * DAY)]  # transactional only
    assert len(_staff_alerts(harness)) == 1
    journey = _journey(harness)
    messages = json.loads(harness.history(journey)[-1]["executionSucceededEventDetails"]["output"])["messages"]
    assert {step: result["reason"] for step, result in messages.items()} == {
        "review_request": "no_marketing_consent",
        "review_reminder": "no_marketing_consent",
        "review_apology": "no_marketing_consent",
    }


def test_a_store_that_turns_incentives_on_sends_a_coupon_with_the_request(harness):
    _delivered_shirt(harness, incentive_percent_off=10, incentive_valid_days=30)
    harness.run_until(13 * DAY)
    text = _text(harness.emails()[2])
    assert "here is 10% off your next order, whatever your rating" in text
    assert "valid until December 14, 2026" in text


def test_erasing_the_customer_ends_the_waiting_journey_without_another_message(harness):
    _delivered_shirt(harness)
    harness.run_until(4 * DAY)
    harness.shopify("customers/redact", "shopify_customers_redact", webhook_id="redact-1")
    harness.run_until(30 * DAY)
    assert _sent(harness) == [(CONFIRMED, START), (DELIVERED, START + 2 * DAY)]
    assert _states(harness) == [
        "Wait until the products have been tried (a review may come first)",
        "How was the review?",
        "Journey ended because the customer's data was erased",
    ]


def test_the_review_request_and_post_purchase_run_side_by_side_for_one_customer(harness):
    _delivered_shirt(harness)
    harness.run_until(5 * DAY)
    second = "820982911946154999"
    harness.order(webhook_id="order-2", id=int(second), name="#1002", line_items=[_line(MUG, "Stoneware mug", "18.00")])
    harness.run_until(12 * DAY + HOUR)
    _review(harness, SHIRT, 5)  # answers the first order's request, not the second order's shipment wait
    harness.run_until(13 * DAY)
    _deliver(harness, second, webhook_id="delivered-2")
    harness.run_until(40 * DAY)

    assert _sent(harness) == [
        (CONFIRMED, START),
        (DELIVERED, START + 2 * DAY),
        ("Order #1002 confirmed", START + 5 * DAY),
        (REQUEST, START + 12 * DAY),
        (THANK_YOU, START + 12 * DAY + HOUR),
        ("Your order #1002 has arrived", START + 13 * DAY),
        ("How do you like your Stoneware mug?", START + 27 * DAY),  # kitchen: the 14-day default
        ("A minute for your Stoneware mug?", START + 30 * DAY),
    ]
    post_purchase = {j["name"]: j["status"] for j in harness.stack.executions("PostPurchaseStateMachine")}
    assert sorted(post_purchase.values()) == ["SUCCEEDED", "SUCCEEDED"]
    assert sorted(j["status"] for j in _journeys(harness)) == ["SUCCEEDED", "SUCCEEDED"]


# ------------------------------------------------------------------------ the review event itself
def test_a_review_with_a_rating_out_of_range_is_refused_with_the_reason(harness):
    _store(harness)
    reply = _review(harness, SHIRT, 7)
    assert reply.status == 400
    assert reply.json["invalid_fields"] == [{"field": "properties.rating", "problem": "Input should be less than or equal to 5"}]
    assert harness.item(f"STORE#{STORE_ID}#CUSTOMER#{CUSTOMER}", "REVIEW#review-1") is None
