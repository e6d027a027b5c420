"""Operator commands against the local stack: settings files, catalogue import, replay."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import boto3
import pytest
from pydantic import ValidationError

from infra.cli.settings import StaleSettings, load_settings
from tests.conftest import POSTAL_ADDRESS, START, STORE_ID

ROOT = Path(__file__).resolve().parents[2]
OLENA = "603851970716743426"


def test_the_demo_store_settings_file_loads_and_an_older_version_is_refused(harness):
    document = json.loads((ROOT / "infra/stores/demo-store.json").read_text())
    settings = load_settings(STORE_ID, {**document, "version": 5})
    assert settings.cart_abandonment.reminder_offsets_seconds == (3600, 86400, 259200)
    with pytest.raises(StaleSettings):
        load_settings(STORE_ID, {**document, "version": 4})


def test_a_typo_or_a_bad_timing_in_a_settings_file_is_named_and_nothing_is_loaded(harness):
    with pytest.raises(ValidationError, match="cart_abandonmnet"):
        load_settings(STORE_ID, {"version": 9, "cart_abandonmnet": {}})
    with pytest.raises(ValidationError, match="positive and increasing"):
        load_settings(STORE_ID, {"version": 9, "cart_abandonment": {"reminder_offsets_seconds": [7200, 3600, 86400]}})
    stored = boto3.client("ssm").get_parameter(Name=f"/encore/stores/{STORE_ID}/settings")["Parameter"]["Value"]
    assert json.loads(stored)["version"] == 0


def test_store_timings_from_settings_reach_the_journey(harness):
    load_settings(STORE_ID, {"version": 2, "postal_address": POSTAL_ADDRESS, "cart_abandonment": {"reminder_offsets_seconds": [1800, 7200, 86400]}})
    harness.checkout()
    harness.run_until(timedelta(days=9))
    dates = [mail["Date"] for mail in harness.emails()]
    assert dates == ["Mon, 02 Nov 2026 09:30:00 +0000", "Mon, 02 Nov 2026 11:00:00 +0000", "Tue, 03 Nov 2026 09:00:00 +0000"]


def test_replaying_the_archive_restores_state_without_double_counting_or_second_journeys(harness):
    harness.checkout(webhook_id="checkout-1")
    harness.order(webhook_id="order-1")
    harness.run_until(timedelta(hours=1))
    before = harness.profile(OLENA)
    assert before["orders_count"] == 1

    harness.stack.replay(START - timedelta(days=1), START + timedelta(days=1))
    harness.clock.settle()
    after = harness.profile(OLENA)
    assert (after["orders_count"], after["revenue_cents"]) == (1, 9800)
    assert len(harness.journeys()) == 1
    assert sorted(mail["Subject"] for mail in harness.emails("cart-abandonment", "post-purchase")) == [
        "Order #1001 confirmed",
        "Thank you for your order, Olena!",
    ]
    # Her welcome (the first order starts it) was not started again: its email went out at most
    # once (it is held back when the cart thank-you, a higher priority, reached the cap first).
    assert len(harness.stack.executions("WelcomeSeriesStateMachine")) == 1
    assert len(harness.emails("welcome-series")) <= 1
    assert len(harness.emails()) == len({mail["Subject"] for mail in harness.emails()})
    assert len(harness.stack.executions("PostPurchaseStateMachine")) == 1


def test_replay_rebuilds_state_that_was_lost(harness):
    harness.shopify("customers/create", "shopify_customers_create", webhook_id="c-1")
    table = harness.stack.physical("EncoreTable")
    dynamodb = boto3.client("dynamodb")
    for item in dynamodb.scan(TableName=table)["Items"]:
        if item["sk"]["S"] == "PROFILE":
            dynamodb.delete_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]})
    assert harness.profile("706405506930370084") is None
    harness.stack.replay(START - timedelta(days=1), START + timedelta(days=1))
    assert harness.profile("706405506930370084")["email"] == "marta@example.com"
