"""Retry jitter under the virtual clock: moto 5.2.5's interpreter honours
``"JitterStrategy": "FULL"`` (it draws each backoff from ``uniform(0, interval)``), and the
clock makes those draws come from a seeded generator, so the same run repeats exactly.

The state machine retries a Parallel state whose only branch fails: no Lambda is needed
and each attempt shows in the history as a ``ParallelStateStarted`` event.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from infra.local.clock import VirtualClock

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
INTERVAL, BACKOFF, ATTEMPTS = 60, 2, 4
RETRIED = {
    "StartAt": "Try",
    "States": {
        "Try": {
            "Type": "Parallel",
            "Branches": [{"StartAt": "Fail", "States": {"Fail": {"Type": "Fail", "Error": "Boom"}}}],
            "Retry": [
                {
                    "ErrorEquals": ["Boom"],
                    "IntervalSeconds": INTERVAL,
                    "MaxAttempts": ATTEMPTS,
                    "BackoffRate": BACKOFF,
                    "JitterStrategy": "FULL",
                }
            ],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}],
            "End": True,
        },
        "Done": {"Type": "Succeed"},
    },
}


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


def attempt_times(jitter_seed: int) -> list[datetime]:
    """When each attempt of the retried state started, in one fresh run."""
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        with VirtualClock(start=START, jitter_seed=jitter_seed) as clock:
            sfn = boto3.client("stepfunctions", region_name="us-east-1")
            machine = sfn.create_state_machine(name="jitter", definition=json.dumps(RETRIED), roleArn="arn:aws:iam::123456789012:role/sfn")["stateMachineArn"]
            execution = sfn.start_execution(stateMachineArn=machine, name="run")["executionArn"]
            clock.advance(timedelta(hours=1))
            assert sfn.describe_execution(executionArn=execution)["status"] == "SUCCEEDED"
            history = sfn.get_execution_history(executionArn=execution)["events"]
    return [event["timestamp"] for event in history if event["type"] == "ParallelStateStarted"]


def test_full_jitter_spreads_each_backoff_below_its_nominal_delay():
    times = attempt_times(jitter_seed=0)
    assert len(times) == 1 + ATTEMPTS
    delays = [(later - earlier).total_seconds() for earlier, later in zip(times, times[1:])]
    nominal = [INTERVAL * BACKOFF**attempt for attempt in range(ATTEMPTS)]
    assert all(0 <= delay <= limit for delay, limit in zip(delays, nominal)), (delays, nominal)
    # Without jitter every delay would be exactly the nominal one: the field was ignored.
    assert delays != nominal


def test_the_same_seed_repeats_the_run_and_another_seed_does_not():
    assert attempt_times(jitter_seed=0) == attempt_times(jitter_seed=0)
    assert attempt_times(jitter_seed=0) != attempt_times(jitter_seed=1)
