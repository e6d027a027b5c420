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
