from datetime import datetime, timezone

import pytest

from encore.journeys import MAX_NAME, execution_name
from encore.rendering import email_templates, render_email
from encore.stores import StoreSettings


def test_execution_name_is_deterministic_and_readable():
    name = execution_name("cart-abandonment", "demo-store", "603851970716743426", "eeafa272")
    assert name == "cart-abandonment-demo-store-603851970716743426-eeafa272"
    assert execution_name("cart-abandonment", "demo-store", "603851970716743426", "eeafa272") == name


def test_long_or_unsafe_keys_are_shortened_with_a_hash_that_keeps_them_apart():
    one = execution_name("cart-abandonment", "store", "customer@example.com", "x" * 100)
    two = execution_name("cart-abandonment", "store", "customer#example.com", "x" * 100)
    assert len(one) <= MAX_NAME and len(two) <= MAX_NAME
    assert one != two
    assert set(one) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def test_reminder_offsets_become_gaps_between_waits_and_stores_can_tune_them():
    defaults = StoreSettings(store_id="s").cart_abandonment.execution_waits()
    assert defaults == {
        "before_reminder_1_seconds": 3600,
        "before_reminder_2_seconds": 23 * 3600,
        "before_reminder_3_seconds": 48 * 3600,
        "after_reminder_3_seconds": 7 * 86400,
    }
    tuned = StoreSettings.from_dict("s", {"cart_abandonment": {"reminder_offsets_seconds": [1800, 7200, 86400]}})
    assert tuned.cart_abandonment.execution_waits()["before_reminder_2_seconds"] == 5400


SAMPLE = {
    "locale": "en",
    "store": StoreSettings(store_id="s", name="Shop & Co"),
    "customer": {"first_name": "<b>Ann</b>", "last_name": None},
    "cart": {
        "lines": [{"title": "Mug", "quantity": 2, "price_cents": 1250, "url": "https://shop.example/p/mug", "image_url": None}],
        "total_cents": 2500,
        "currency": "USD",
        "recovery_url": "https://shop.example/cart",
    },
    "coupon": {"code": "ABCD-EFGH-JKLM", "percent_off": 10, "expires_on": "9 November 2026"},
    "order_id": "1001",
    "products": [
        {"product_id": "mug-xl", "title": "Mug XL", "category": "kitchen", "price_cents": 1900, "currency": "USD", "url": "https://shop.example/p/mug-xl", "image_url": "https://cdn.example/mug-xl.jpg"},
        {"product_id": "spoon", "title": "Spoon", "category": "kitchen", "price_cents": 450, "currency": None, "url": None, "image_url": None},
    ],
    "category": "kitchen",
    "order": {
        "order_id": "1001",
        "lines": [{"title": "Mug", "quantity": 2, "price_cents": 1250, "url": None, "image_url": None}],
        "total_cents": 2500,
        "currency": "USD",
        "tracking_url": "https://carrier.example/track/1Z2345",
        "tracking_number": "1Z2345",
        "payment_url": "https://shop.example/orders/1001/pay",
    },
}


@pytest.mark.parametrize("template", email_templates())
def test_every_email_template_renders_html_and_text_without_undefined_variables(template):
    rendered = render_email(template, SAMPLE)
    assert rendered.subject and "\n" not in rendered.subject
    assert "<html" in rendered.html and "</html>" in rendered.html
    assert "&lt;b&gt;Ann&lt;/b&gt;" in rendered.html and "<b>Ann</b>" not in rendered.html  # autoescaped
    assert "<b>Ann</b>" in rendered.text  # the text part is not HTML


def test_templates_cover_the_cart_journey():
    assert {"cart_reminder_1", "cart_reminder_2", "cart_reminder_3", "cart_thank_you"} <= set(email_templates())
    assert "$25.00" in render_email("cart_reminder_1", SAMPLE).text
    assert "ABCD-EFGH-JKLM" in render_email("cart_reminder_3", SAMPLE).html
