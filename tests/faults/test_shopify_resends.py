"""Shopify re-sends an event under a new X-Shopify-Webhook-Id; X-Shopify-Event-Id stays."""

from __future__ import annotations

import copy
from datetime import timedelta

from tests.conftest import iso, load_event


def _checkout(harness):
    payload = copy.deepcopy(load_event("shopify_checkouts_update"))
    payload["updated_at"] = iso(harness.now())
    return payload


def test_an_event_re_sent_under_a_new_webhook_id_is_a_duplicate(harness):
    payload = _checkout(harness)
    first = harness.client.shopify("checkouts/update", payload, webhook_id="delivery-1", event_id="event-77")
    again = harness.client.shopify("checkouts/update", payload, webhook_id="delivery-2", event_id="event-77")
    assert first.json["accepted"] == ["event-77:checkouts/update"]
    assert again.json["duplicates"] == ["event-77:checkouts/update"]
    harness.run_until(timedelta(days=4))
    assert len(harness.journeys()) == 1
    assert len(harness.emails()) == 3  # one set of cart reminders


def test_the_same_event_id_on_another_topic_is_another_event(harness):
    payload = _checkout(harness)
    first = harness.client.shopify("checkouts/update", payload, webhook_id="delivery-1", event_id="event-77")
    other = harness.client.shopify("checkouts/create", payload, webhook_id="delivery-3", event_id="event-77")
    assert first.json["accepted"] == ["event-77:checkouts/update"]
    assert other.json["accepted"] == ["event-77:checkouts/create"]


def test_without_an_event_id_the_webhook_id_is_the_key(harness):
    payload = _checkout(harness)
    headers_without_event_id = harness.client.shopify("checkouts/update", payload, webhook_id="delivery-9", event_id=" ")
    retry = harness.client.shopify("checkouts/update", payload, webhook_id="delivery-9", event_id=" ")
    assert headers_without_event_id.json["accepted"] == ["delivery-9"]
    assert retry.json["duplicates"] == ["delivery-9"]
