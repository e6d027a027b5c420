"""Orders as the shop shows them: Shopify's "Send test notification" payload on every order
topic is acknowledged and changes nothing a customer sees; every order email names the order
as the shop does (Shopify's ``name``, WooCommerce's ``number``), never by Encore's key."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from pathlib import Path

import pytest

import encore.rendering
from encore.rendering import available_locales, email_templates, render_email
from encore.signatures import sign_base64
from infra.preview import SAMPLE_CONTEXT
from tests.conftest import STORE_ID, iso, load_event

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
SAMPLE = load_event("shopify_orders_test_notification")  # order 820982911946154508, "#9999", John Smith
ORDER_TOPICS = ["orders/create", "orders/paid", "orders/cancelled", "orders/fulfilled", "orders/updated", "refunds/create"]
# refunds/create carries a refund of the sample order, not the order.
SAMPLE_REFUND = {
    "id": 890088186047892319,
    "order_id": SAMPLE["id"],
    "created_at": SAMPLE["created_at"],
    "note": "Things were damaged",
    "restock": False,
    "processed_at": SAMPLE["created_at"],
    "admin_graphql_api_id": "gid://shopify/Refund/890088186047892319",
    "refund_line_items": [],
    "transactions": [],
}


def _text(mail) -> str:
    return next(part for part in mail.walk() if part.get_content_type() == "text/plain").get_payload(decode=True).decode()


@pytest.mark.parametrize("topic", ORDER_TOPICS)
def test_shopifys_test_notification_on_each_order_topic_is_accepted_and_changes_nothing(harness, monkeypatch, topic):
    payload = copy.deepcopy(SAMPLE_REFUND if topic == "refunds/create" else SAMPLE)
    import encore.platforms.shopify

    logged = []  # the local stack logs warnings only: record the ingest's INFO line itself
    monkeypatch.setattr(encore.platforms.shopify.logger, "info", lambda message, *args, extra=None, **kwargs: logged.append((message, extra)))
    reply = harness.client.shopify(topic, payload, webhook_id=f"test-{topic}")
    harness.clock.settle()
    # 2xx, so the admin's "Send test notification" shows success (and Shopify does not retry).
    assert reply.status == 200 and reply.json["ignored"] == [f"test-{topic}"] and reply.json["accepted"] == []
    harness.run_until(3 * DAY)

    assert harness.emails() == []  # no "Order #… confirmed", no welcome series
    assert harness.journeys() == []
    assert harness.table_items() == []  # no customer, no order, no revenue
    assert [i.function for i in harness.stack.lambdas.invocations if not i.function.endswith("IngestFunction")] == []
    if topic not in ("orders/updated", "refunds/create"):  # the topics Encore subscribes to say why
        assert [(message, extra["topic"], extra["order_id"]) for message, extra in logged if message == "shopify test order ignored"] == [
            ("shopify test order ignored", topic, "820982911946154508")
        ]


def test_a_real_order_after_the_test_notification_is_taken_as_usual(harness):
    harness.client.shopify("orders/create", copy.deepcopy(SAMPLE), webhook_id="test-notification")
    assert harness.order().status == 202
    harness.run_until(HOUR)
    assert [mail["Subject"] for mail in harness.emails("post-purchase")] == ["Order #1001 confirmed"]


def test_shopify_order_emails_name_the_order_as_the_shop_does(harness):
    order = load_event("shopify_orders_create")  # id 820982911946154508, name "#1001"
    harness.order(financial_status="pending")
    harness.run_until(2 * DAY)
    harness.shopify("orders/paid", "shopify_orders_paid", webhook_id="paid", updated_at=iso(harness.now()))
    harness.shopify("orders/fulfilled", "shopify_orders_fulfilled", webhook_id="shipped", updated_at=iso(harness.now()))
    harness.run_until(4 * DAY)
    harness.shopify("fulfillments/update", "shopify_fulfillments_update", webhook_id="delivered", updated_at=iso(harness.now()))
    harness.run_until(5 * DAY)

    mails = harness.emails("post-purchase", "unpaid-order")
    assert sorted(mail["Subject"] for mail in mails) == sorted(
        [
            "Order #1001 confirmed",
            "Your order #1001 is waiting for payment",
            "Last reminder: order #1001 is not paid yet",
            "Your order #1001 is on its way",
            "Your order #1001 has arrived",
        ]
    )
    for mail in mails:
        assert str(order["id"]) not in mail["Subject"] + _text(mail)  # Encore's key stays inside
    delivered = next(mail for mail in mails if mail["Subject"].endswith("has arrived"))
    assert "Your order #1001 has been delivered." in _text(delivered)


def test_woocommerce_order_emails_name_the_order_by_its_number(harness):
    # A sequential-numbering plugin: WooCommerce shows "#2026-0727" for the order with id 727.
    payload = dict(load_event("woocommerce_order_created"), number="2026-0727", date_created_gmt=harness.now().strftime("%Y-%m-%dT%H:%M:%S"))
    body = json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "X-WC-Webhook-Topic": "order.created",
        "X-WC-Webhook-Resource": "order",
        "X-WC-Webhook-Event": "created",
        "X-WC-Webhook-Signature": sign_base64(harness.client.secret, body),
        "X-WC-Webhook-ID": "7",
        "X-WC-Webhook-Delivery-ID": "d-1",
    }
    assert harness.client.post(f"/webhooks/woocommerce/{STORE_ID}", body, headers).status == 202
    harness.clock.settle()
    harness.run_until(HOUR)
    (confirmation,) = harness.emails("post-purchase")
    assert confirmation["Subject"] == "Order #2026-0727 confirmed"
    assert harness.item(f"STORE#{STORE_ID}#CUSTOMER#42", "ORDER#727")["order_name"] == "#2026-0727"


TEMPLATES = Path(encore.rendering.__file__).parent / "templates" / "email"
# Every email whose copy names an order (its subject, HTML or text part binds the order's name).
ORDER_EMAILS = sorted(
    {t for t in email_templates() for part in TEMPLATES.glob(f"{t}.*") if "order_name" in part.read_text() or "order.name" in part.read_text()}
)


@pytest.mark.parametrize("locale", available_locales())
def test_every_email_that_mentions_an_order_names_it_as_the_shop_does_in_every_locale(locale):
    assert len(ORDER_EMAILS) == 10  # confirmation, shipping, delivery, payment x2, review x2, cross-sell x2, cart thank-you
    for template in ORDER_EMAILS:
        rendered = render_email(template, {**SAMPLE_CONTEXT, "locale": locale})
        shown = rendered.subject + rendered.text
        assert "#1001" in shown, (template, locale)
        assert SAMPLE_CONTEXT["order_id"] not in shown.replace(SAMPLE_CONTEXT["order"]["payment_url"], ""), (template, locale)
        assert "##1001" not in shown and "№ #1001" not in shown and "Nr. #1001" not in shown, (template, locale)
