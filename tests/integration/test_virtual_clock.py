"""Tests for infra.local.clock.VirtualClock against moto's executing Step Functions engine.

Every test drives moto through plain boto3 with inline ASL definitions.  The scenarios
span hours of virtual time and must finish in (real) seconds; a broken clock either hangs
(caught by the settle watchdog) or produces wrong virtual timestamps.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta

import boto3
import freezegun.api
import pytest
from moto import mock_aws

from infra.local.clock import ClockStalled, VirtualClock

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
REGION = "us-east-1"
ROLE_ARN = "arn:aws:iam::123456789012:role/sfn-role"
SFN_CONFIG = {"stepfunctions": {"execute_state_machine": True}}


def real_seconds() -> float:
    # freezegun freezes time.perf_counter and rewrites module globals holding it; its own
    # module keeps the real one.
    return freezegun.api.real_perf_counter()


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture
def aws():
    with mock_aws(config=SFN_CONFIG):
        yield


@pytest.fixture
def clock(aws):
    with VirtualClock(start=START) as virtual_clock:
        yield virtual_clock


@pytest.fixture
def sfn(aws):
    return boto3.client("stepfunctions", region_name=REGION)


# -- helpers ---------------------------------------------------------------------------
def create_state_machine(sfn, name: str, definition: dict) -> str:
    return sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE_ARN)["stateMachineArn"]


def start(sfn, state_machine_arn: str, name: str, payload: dict | None = None) -> str:
    return sfn.start_execution(stateMachineArn=state_machine_arn, name=name, input=json.dumps(payload or {}))["executionArn"]


def status(sfn, execution_arn: str) -> str:
    return sfn.describe_execution(executionArn=execution_arn)["status"]


def stop_date(sfn, execution_arn: str) -> datetime | None:
    return sfn.describe_execution(executionArn=execution_arn).get("stopDate")


def events(sfn, execution_arn: str, event_type: str | None = None) -> list[dict]:
    history = sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)
    return [e for e in history["events"] if event_type in (None, e["type"])]


def timestamps(sfn, execution_arn: str, event_type: str) -> list[datetime]:
    return [e["timestamp"] for e in events(sfn, execution_arn, event_type)]


def entered_states(sfn, execution_arn: str, event_type: str) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in events(sfn, execution_arn, event_type)]


WAIT_SECONDS_PATH = {
    "StartAt": "Wait",
    "States": {
        "Wait": {"Type": "Wait", "SecondsPath": "$.seconds", "Next": "Done"},
        "Done": {"Type": "Pass", "End": True},
    },
}


def callback_definition(queue_url: str, **timeouts) -> dict:
    return {
        "StartAt": "AwaitReply",
        "States": {
            "AwaitReply": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {
                    "QueueUrl": queue_url,
                    "MessageBody": {"token.$": "$$.Task.Token"},
                },
                **timeouts,
                "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "NoReply"}],
                "Next": "Replied",
            },
            "Replied": {"Type": "Pass", "End": True},
            "NoReply": {"Type": "Pass", "End": True},
        },
    }


def read_task_token(queue_url: str) -> str:
    sqs = boto3.client("sqs", region_name=REGION)
    # WaitTimeSeconds=0: moto's long polling loops on the (frozen) clock and never ends.
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=0)["Messages"]
    return json.loads(messages[0]["Body"])["token"]


# -- Wait states -----------------------------------------------------------------------
def test_waits_wake_each_execution_at_its_own_virtual_time(clock, sfn):
    sm = create_state_machine(sfn, "waits", WAIT_SECONDS_PATH)
    long_wait = start(sfn, sm, "long", {"seconds": 3600})
    short_wait = start(sfn, sm, "short", {"seconds": 600})

    clock.run_until(START + timedelta(minutes=30))

    assert status(sfn, short_wait) == "SUCCEEDED"
    assert status(sfn, long_wait) == "RUNNING"
    assert clock.now() == START + timedelta(minutes=30)
    assert clock.next_wakeup() == START + timedelta(seconds=3600)

    clock.run_until(START + timedelta(hours=2))

    assert status(sfn, long_wait) == "SUCCEEDED"
    assert timestamps(sfn, short_wait, "WaitStateExited") == [START + timedelta(seconds=600)]
    assert timestamps(sfn, long_wait, "WaitStateExited") == [START + timedelta(seconds=3600)]
    assert stop_date(sfn, short_wait) == START + timedelta(seconds=600)
    assert stop_date(sfn, long_wait) == START + timedelta(seconds=3600)
    assert clock.next_wakeup() is None


def test_every_clock_reads_virtual_time_while_installed(clock):
    clock.advance(timedelta(days=3, seconds=5))
    expected = START + timedelta(days=3, seconds=5)

    seen: dict[str, object] = {}

    def read_clocks():
        seen["aware"] = datetime.now(UTC)
        seen["naive"] = datetime.now()
        seen["utcnow"] = datetime.utcnow()
        seen["time"] = time.time()

    reader = threading.Thread(target=read_clocks)  # a plain thread, not an engine one
    reader.start()
    reader.join()

    assert clock.now() == expected
    assert seen["aware"] == expected
    assert seen["naive"] == expected.replace(tzinfo=None)  # TZ=UTC
    assert seen["utcnow"] == expected.replace(tzinfo=None)
    assert seen["time"] == expected.timestamp()


def test_timestamp_path_wait_ends_at_the_timestamp(clock, sfn):
    definition = {
        "StartAt": "Until",
        "States": {
            "Until": {"Type": "Wait", "TimestampPath": "$.until", "Next": "Literal"},
            "Literal": {"Type": "Wait", "Timestamp": "2026-11-03T08:00:00Z", "End": True},
        },
    }
    sm = create_state_machine(sfn, "timestamps", definition)
    execution = start(sfn, sm, "until", {"until": "2026-11-02T13:30:00Z"})

    clock.run_until(START + timedelta(hours=4))
    assert status(sfn, execution) == "RUNNING"

    clock.run_until(START + timedelta(days=2))
    assert timestamps(sfn, execution, "WaitStateExited") == [
        datetime(2026, 11, 2, 13, 30, tzinfo=UTC),
        datetime(2026, 11, 3, 8, 0, tzinfo=UTC),
    ]
    assert stop_date(sfn, execution) == datetime(2026, 11, 3, 8, 0, tzinfo=UTC)


def test_wait_started_at_a_fractional_second_lasts_exactly_its_seconds(clock, sfn):
    # moto re-waits if int(time.time() - t0) comes out short of the requested seconds.
    clock.run_until(START + timedelta(microseconds=123_457))
    sm = create_state_machine(sfn, "fractional", WAIT_SECONDS_PATH)
    execution = start(sfn, sm, "fractional", {"seconds": 600})

    clock.advance(timedelta(hours=1))

    # history timestamps are reported to the millisecond
    assert timestamps(sfn, execution, "WaitStateExited") == [START + timedelta(seconds=600, milliseconds=123)]


# -- Retry -----------------------------------------------------------------------------
def test_retry_backoff_advances_virtual_time(clock, sfn):
    definition = {
        "StartAt": "Lookup",
        "States": {
            "Lookup": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:getItem",
                "Parameters": {"TableName": "no-such-table", "Key": {"pk": {"S": "1"}}},
                "Retry": [
                    {
                        "ErrorEquals": ["States.ALL"],
                        "IntervalSeconds": 60,
                        "BackoffRate": 2,
                        "MaxAttempts": 3,
                    }
                ],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "GaveUp"}],
                "End": True,
            },
            "GaveUp": {"Type": "Pass", "End": True},
        },
    }
    sm = create_state_machine(sfn, "retries", definition)
    began = real_seconds()

    execution = start(sfn, sm, "retry")
    clock.run_until(START + timedelta(hours=1))

    elapsed = real_seconds() - began
    assert status(sfn, execution) == "SUCCEEDED"
    offsets = [(t - START).total_seconds() for t in timestamps(sfn, execution, "TaskScheduled")]
    assert offsets == [0, 60, 180, 420]  # waits of 60, 120, 240 s
    failures = events(sfn, execution, "TaskFailed")
    assert [(e["timestamp"] - START).total_seconds() for e in failures] == [0, 60, 180, 420]
    assert failures[-1]["taskFailedEventDetails"]["error"] == "DynamoDB.ResourceNotFoundException"
    assert timestamps(sfn, execution, "PassStateEntered") == [START + timedelta(seconds=420)]
    assert stop_date(sfn, execution) == START + timedelta(seconds=420)
    assert elapsed < 5, f"420 virtual seconds took {elapsed:.1f} real seconds"


# -- callbacks (.waitForTaskToken) -----------------------------------------------------
@pytest.fixture
def queue_url(aws):
    return boto3.client("sqs", region_name=REGION).create_queue(QueueName="replies")["QueueUrl"]


def test_callback_timeout_fires_at_virtual_timeout(clock, sfn, queue_url):
    sm = create_state_machine(sfn, "callback", callback_definition(queue_url, TimeoutSeconds=3600))
    execution = start(sfn, sm, "silent")

    clock.run_until(START + timedelta(minutes=59))
    assert status(sfn, execution) == "RUNNING"

    clock.run_until(START + timedelta(minutes=61))
    assert status(sfn, execution) == "SUCCEEDED"
    assert timestamps(sfn, execution, "TaskTimedOut") == [START + timedelta(seconds=3600)]
    assert timestamps(sfn, execution, "PassStateEntered") == [START + timedelta(seconds=3600)]
    assert entered_states(sfn, execution, "PassStateEntered") == ["NoReply"]
    assert stop_date(sfn, execution) == START + timedelta(seconds=3600)


def test_send_task_success_completes_at_the_virtual_time_it_is_sent(clock, sfn, queue_url):
    sm = create_state_machine(sfn, "callback", callback_definition(queue_url, TimeoutSeconds=3600))
    execution = start(sfn, sm, "answered")

    clock.run_until(START + timedelta(minutes=10))
    sfn.send_task_success(taskToken=read_task_token(queue_url), output=json.dumps({"ok": True}))
    clock.settle()

    assert status(sfn, execution) == "SUCCEEDED"
    assert stop_date(sfn, execution) == START + timedelta(minutes=10)
    assert entered_states(sfn, execution, "PassStateEntered") == ["Replied"]
    # Both timed waits of the task (task timeout, callback timeout) were cancelled.
    assert clock.next_wakeup() is None

    clock.run_until(START + timedelta(hours=2))
    assert stop_date(sfn, execution) == START + timedelta(minutes=10)
    assert events(sfn, execution, "TaskTimedOut") == []


def test_events_injected_from_another_thread_are_accounted(clock, sfn, queue_url):
    # Like an HTTP server thread running handlers: it starts the execution and, later,
    # releases its callback; the driver only settles / moves time after each returns.
    sm = create_state_machine(sfn, "callback", callback_definition(queue_url, TimeoutSeconds=3600))
    started: list[str] = []

    def in_server_thread(action):
        worker = threading.Thread(target=action)
        worker.start()
        worker.join()

    in_server_thread(lambda: started.append(start(sfn, sm, "from-server")))
    clock.run_until(START + timedelta(minutes=25))
    assert status(sfn, started[0]) == "RUNNING"

    token = read_task_token(queue_url)
    in_server_thread(lambda: sfn.send_task_success(taskToken=token, output="{}"))
    clock.settle()

    assert status(sfn, started[0]) == "SUCCEEDED"
    assert stop_date(sfn, started[0]) == START + timedelta(minutes=25)


def test_timeout_seconds_path_applies_to_wait_for_task_token(clock, sfn, queue_url):
    definition = callback_definition(queue_url, TimeoutSecondsPath="$.timeout")
    sm = create_state_machine(sfn, "callback-path", definition)
    execution = start(sfn, sm, "from-input", {"timeout": 1800})

    clock.run_until(START + timedelta(hours=2))

    assert timestamps(sfn, execution, "TaskTimedOut") == [START + timedelta(seconds=1800)]


def test_heartbeat_timeout_is_pushed_back_by_heartbeats(clock, sfn, queue_url):
    definition = callback_definition(queue_url, TimeoutSeconds=3600, HeartbeatSeconds=300)
    sm = create_state_machine(sfn, "heartbeat", definition)
    execution = start(sfn, sm, "beating")

    clock.run_until(START + timedelta(seconds=200))
    sfn.send_task_heartbeat(taskToken=read_task_token(queue_url))
    clock.run_until(START + timedelta(seconds=499))
    assert status(sfn, execution) == "RUNNING"

    clock.run_until(START + timedelta(hours=2))
    # moto reports a heartbeat timeout as States.Timeout (AWS: States.HeartbeatTimeout).
    timed_out = events(sfn, execution, "TaskTimedOut")
    assert [e["timestamp"] for e in timed_out] == [START + timedelta(seconds=500)]
    assert stop_date(sfn, execution) == START + timedelta(seconds=500)


def test_execution_timeout_seconds(clock, sfn):
    definition = {
        "TimeoutSeconds": 100,
        "StartAt": "Long",
        "States": {"Long": {"Type": "Wait", "Seconds": 500, "End": True}},
    }
    sm = create_state_machine(sfn, "execution-timeout", definition)
    execution = start(sfn, sm, "too-slow")

    clock.run_until(START + timedelta(seconds=99))
    assert status(sfn, execution) == "RUNNING"

    clock.run_until(START + timedelta(hours=1))
    assert status(sfn, execution) == "TIMED_OUT"
    # moto's describe_execution leaves stopDate out for TIMED_OUT; the history has it.
    assert timestamps(sfn, execution, "ExecutionTimedOut") == [START + timedelta(seconds=100)]
    assert events(sfn, execution, "WaitStateExited") == []


# -- Parallel, Map, stop ---------------------------------------------------------------
def test_parallel_branches_and_map_iterations_wait_in_virtual_time(clock, sfn):
    wait_100 = {"Type": "Wait", "Seconds": 100, "End": True}
    wait_50 = {"Type": "Wait", "Seconds": 50, "End": True}
    definition = {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "ResultPath": None,
                "Next": "Each",
                "Branches": [
                    {"StartAt": "A", "States": {"A": wait_100}},
                    {"StartAt": "B", "States": {"B": wait_50}},
                ],
            },
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "End": True,
                "Iterator": {
                    "StartAt": "W",
                    "States": {"W": {"Type": "Wait", "SecondsPath": "$", "End": True}},
                },
            },
        },
    }
    sm = create_state_machine(sfn, "fan-out", definition)
    execution = start(sfn, sm, "fan-out", {"items": [30, 10, 20]})

    clock.run_until(START + timedelta(hours=1))

    assert status(sfn, execution) == "SUCCEEDED"
    offsets = [(t - START).total_seconds() for t in timestamps(sfn, execution, "WaitStateExited")]
    # branches end at +50 and +100; the Map starts at +100, its items end at +110..+130
    assert offsets == [50, 100, 110, 120, 130]
    assert stop_date(sfn, execution) == START + timedelta(seconds=130)


def test_stop_execution_interrupts_a_virtual_wait(clock, sfn):
    sm = create_state_machine(sfn, "stoppable", WAIT_SECONDS_PATH)
    execution = start(sfn, sm, "stopped", {"seconds": 86400})

    clock.run_until(START + timedelta(hours=3))
    sfn.stop_execution(executionArn=execution)
    clock.settle()

    assert status(sfn, execution) == "ABORTED"
    assert clock.next_wakeup() is None
    clock.run_until(START + timedelta(days=2))
    assert events(sfn, execution, "WaitStateExited") == []


# -- many journeys, determinism --------------------------------------------------------
JOURNEY_DEFINITION = {
    # Each journey waits, then appends its name to one shared DynamoDB list: the list
    # records the global order in which journeys woke, ties included.
    "StartAt": "Wait",
    "States": {
        "Wait": {"Type": "Wait", "SecondsPath": "$.seconds", "Next": "Record"},
        "Record": {
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:updateItem",
            "Parameters": {
                "TableName": "wakeups",
                "Key": {"pk": {"S": "log"}},
                "UpdateExpression": "SET #order = list_append(if_not_exists(#order, :empty), :me)",
                "ExpressionAttributeNames": {"#order": "order"},
                "ExpressionAttributeValues": {
                    ":empty": {"L": []},
                    ":me": {"L": [{"S.$": "$$.Execution.Name"}]},
                },
            },
            "End": True,
        },
    },
}
# 20 journeys, started in this order; several share a wake-up time.
JOURNEY_WAITS = [3000, 600, 1800, 600, 7200, 60, 3000, 1200, 5400, 60,
                 600, 2400, 4200, 900, 3000, 6600, 300, 1500, 7200, 60]  # fmt: skip


def run_journeys() -> tuple[list[tuple[str, datetime]], list[str]]:
    """Start all journeys at START; return (name, stopDate) in start order and wake order."""
    with mock_aws(config=SFN_CONFIG), VirtualClock(start=START) as clock:
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(
            TableName="wakeups",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        sfn = boto3.client("stepfunctions", region_name=REGION)
        sm = create_state_machine(sfn, "journey", JOURNEY_DEFINITION)
        arns = [start(sfn, sm, f"journey-{i:02d}", {"seconds": seconds}) for i, seconds in enumerate(JOURNEY_WAITS)]

        halfway = START + timedelta(seconds=2000)
        clock.run_until(halfway)
        finished = sorted(sfn.describe_execution(executionArn=arn)["name"] for arn in arns if status(sfn, arn) == "SUCCEEDED")
        assert finished == sorted(f"journey-{i:02d}" for i, s in enumerate(JOURNEY_WAITS) if s <= 2000)

        clock.run_until(START + timedelta(hours=3))
        stops = []
        for arn in arns:
            described = sfn.describe_execution(executionArn=arn)
            assert described["status"] == "SUCCEEDED"
            stops.append((described["name"], described["stopDate"]))
        item = dynamodb.get_item(TableName="wakeups", Key={"pk": {"S": "log"}})["Item"]
        wake_order = [entry["S"] for entry in item["order"]["L"]]
    return stops, wake_order


def test_many_journeys_wake_in_order_at_their_own_times():
    began = real_seconds()
    stops, wake_order = run_journeys()

    assert stops == [(f"journey-{i:02d}", START + timedelta(seconds=seconds)) for i, seconds in enumerate(JOURNEY_WAITS)]
    # Earliest first; journeys waking at the same instant in the order they were started.
    expected = sorted(range(len(JOURNEY_WAITS)), key=lambda i: (JOURNEY_WAITS[i], i))
    assert wake_order == [f"journey-{i:02d}" for i in expected]
    assert real_seconds() - began < 15


def test_same_scenario_twice_gives_identical_results():
    first = run_journeys()
    second = run_journeys()

    assert first == second


# -- clock mechanics -------------------------------------------------------------------
def test_install_before_mock_aws_and_uninstall_restores_moto():
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.program import program
    from moto.stepfunctions.parser.backend import execution_worker

    originals = (retrier_decl.time, program.threading, execution_worker.Thread)

    with VirtualClock(start=START) as clock, mock_aws(config=SFN_CONFIG):
        sfn = boto3.client("stepfunctions", region_name=REGION)
        sm = create_state_machine(sfn, "clock-first", WAIT_SECONDS_PATH)
        execution = start(sfn, sm, "clock-first", {"seconds": 7 * 86400})
        clock.advance(timedelta(days=7))
        assert stop_date(sfn, execution) == START + timedelta(days=7)
        with pytest.raises(ValueError):
            clock.run_until(START)

    assert (retrier_decl.time, program.threading, execution_worker.Thread) == originals
    assert abs(datetime.now(UTC) - START) > timedelta(days=1)  # real time again
    with pytest.raises(RuntimeError):
        clock.settle()

    # Stock moto still works in this process: a one-second Wait in real time.
    with mock_aws(config=SFN_CONFIG):
        sfn = boto3.client("stepfunctions", region_name=REGION)
        sm = create_state_machine(sfn, "after", WAIT_SECONDS_PATH)
        execution = start(sfn, sm, "after", {"seconds": 1})
        deadline = real_seconds() + 10
        while status(sfn, execution) == "RUNNING" and real_seconds() < deadline:
            time.sleep(0.05)
        assert status(sfn, execution) == "SUCCEEDED"


def test_settle_watchdog_names_the_stuck_engine_thread(clock):
    from moto.stepfunctions.parser.asl.component.program import program

    release = threading.Event()  # real event: this thread is busy in real time
    stuck = program.threading.Thread(target=release.wait, name="stuck-engine-thread")
    stuck.start()
    try:
        with pytest.raises(ClockStalled, match="stuck-engine-thread"):
            clock.settle(timeout_real_seconds=0.2)
    finally:
        release.set()
    clock.settle()
    assert not stuck.is_alive()
