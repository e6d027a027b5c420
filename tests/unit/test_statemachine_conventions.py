"""Conventions every journey must keep, checked on the ASL files as deployed: a channel
failure is retried, and a marketing message held back by the guards (quiet hours, the
frequency cap) makes the journey wait and ask again instead of moving on."""

from __future__ import annotations

import json
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
    assert any(
        catcher["Next"] == RECORD for state in states.values() for catcher in state.get("Catch", [])
    ), "no step reaches the failure record"


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
    into_ending = {name for name, state in states.items() if state.get("Next") == FAILURE_ENDING or any(c["Next"] == FAILURE_ENDING for c in state.get("Catch", []))}
    assert into_ending == {ALERT}
    item = record["Parameters"]["Item"]
    assert set(item) == {"pk", "sk", "state", "error", "state_machine", "at"}  # ids and names only, no Cause
    assert item["sk"] == {"S.$": "States.Format('FAILURE#{}', $$.Execution.Name)"}
    assert alert["Parameters"]["Entries"][0]["Source"] == "encore.journeys"
