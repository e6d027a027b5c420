"""A deploy must accept the step inputs of the release before it.

Executions keep the definition they started with, so after an upgrade yesterday's journeys
call today's task functions with yesterday's payloads (``infra/step_contracts.py``). Each
recorded payload must still validate against the function's request model; a field may be
added with a default, never made required or renamed.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from infra.local.template import load_template
from infra.step_contracts import CONTRACTS, shape_key, task_functions

ROOT = Path(__file__).resolve().parents[2]


def _model_in_handler(function_dir: str, name: str) -> type[BaseModel]:
    spec = importlib.util.spec_from_file_location(f"contract_{function_dir}", ROOT / "functions" / function_dir / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


def request_models() -> dict[str, type[BaseModel]]:
    """The model each task function validates its event with (see its app.py)."""
    from encore.messaging import StepRequest

    return {
        "SendMessageFunction": StepRequest,
        "WaitForEventFunction": _model_in_handler("wait_for_event", "WaitRequest"),
        "WaitForOrderFunction": _model_in_handler("wait_for_order", "WaitRequest"),
        "RetargetingAudienceFunction": _model_in_handler("retargeting_audience", "AudienceRequest"),
    }


RECORDED = json.loads(CONTRACTS.read_text())
TEMPLATE = load_template(ROOT / "template.yaml")


def test_every_function_a_state_machine_calls_has_a_model_and_recorded_inputs():
    functions = task_functions(TEMPLATE)
    assert functions == set(request_models())
    assert functions <= {entry["function"] for entry in RECORDED.values()}


@pytest.mark.parametrize("key", sorted(RECORDED))
def test_a_recorded_step_input_is_still_accepted(key):
    entry = RECORDED[key]
    try:
        request_models()[entry["function"]].model_validate(entry["payload"])
    except ValidationError as error:
        pytest.fail(f"a journey started on an earlier release would fail at this step after the deploy: {key}\n{error}")


def test_every_send_step_of_today_s_state_machines_is_recorded():
    """A new or reshaped step must be recorded (make step-contracts) before it is released,
    so that the next release is checked against it."""
    templates = set()
    for path in sorted((ROOT / "statemachines").glob("*.asl.json")):
        for state in _states(json.loads(path.read_text())):
            payload = state.get("Parameters", {}).get("Payload", {})
            if state.get("Parameters", {}).get("FunctionName") == "${SendMessageFunctionArn}":
                templates.add(payload["template"])
    recorded = {entry["payload"].get("template") for entry in RECORDED.values()}
    assert templates - recorded == set(), "run `make step-contracts`"


def test_the_shape_key_ignores_the_customer_and_sees_a_new_field():
    base = {"store_id": "s", "customer_id": "a", "journey": "cart-abandonment-s-a-1", "step": "reminder_1", "template": "cart_reminder_1"}
    assert shape_key("SendMessageFunction", base) == shape_key("SendMessageFunction", {**base, "customer_id": "b", "journey": "cart-abandonment-s-b-2"})
    assert shape_key("SendMessageFunction", base) != shape_key("SendMessageFunction", {**base, "coupon_code": "X"})


def test_a_field_made_required_would_be_caught():
    from encore.messaging import StepRequest

    class StricterStepRequest(StepRequest):
        locale: str  # a new required field: yesterday's journeys do not pass it

    payload = next(entry["payload"] for entry in RECORDED.values() if entry["function"] == "SendMessageFunction")
    with pytest.raises(ValidationError):
        StricterStepRequest.model_validate(payload)


def _states(definition: dict):
    for state in definition.get("States", {}).values():
        yield state
        for branch in state.get("Branches", []):
            yield from _states(branch)
        if "Iterator" in state:
            yield from _states(state["Iterator"])
        if "ItemProcessor" in state:
            yield from _states(state["ItemProcessor"])
