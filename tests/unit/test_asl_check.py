import json
from pathlib import Path

import pytest

from infra.local.asl_check import InvalidDefinition, check_definition, definition_problems

STATEMACHINES = Path(__file__).resolve().parents[2] / "statemachines"


def test_a_next_that_names_a_missing_state_is_caught():
    definition = {
        "StartAt": "Wait until the reminder is due",
        "States": {
            "Wait until the reminder is due": {"Type": "Wait", "Seconds": 3600, "Next": "Send reminder"},
            "Send the reminder": {"Type": "Succeed"},
        },
    }
    with pytest.raises(InvalidDefinition, match="Next names a missing state: 'Send reminder'"):
        check_definition(definition)


def test_catch_and_choice_targets_and_nested_branches_are_checked():
    definition = {
        "StartAt": "Choose",
        "States": {
            "Choose": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": True, "Next": "Nowhere"}], "Default": "Both"},
            "Both": {
                "Type": "Parallel",
                "Branches": [{"StartAt": "Missing start", "States": {"Only": {"Type": "Succeed"}}}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Gone"}],
                "End": True,
            },
        },
    }
    problems = " | ".join(definition_problems(definition))
    assert "Choices[0].Next names a missing state: 'Nowhere'" in problems
    assert "Catch[0].Next names a missing state: 'Gone'" in problems
    assert "StartAt names a missing state: 'Missing start'" in problems


@pytest.mark.parametrize("path", sorted(STATEMACHINES.glob("*.asl.json")), ids=lambda p: p.name)
def test_every_deployed_state_machine_passes(path):
    check_definition(json.loads(path.read_text()))
