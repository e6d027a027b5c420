"""Conventions every journey must keep, checked on the ASL files as deployed: a channel
failure is retried, and a marketing message held back by the guards (quiet hours, the
frequency cap) makes the journey wait and ask again instead of moving on."""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from encore.messaging import is_marketing

STATE_MACHINES = sorted((Path(__file__).parents[2] / "statemachines").glob("*.asl.json"))


def _sends(definition: dict):
    for name, state in definition["States"].items():
        if state.get("Type") == "Task" and state.get("Parameters", {}).get("FunctionName") == "${SendMessageFunctionArn}":
            yield name, state


@pytest.mark.parametrize("path", STATE_MACHINES, ids=lambda path: path.name)
def test_every_send_retries_a_channel_failure(path):
    for name, state in _sends(json.loads(path.read_text())):
        assert any("ChannelUnavailable" in retry["ErrorEquals"] for retry in state.get("Retry", [])), name


@pytest.mark.parametrize("path", STATE_MACHINES, ids=lambda path: path.name)
def test_every_marketing_send_waits_when_held_back_and_asks_again(path):
    definition = json.loads(path.read_text())
    states = definition["States"]
    for name, state in _sends(definition):
        if not is_marketing(state["Parameters"]["Payload"].get("template", "")):
            continue
        assert state["ResultSelector"].get("deferred_until.$") == "$.Payload.deferred_until", name
        choice = states[state["Next"]]
        assert choice["Type"] == "Choice", name
        (held_back,) = [rule for rule in choice["Choices"] if rule.get("IsNull") is False]
        assert held_back["Variable"] == f"{state['ResultPath']}.deferred_until", name
        wait = states[held_back["Next"]]
        assert (wait["Type"], wait["TimestampPath"], wait["Next"]) == ("Wait", held_back["Variable"], name)


RECORD = "Record why the journey could not go on"
ALERT = "Tell the operators that a journey step failed"
FAILURE_ENDING = "Journey ended: a step failed"


@pytest.mark.parametrize("path", STATE_MACHINES, ids=lambda path: path.name)
def test_every_task_error_no_retry_covers_ends_at_the_named_failure_ending(path):
    """A step error no Retry names (a bug, a malformed input) must not fail the execution
    and silently drop the later steps: the last catcher takes it to the failure record."""
    states = json.loads(path.read_text())["States"]
    for name, state in states.items():
        if state["Type"] != "Task" or name in (RECORD, ALERT):
            continue
        last = state["Catch"][-1]
        assert last["ErrorEquals"] == ["States.ALL"], name
        assert all("States.ALL" not in catcher["ErrorEquals"] for catcher in state["Catch"][:-1]), name
        if last["Next"] == RECORD:
            assert last["ResultPath"] == "$.failure" and last["Assign"] == {"failed_state": name}, name
        else:  # a best-effort step (the retargeting audience) goes on by design
            assert "audience" in name and last["ResultPath"] != "$.failure", name
    assert any(catcher["Next"] == RECORD for state in states.values() for catcher in state.get("Catch", [])), "no step reaches the failure record"


@pytest.mark.parametrize("path", STATE_MACHINES, ids=lambda path: path.name)
def test_the_failure_ending_cannot_fail_the_execution(path):
    states = json.loads(path.read_text())["States"]
    record, alert, ending = states[RECORD], states[ALERT], states[FAILURE_ENDING]
    assert record["Resource"] == "arn:aws:states:::dynamodb:putItem" and alert["Resource"] == "arn:aws:states:::events:putEvents"
    assert (record["Next"], alert["Next"], ending["Type"]) == (ALERT, FAILURE_ENDING, "Succeed")
    for state, then in ((record, ALERT), (alert, FAILURE_ENDING)):
        assert [(c["ErrorEquals"], c["Next"]) for c in state["Catch"]] == [(["States.ALL"], then)]
        assert state["ResultPath"] is None  # the failure stays as caught
    # Only the failure path reaches the ending: a SUCCEEDED execution there always means a failed step.
    into_ending = {
        name for name, state in states.items() if state.get("Next") == FAILURE_ENDING or any(c["Next"] == FAILURE_ENDING for c in state.get("Catch", []))
    }
    assert into_ending == {ALERT}
    item = record["Parameters"]["Item"]
    assert set(item) == {"pk", "sk", "state", "error", "state_machine", "at"}  # ids and names only, no Cause
    assert item["sk"] == {"S.$": "States.Format('FAILURE#{}', $$.Execution.Name)"}
    assert alert["Parameters"]["Entries"][0]["Source"] == "encore.journeys"


def _all_states(states: dict):
    """(name, state) of a definition, nested Map/Parallel states included."""
    for name, state in states.items():
        yield name, state
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                yield from _all_states(state[key]["States"])
        for branch in state.get("Branches", []):
            yield from _all_states(branch["States"])


# -- Retry: a few named shapes, each with full jitter ----------------------------------
def _retrier(errors: list[str], interval: int, attempts: int, max_delay: int | None = None) -> dict:
    # Full jitter: after an outage every journey that failed at once would otherwise retry
    # at once, and knock the recovering service over again.
    retrier = {"ErrorEquals": errors, "IntervalSeconds": interval, "MaxAttempts": attempts, "BackoffRate": 2, "JitterStrategy": "FULL"}
    return retrier | ({"MaxDelaySeconds": max_delay} if max_delay else {})


# Lambda's own hiccups (throttling, a service error): the function never ran, try again soon.
LAMBDA_SERVICE = _retrier(["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"], 2, 3)
# The function ran and failed transiently (a dependency throttled it, it crashed or timed out).
# A send makes about a dozen DynamoDB calls: with 3 % of calls throttled after the SDK's own
# retries, an attempt fails about one time in three, so four retries left one send in 200 at a
# failure ending (make bench-faults); eight, capped at 5 minutes apart, leave one in 10,000.
FUNCTION_TRANSIENT = _retrier(["TemporaryFailure", "Runtime.ExitError", "Sandbox.Timedout"], 5, 8, max_delay=300)

RETRY_SHAPES: dict[str, tuple[list[dict], str]] = {
    "task function": ([LAMBDA_SERVICE, FUNCTION_TRANSIENT], "a wait or any other Lambda task: retried while Lambda or a dependency recovers"),
    "send": (
        [LAMBDA_SERVICE, FUNCTION_TRANSIENT, _retrier(["ChannelUnavailable"], 60, 6, max_delay=900)],
        "a message step: a channel outage or its sending rate (the provider refused, nothing sent, the claim given back) lasts minutes, so it waits longer",
    ),
    "retargeting audience": (
        [LAMBDA_SERVICE, FUNCTION_TRANSIENT, _retrier(["AudienceWebhookFailed"], 60, 4)],
        "the ad platform's webhook is down for minutes, like a channel",
    ),
    "failure record": (
        [
            _retrier(
                [
                    "DynamoDB.ProvisionedThroughputExceededException",
                    "DynamoDB.ThrottlingException",
                    "DynamoDB.InternalServerErrorException",
                    "DynamoDB.RequestLimitExceeded",
                ],
                2,
                3,
            )
        ],
        "the direct DynamoDB write of why a journey failed: only throttling and DynamoDB's own errors pass",
    ),
    "operators' alert": (
        [_retrier(["EventBridge.InternalException", "EventBridge.ThrottlingException", "States.TaskFailed"], 2, 3)],
        "the EventBridge event the operators' alarm watches",
    ),
    "staff alert": (
        [_retrier(["SNS.InternalErrorException", "SNS.ThrottledException", "SNS.KMSThrottlingException"], 2, 3)],
        "the SNS notice to the store's staff (a negative review)",
    ),
}


def retry_problems(path_name: str, definition: dict) -> list[str]:
    """Every Retry block that is not one of RETRY_SHAPES, named by file and state."""
    shapes = [shape for shape, _reason in RETRY_SHAPES.values()]
    problems = []
    for name, state in _all_states(definition["States"]):
        if "Retry" in state and state["Retry"] not in shapes:
            problems.append(f"{path_name}: {name!r} has a Retry that is none of the named shapes ({', '.join(RETRY_SHAPES)})")
    return problems


@pytest.mark.parametrize("path", STATE_MACHINES, ids=lambda path: path.name)
def test_every_retry_is_one_of_the_named_shapes_with_full_jitter(path):
    assert retry_problems(path.name, json.loads(path.read_text())) == []


def test_a_retry_outside_the_named_shapes_is_named():
    definition = json.loads((STATE_MACHINES[0].parent / "cart_abandonment.asl.json").read_text())
    del definition["States"]["Send reminder 2"]["Retry"][2]["JitterStrategy"]
    assert retry_problems("cart_abandonment.asl.json", definition) == [
        f"cart_abandonment.asl.json: 'Send reminder 2' has a Retry that is none of the named shapes ({', '.join(RETRY_SHAPES)})"
    ]


def test_every_task_that_can_fail_transiently_retries():
    for path in STATE_MACHINES:
        for name, state in _all_states(json.loads(path.read_text())["States"]):
            if state.get("Type") == "Task":
                assert state.get("Retry"), f"{path.name}: {name!r}"


# -- Names: what a state waits for, never a duration a setting can change ----------------
DURATION = re.compile(r"\b(\d+(\.\d+)?|a|an|one|more)\s+(more\s+)?(second|minute|hour|day|week|month)s?\b", re.IGNORECASE)


def test_no_state_is_named_after_a_duration():
    """The waits come from the store's settings ($.waits.*): "Wait 1 hour" lies as soon as a
    store sets another delay; "Wait until browse reminder 1 is due" stays true."""
    named = [
        f"{path.name}: {name!r}" for path in STATE_MACHINES for name, _state in _all_states(json.loads(path.read_text())["States"]) if DURATION.search(name)
    ]
    assert named == []


def test_the_duration_rule_sees_the_old_names():
    assert DURATION.search("Wait 1 hour for an order") and DURATION.search("Wait 3.5 days after the purchase")
    assert DURATION.search("Wait a day after the order") and DURATION.search("Wait 3 more days for the review")
    assert not DURATION.search("Wait for an order until browse reminder 1 is due")


# -- Send steps: version 2 and the exit rules by name ------------------------------------
STEP_INPUT_VERSION = 2
# The vocabulary of exit rules the send-message function re-checks just before sending.
EXIT_RULES = ("order_settled", "cart_closed", "cart_reached_threshold", "ordered_since", "bought")


def expected_exit_rules(payload: dict) -> list[str]:
    """The exit rules the send-message function inferred for version-1 inputs, from the
    template name and the fields passed: the rules a version-2 input must name."""
    template = payload["template"]
    rules = {
        "order_settled": template.startswith("payment_reminder_"),  # paid or cancelled
        "cart_closed": template.startswith("cart_reminder_") or template == "cart_threshold_nudge",
        "cart_reached_threshold": template == "cart_threshold_nudge",
        "ordered_since": "skip_if_ordered_since.$" in payload or "skip_if_ordered_since" in payload,
        "bought": "unless_bought.$" in payload or "unless_bought" in payload,
    }
    return [rule for rule in EXIT_RULES if rules[rule]]


@pytest.mark.parametrize("path", STATE_MACHINES, ids=lambda path: path.name)
def test_every_send_names_its_step_input_version_and_its_exit_rules(path):
    for name, state in _sends(json.loads(path.read_text())):
        payload = state["Parameters"]["Payload"]
        assert payload["version"] == STEP_INPUT_VERSION, f"{path.name}: {name!r}"
        assert payload["exit_if"] == expected_exit_rules(payload), f"{path.name}: {name!r}"


# -- The held-back triple: send → held back? → wait until it may be sent ----------------
# What a copy keeps as its own; everything else must be the same in all copies.
SHARED_PAYLOAD = ("store_id.$", "customer_id.$", "journey.$", "version")
OWN_PAYLOAD = ("step", "template", "exit_if")  # required, values the step's own
SHARED_RESULT = ("sent.$", "reason.$", "deferred_until.$")  # a step may select more


def held_back_triples(states: dict):
    """(send, held back?, wait) state names of every send that waits when held back."""
    for name, state in states.items():
        if state.get("Parameters", {}).get("FunctionName") != "${SendMessageFunctionArn}":
            continue
        choice = states.get(state.get("Next"), {})
        held_back = [rule for rule in choice.get("Choices", []) if rule.get("IsNull") is False]
        if choice.get("Type") == "Choice" and held_back:
            yield name, state["Next"], held_back[0]["Next"]


def triple_shape(states: dict, send_name: str, choice_name: str, wait_name: str) -> dict:
    """The triple with the step's own names and parameters replaced by placeholders."""
    send, choice, wait = (copy.deepcopy(states[name]) for name in (send_name, choice_name, wait_name))
    payload = send["Parameters"]["Payload"]
    send["Parameters"]["Payload"] = {
        key: (value if key in SHARED_PAYLOAD else "<own>") for key, value in payload.items() if key in SHARED_PAYLOAD + OWN_PAYLOAD
    }
    send["ResultSelector"] = {key: value for key, value in send.get("ResultSelector", {}).items() if key in SHARED_RESULT}
    own_names = {send_name: "<send>", choice_name: "<held back?>", wait_name: "<wait>", choice.get("Default"): "<then>"}
    result = send["ResultPath"]

    def placeholders(value):
        if isinstance(value, dict):
            return {key: placeholders(item) for key, item in value.items()}
        if isinstance(value, list):
            return [placeholders(item) for item in value]
        if isinstance(value, str) and value in own_names:
            return own_names[value]
        if isinstance(value, str) and (value == result or value.startswith(result + ".")):
            return "<result>" + value[len(result) :]
        return value

    return placeholders({"send": send, "held back?": choice, "wait": wait})


def triple_differences(definitions: dict[str, dict]) -> list[str]:
    """Each copy of the triple that differs from the most common one, by file and state."""
    shapes = {
        (path_name, send): triple_shape(definition["States"], send, choice, wait)
        for path_name, definition in definitions.items()
        for send, choice, wait in held_back_triples(definition["States"])
    }
    counts = Counter(json.dumps(shape, sort_keys=True) for shape in shapes.values())
    reference = json.loads(counts.most_common(1)[0][0])
    problems = []
    for (path_name, send), shape in shapes.items():
        for part in reference:
            if shape[part] != reference[part]:
                problems.append(f"{path_name}: {send!r} differs from the other copies in its {part!r} state")
    return problems


def _definitions() -> dict[str, dict]:
    return {path.name: json.loads(path.read_text()) for path in STATE_MACHINES}


def test_every_copy_of_the_held_back_triple_is_the_same():
    definitions = _definitions()
    assert sum(1 for definition in definitions.values() for _ in held_back_triples(definition["States"])) == 24
    assert triple_differences(definitions) == []


@pytest.mark.parametrize(
    "mutate, part",
    [
        (lambda states: states["Wait until the reminder 2 may be sent"].update(Next="Send reminder 1"), "wait"),
        (lambda states: states["Send reminder 2"]["Retry"].pop(), "send"),
        (lambda states: states["Send reminder 2"]["Parameters"]["Payload"].pop("version"), "send"),
        (lambda states: states["Was the reminder 2 held back?"]["Choices"][0].update(Variable="$.messages.reminder_1.deferred_until"), "held back?"),
    ],
    ids=["wait goes elsewhere", "a retrier dropped", "no version", "asks another step's result"],
)
def test_a_copy_that_differs_is_named_by_file_and_state(mutate, part):
    definitions = _definitions()
    mutate(definitions["cart_abandonment.asl.json"]["States"])
    assert triple_differences(definitions) == [f"cart_abandonment.asl.json: 'Send reminder 2' differs from the other copies in its {part!r} state"]
