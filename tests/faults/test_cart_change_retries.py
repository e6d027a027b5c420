"""A single-product Product Added is a change, not the whole cart: applied twice it would
count twice. When the cart_updated function fails after writing it and Lambda retries the
event, the retry finds its own write and adds nothing more, and what failed runs again."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import STORE_ID

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)


@pytest.mark.handler_errors_expected  # the first run fails on purpose
def test_a_change_retried_after_its_write_is_not_added_twice(harness, monkeypatch):
    import encore.waits

    release = encore.waits.release
    failures: list = []

    def fails_once_after_the_write(*args, **kwargs):
        if not failures:
            failures.append(harness.now())
            raise RuntimeError("injected failure after the cart was written")
        return release(*args, **kwargs)

    monkeypatch.setattr(encore.waits, "release", fails_once_after_the_write)
    message = {
        "type": "track",
        "event": "Product Added",
        "messageId": "add-beans",
        "userId": "user-1001",
        "timestamp": harness.now().isoformat(),
        "context": {"traits": {"email": "tomas@example.com", "first_name": "Tomas", "accepts_email_marketing": True}},
        "properties": {"cart_id": "cart-7001", "product_id": "sku-espresso-beans-1kg", "name": "Espresso beans 1 kg", "price": 24.5, "quantity": 2},
    }
    assert harness.client.track(message).status == 202
    harness.run_until(2 * HOUR)

    assert len(failures) == 1  # it failed once, and Lambda's retry (a minute later) went through
    cart = harness.item(f"STORE#{STORE_ID}#CUSTOMER#user-1001", "CART#cart-7001")
    assert [(line["product_id"], line["quantity"]) for line in cart["lines"]] == [("sku-espresso-beans-1kg", 2)]
    assert (cart["total_cents"], cart["last_event_id"]) == (4900, "add-beans")
    assert len(harness.journeys()) == 1
    text = next(part for part in harness.emails()[0].walk() if part.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert "Espresso beans 1 kg x 2: $49.00" in text
