"""The scheduled jobs (functions/scheduled_jobs, EventBridge Scheduler in template.yaml) on the
local stack: the hourly reconciliation recovers a webhook the shop dropped, without a
duplicate when the webhook comes after all (issue 12, 14), and the daily cleanup deletes an
expired unused coupon code at the shop (issue 11)."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest

from tests.conftest import START, STORE_ID, only_scenarios
from tests.faults.shop_payloads import shopify_checkout, shopify_order

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def _mark(harness):
    """Where the store's last scheduled reconciliation ended (None before the first)."""
    from encore.clock import parse_iso

    item = harness.item(f"STORE#{STORE_ID}#RECONCILE", "SCHEDULED")
    return parse_iso(item["until"].replace("+0000", "+00:00")) if item else None


def _scheduled_runs(harness, job: str) -> list:
    return [i for i in harness.stack.lambdas.invocations if i.function.endswith("ScheduledJobsFunction") and i.event.get("job") == job]


def test_the_hourly_reconciliation_recovers_a_dropped_webhook_and_a_late_webhook_is_no_duplicate(harness):
    harness.configure_store(only_scenarios("cart_abandonment"))
    harness.stack.start_schedules("HourlyReconcile")
    shop = harness.stack.shops[STORE_ID]
    # Two webhooks the shop never managed to deliver: an abandoned checkout and an order.
    shop.add_checkout(shopify_checkout(1, "ana", START + 10 * MINUTE))
    dropped_order = shopify_order(2, "bo", START + 20 * MINUTE, cart=False, total="61.50")
    shop.add_order(dropped_order)

    harness.run_until(HOUR + MINUTE)  # the first hourly run
    assert len(_scheduled_runs(harness, "reconcile")) == 1
    assert int(harness.profile("700002")["orders_count"]) == 1
    assert [journey["name"] for journey in harness.journeys() if "cart-1" in journey["name"]]
    assert _mark(harness) == START + HOUR

    # Shopify's retry of the order arrives after all; and the next hourly runs read it again.
    harness.client.shopify("orders/create", dropped_order, webhook_id="late-retry")
    harness.clock.settle()
    harness.run_until(4 * DAY)
    assert len(_scheduled_runs(harness, "reconcile")) == 4 * 24
    profile = harness.profile("700002")
    assert (int(profile["orders_count"]), int(profile["revenue_cents"])) == (1, 6150)
    reminders = [mail["Subject"] for mail in harness.emails("cart-abandonment") if "ana@example.com" in mail["To"]]
    assert len(reminders) == 3 and len(set(reminders)) == 3, reminders
    assert len([journey for journey in harness.journeys() if "cart-1" in journey["name"]]) == 1


def _point_shop_at(base_url: str) -> None:
    ssm = boto3.client("ssm")
    name = f"/encore/stores/{STORE_ID}/shop"
    document = json.loads(ssm.get_parameter(Name=name)["Parameter"]["Value"])
    ssm.put_parameter(Name=name, Value=json.dumps({**document, "admin_base_url": base_url}), Type="String", Overwrite=True)


@pytest.mark.handler_errors_expected  # the run while the shop is unreachable fails on purpose
def test_a_scheduled_reconciliation_that_fails_leaves_its_window_to_the_next_run(harness):
    harness.configure_store(only_scenarios("cart_abandonment"))
    shop = harness.stack.shops[STORE_ID]
    harness.run_until(HOUR)
    harness.stack.fire_schedule("HourlyReconcile")
    harness.clock.settle()
    assert _mark(harness) == START + HOUR

    shop.add_order(shopify_order(3, "cy", START + 90 * MINUTE, cart=False, total="12.00"))
    _point_shop_at("http://127.0.0.1:9")  # nothing listens there: the shop is unreachable
    harness.run_until(2 * HOUR)
    harness.stack.fire_schedule("HourlyReconcile")
    harness.run_until(2 * HOUR + 5 * MINUTE)  # and Lambda's two retries
    failed = [i for i in harness.stack.lambdas.invocations if i.function.endswith("ScheduledJobsFunction") and i.errored]
    assert len(failed) == 3 and "ScheduledJobFailed" in failed[-1].error
    assert _mark(harness) == START + HOUR  # the window stays open
    assert harness.profile("700003") is None

    _point_shop_at(shop.url)
    harness.run_until(3 * HOUR)
    harness.stack.fire_schedule("HourlyReconcile")
    harness.clock.settle()
    assert int(harness.profile("700003")["orders_count"]) == 1
    assert _mark(harness) == START + 3 * HOUR


def test_the_daily_cleanup_deletes_an_expired_unused_coupon_code_at_the_shop(harness):
    from tests.scenarios.test_coupons import _code, _settings

    shop = harness.stack.shops[STORE_ID]
    _settings(harness)
    harness.stack.start_schedules("DailyCouponCleanup")
    harness.checkout()
    harness.run_until(73 * HOUR)
    code = _code(harness.emails()[2])  # reminder 3's code, valid for 7 days
    assert shop.deleted_codes == []  # three daily runs so far: nothing due yet
    harness.run_until(72 * HOUR + 7 * DAY + DAY)
    runs = [i for i in harness.stack.lambdas.invocations if i.function.endswith("ScheduledJobsFunction") and i.event.get("job") == "coupon_cleanup"]
    assert len(runs) == 11 and not any(run.errored for run in runs)  # one a day at 03:30 UTC
    assert shop.deleted_codes == [code]
    assert harness.item(f"STORE#{STORE_ID}#COUPON#{code}", "COUPON")["status"] == "expired"
