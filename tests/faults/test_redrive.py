"""`encore redrive`: an event whose function failed waits on the dead-letter queue and, once
the fault is gone, is put back on the bus and takes effect once (issue 12, defect 14)."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest

from encore import triggers
from infra.cli import main
from infra.cli.redrive import original_event
from tests.conftest import STORE_ID

HOUR = timedelta(hours=1)
OLENA = "603851970716743426"


def _queue(harness, key: str = "dead_letter_queue_url") -> str:
    return harness.stack.stack_parameter()[key]


def _messages(harness, key: str = "dead_letter_queue_url") -> list[dict]:
    sqs = boto3.client("sqs")
    found = sqs.receive_message(QueueUrl=_queue(harness, key), MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
    return [json.loads(message["Body"]) for message in found]


def _parked(harness) -> list[dict]:
    """What failed for good: Lambda's on-failure records (after its two retries)."""
    return [original_event(json.dumps(record)) for record in _messages(harness, "event_failures_queue_url")]


def _orders(harness) -> int:
    profile = harness.profile(OLENA) or {}
    return int(profile.get("orders_count") or 0)


@pytest.mark.handler_errors_expected  # the order function fails on purpose
def test_a_failed_event_is_redriven_after_the_fault_is_removed_and_takes_effect_once(harness, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("injected: the order function's dependency is down")

    working = triggers.order_placed
    monkeypatch.setattr(triggers, "order_placed", broken)
    assert harness.order(webhook_id="order-during-the-fault").status == 202  # ingest accepted it
    harness.run_until(HOUR)  # Lambda's two retries (1 and 2 minutes later) fail too
    parked = _parked(harness)
    assert [event["detail-type"] for event in parked] == ["order_placed"] and _orders(harness) == 0

    monkeypatch.setattr(triggers, "order_placed", working)  # the fault is removed
    assert main(["redrive", STORE_ID]) == 0
    out = capsys.readouterr().out
    assert "redriven 1," in out, out
    harness.clock.settle()
    assert _orders(harness) == 1
    assert _parked(harness) == [] and _messages(harness) == []

    # Run again: nothing left to move, nothing counted twice.
    assert main(["redrive", "--all"]) == 0
    assert "redriven 0," in capsys.readouterr().out
    assert _orders(harness) == 1


@pytest.mark.handler_errors_expected
def test_redrive_of_one_store_leaves_the_other_stores_events_on_the_queue(harness, monkeypatch, capsys):
    sqs = boto3.client("sqs")
    other = {
        "version": "0",
        "id": "x",
        "detail-type": "order_placed",
        "source": "encore.ingest",
        "time": "2026-11-02T09:00:00Z",
        "resources": [],
        "detail": {"store_id": "other-store"},
    }
    # A Lambda on-failure destination record wraps the event: it is understood too.
    record = {
        "requestContext": {"condition": "RetriesExhausted", "approximateInvokeCount": 3},
        "requestPayload": other,
        "responseContext": {"statusCode": 200, "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": "boom"},
    }
    sqs.send_message(QueueUrl=_queue(harness), MessageBody=json.dumps(record))
    assert original_event(json.dumps(record)) == other
    assert main(["redrive", STORE_ID]) == 0
    assert "redriven 0, other stores 1" in capsys.readouterr().out
    harness.run_until(timedelta(seconds=1))  # visible again "now": moto wants a moment to pass on the frozen clock
    assert len(_messages(harness)) == 1


def test_redrive_needs_a_store_or_all(harness, capsys):
    assert main(["redrive"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--all" in err
    assert main(["redrive", "no-such-store"]) == 1
    assert "unknown store" in capsys.readouterr().err
