"""Ingest counts what it took, per platform, in the function's own log (EMF): accepted,
duplicate and rejected requests on the local stack."""

import json

import pytest

from tests.conftest import load_event


@pytest.fixture(autouse=True)
def metrics_on(harness, monkeypatch):
    """The local stack turns metrics off (they would flood the demo's console): on here."""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")


def metric_records(captured: str, name: str) -> list[dict]:
    records = [json.loads(line) for line in captured.splitlines() if line.startswith('{"_aws"')]
    return [record for record in records if name in record]


def test_ingest_counts_accepted_duplicate_and_rejected_shopify_events(harness, capsys):
    payload = load_event("shopify_checkouts_update")
    client = harness.client

    assert client.shopify("checkouts/update", payload, webhook_id="w-1").status == 202
    assert client.shopify("checkouts/update", payload, webhook_id="w-1").status == 202
    assert client.shopify("checkouts/update", payload, webhook_id="w-2", signature="bm90IHRoZSBzaWduYXR1cmU=").status == 401
    harness.clock.settle()

    out = capsys.readouterr().out
    (accepted,) = metric_records(out, "EventsAccepted")
    (duplicate,) = metric_records(out, "EventsDuplicate")
    (rejected,) = metric_records(out, "EventsRejected")
    assert (accepted["platform"], accepted["EventsAccepted"]) == ("shopify", [1.0])
    assert (duplicate["platform"], duplicate["EventsDuplicate"]) == ("shopify", [1.0])
    assert rejected["platform"] == "shopify" and rejected["status"] == 401 and rejected["reason"]


def test_a_journey_started_is_counted_once_per_scenario_and_a_repeat_trigger_is_not(harness, capsys):
    harness.checkout(webhook_id="checkout-1")
    harness.checkout(webhook_id="checkout-2")  # the same cart again: the journey already runs

    started = metric_records(capsys.readouterr().out, "JourneysStarted")
    assert [(record["scenario"], record["JourneysStarted"]) for record in started] == [("cart-abandonment", [1.0])]


def test_delivery_counts_each_step_by_what_it_did_with_the_reason_as_a_property(harness, capsys):
    from datetime import timedelta

    harness.checkout(webhook_id="checkout-1")
    harness.run_until(timedelta(hours=2))  # reminder 1 is due after an hour

    out = capsys.readouterr().out
    (sent,) = metric_records(out, "MessagesSent")
    assert (sent["channel"], sent["scenario"], sent["step"], sent["MessagesSent"]) == ("email", "cart-abandonment", "reminder_1", [1.0])
    assert "channel" in sent["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0]
    assert "scenario" not in sent["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0]


def test_a_step_skipped_for_want_of_consent_is_counted_as_skipped_with_its_reason(harness, capsys):
    from datetime import timedelta

    harness.checkout(webhook_id="checkout-1", consent=False)
    harness.run_until(timedelta(hours=2))

    (skipped, *_) = metric_records(capsys.readouterr().out, "MessagesSkipped")
    assert skipped["scenario"] == "cart-abandonment" and skipped["reason"] and skipped["MessagesSkipped"] == [1.0]
