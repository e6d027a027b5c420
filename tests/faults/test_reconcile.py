"""A Shopify outage longer than Shopify's retries (6 hours: webhooks dropped, the admin API
still answering) recovered by `encore reconcile`: no lost journey, no duplicate (issue 12, 14)."""

from __future__ import annotations

import json
from datetime import UTC, timedelta

import boto3
import pytest

from infra.cli import main
from infra.local.shops import FakeShopify
from tests.conftest import START, STORE_ID, iso, load_event, only_scenarios
from tests.faults.shop_payloads import shopify_checkout, shopify_customer, shopify_order

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)
TOKEN = "shpat_reconcile"


@pytest.fixture
def shop(harness):
    """The store's shop: a fake Shopify admin API the store is pointed at, with a token."""
    with FakeShopify(shop_domain=f"{STORE_ID}.myshopify.com", access_token=TOKEN) as fake:
        ssm = boto3.client("ssm")
        name = f"/encore/stores/{STORE_ID}/shop"
        document = json.loads(ssm.get_parameter(Name=name)["Parameter"]["Value"])
        ssm.put_parameter(Name=name, Value=json.dumps({**document, "admin_base_url": fake.url}), Type="String", Overwrite=True)
        ssm.put_parameter(Name=f"/encore/secrets/{STORE_ID}/admin-api", Value=json.dumps({"access_token": TOKEN}), Type="SecureString", Overwrite=True)
        yield fake


def _reconcile(capsys, *extra: str) -> dict[str, tuple[int, int, int]]:
    code = main(["reconcile", STORE_ID, "--since", iso(START), *extra])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    counts = {}
    for line in captured.out.splitlines()[1:]:
        words = line.split()
        counts[words[0]] = (int(words[2]), int(words[4]), int(words[7]))  # found, recovered, already known
    return counts


def _emails_to(harness, address: str) -> list[str]:
    return [mail["Subject"] for mail in harness.emails("cart-abandonment") if address in mail["To"]]


def test_a_six_hour_shopify_outage_is_recovered_by_reconcile_with_no_lost_journey_and_no_duplicate(harness, shop, capsys):
    harness.configure_store(only_scenarios("cart_abandonment"))
    # Before the outage is noticed, one order's webhook does arrive (Shopify delivered it).
    delivered = shopify_order(5, "eve", START + 2 * HOUR)
    harness.run_until(2 * HOUR)
    harness.client.shopify("orders/create", delivered, webhook_id="delivered-order")
    harness.clock.settle()
    # What the shop holds and never delivered: its webhooks failed for 6 hours.
    shop.add_order(delivered)
    shop.add_checkout(shopify_checkout(1, "ana", START + 5 * HOUR + 10 * MINUTE))  # abandoned: needs its journey
    shop.add_checkout(shopify_checkout(2, "bo", START + 5 * HOUR + 20 * MINUTE))  # then ordered in the outage
    shop.add_order(shopify_order(2, "bo", START + 5 * HOUR + 40 * MINUTE, total="120.00"))
    shop.add_order(shopify_order(3, "cy", START + 3 * HOUR, cart=False, total="40.00"))  # no checkout seen
    shop.add_order(shopify_order(4, "di", START + HOUR, cart=False, total="55.00", cancelled_at=START + 4 * HOUR))
    registered = shopify_customer(6, "fay")
    registered.update(created_at=iso(START + 4 * HOUR), updated_at=iso(START + 4 * HOUR))
    shop.add_customer(registered)
    harness.run_until(6 * HOUR)

    first = _reconcile(capsys)
    assert first == {"customers": (1, 1, 0), "checkouts": (2, 2, 0), "orders": (4, 3, 1)}
    harness.clock.settle()
    again = _reconcile(capsys)
    assert again == {"customers": (1, 0, 1), "checkouts": (2, 0, 2), "orders": (4, 0, 4)}
    # The webhook of an order reconciled before arrives late after all (a Shopify retry).
    harness.client.shopify("orders/create", shopify_order(3, "cy", START + 3 * HOUR, cart=False, total="40.00"), webhook_id="late-order")
    harness.clock.settle()
    harness.run_until(6 * HOUR + 5 * DAY)

    # Orders placed in the outage are counted once, the cancelled one not at all, the delivered one not twice.
    for number, count, revenue in ((2, 1, 12000), (3, 1, 4000), (4, 0, 0), (5, 1, 9800)):
        profile = harness.profile(str(700000 + number))
        assert (int(profile.get("orders_count") or 0), int(profile.get("revenue_cents") or 0)) == (count, revenue), number
    assert harness.profile(str(700006)) is not None  # the customer registered in the outage
    # The abandoned checkout got its one journey and its reminders; the ordered one none.
    journeys = {journey["name"]: journey for journey in harness.journeys()}
    ana = [name for name in journeys if "cart-1" in name]
    assert len(ana) == 1, sorted(journeys)
    assert _emails_to(harness, "ana@example.com"), "the abandoned checkout of the outage got no reminder"
    assert len(_emails_to(harness, "ana@example.com")) == len(set(_emails_to(harness, "ana@example.com"))), _emails_to(harness, "ana@example.com")
    # The order confirmation is the only mail to the customer who ordered: no cart reminder.
    assert [subject for subject in _emails_to(harness, "bo@example.com") if not subject.startswith("Thank you for your order")] == []
    cart = harness.item(f"STORE#{STORE_ID}#CUSTOMER#700002", "CART#cart-2")
    assert cart["status"] == "ordered"


def test_reconcile_follows_shopify_pages_and_waits_out_a_throttled_answer(harness, shop, capsys):
    harness.configure_store(only_scenarios("cart_abandonment"))
    for number in range(1, 261):  # more than one page of 250
        shop.add_customer({**shopify_customer(number, f"c{number}"), "updated_at": iso(START + MINUTE * number), "created_at": iso(START)})
    harness.run_until(6 * HOUR)
    shop.rest_throttle(1)
    counts = _reconcile(capsys)
    assert counts["customers"] == (260, 260, 0)
    pages = [request for request in shop.requests if request.path.endswith("/customers.json")]
    assert len(pages) == 3  # one HTTP 429, then two pages
    assert "page_info" in pages[-1].query and "updated_at_min" not in pages[-1].query


def test_reconcile_of_a_store_without_admin_credentials_is_one_line(harness, capsys):
    # The local stack gives every store a fake shop with credentials (coupons): take them away.
    boto3.client("ssm").delete_parameter(Name=f"/encore/secrets/{STORE_ID}/admin-api")
    from encore.adapters.secrets import clear_cache

    clear_cache()
    harness.run_until(HOUR)
    code = main(["reconcile", STORE_ID, "--since", iso(START)])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "no admin API credentials" in err, err
    code = main(["reconcile", STORE_ID, "--since", "yesterday"])
    assert code == 2 and "not an ISO 8601 time" in capsys.readouterr().err


def test_the_woocommerce_client_reads_orders_and_customers_modified_in_the_window():
    from datetime import datetime

    from encore.adapters.woocommerce_admin import WooCommerceAdmin
    from infra.local.shops import FakeWooCommerce

    with FakeWooCommerce() as shop:
        template = load_event("woocommerce_order_created")
        for number in range(1, 131):  # two pages of 100
            modified = f"2026-11-02T{9 + number // 60:02d}:{number % 60:02d}:00"
            shop.add_order({**template, "id": 9000 + number, "date_modified_gmt": modified, "date_modified": modified})
        customer = load_event("woocommerce_customer_updated")
        shop.add_customer({**customer, "id": 1, "date_modified_gmt": "2026-11-02T10:00:00"})
        shop.add_customer({**customer, "id": 2, "date_modified_gmt": "2026-11-01T10:00:00"})
        client = WooCommerceAdmin("https://shop.example", "ck_local_fake", "cs_local_fake", base_url=shop.url)
        since = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
        orders = client.orders_modified(since, datetime(2026, 11, 2, 11, 0, tzinfo=UTC))
        assert sorted(order["id"] for order in orders) == [9000 + n for n in range(31, 120)]
        assert [c["id"] for c in client.customers_modified(since)] == [1]
        assert len(client.orders_modified(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))) == 130
        assert any(request.query.get("page") == "2" for request in shop.requests if request.path.endswith("/orders"))
