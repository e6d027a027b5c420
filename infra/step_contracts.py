"""The step inputs a deployed stack must keep accepting.

A deploy replaces the Lambda functions at once, but an execution keeps the state machine
definition it started with: a cart journey that parked yesterday calls today's
send-message function with yesterday's payload. So every payload a released state machine
passes to a task function is a contract. ``tests/contracts/step_inputs.json`` holds one
recorded payload per (function, step, shape); the tests validate each against
today's request models.

    make step-contracts     # run the demo, add any new payload shapes to the file

The file only grows: a shape recorded for a release is never dropped, because executions
started on that release may still be waiting (up to a year for a Standard workflow).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CONTRACTS = ROOT / "tests" / "contracts" / "step_inputs.json"
TOKEN = "<task token>"


def task_functions(template: dict) -> set[str]:
    """Logical ids of the functions state machines invoke (their ARNs are substituted in)."""
    functions: set[str] = set()
    for resource in template["Resources"].values():
        if resource.get("Type") != "AWS::Serverless::StateMachine":
            continue
        for value in resource["Properties"].get("DefinitionSubstitutions", {}).values():
            if isinstance(value, dict) and "Fn::GetAtt" in value:
                target = value["Fn::GetAtt"]
                functions.add(target[0] if isinstance(target, list) else target.split(".")[0])
    return functions


def shape_key(function: str, payload: dict) -> str:
    """One recorded payload per function, step (its template, the awaited events or the
    audience action) and set of keys: journeys are named per customer, steps are not."""
    where = payload.get("template") or ",".join(payload.get("awaiting", [])) or payload.get("action", "")
    return "|".join([function, str(where), ",".join(sorted(payload))])


def normalised(payload: dict) -> dict:
    return {key: (TOKEN if key == "task_token" else value) for key, value in payload.items()}


def merge(recorded: dict[str, dict], invocations: list[tuple[str, dict]]) -> int:
    """Add unseen shapes to ``recorded`` (shape key -> {function, payload}); return how many."""
    added = 0
    for function, payload in invocations:
        key = shape_key(function, payload)
        if key not in recorded:
            recorded[key] = {"function": function, "payload": normalised(payload)}
            added += 1
    return added


def load() -> dict[str, dict]:
    return json.loads(CONTRACTS.read_text()) if CONTRACTS.exists() else {}


def record_from_demo(customers: int) -> list[tuple[str, dict]]:
    """Run the demo (every scenario) and return the task functions' payloads."""
    from infra import demo
    from infra.local.template import load_template

    logical_by_name: dict[str, str] = {}
    captured: list[Any] = []
    original_observe = demo.observe

    def observe(stack, posted):
        observed = original_observe(stack, posted)
        for logical in task_functions(load_template(ROOT / "template.yaml")):
            logical_by_name[stack.physical(logical)] = logical
        captured.extend(observed.invocations)
        return observed

    demo.observe = observe
    try:
        with tempfile.TemporaryDirectory() as out:
            demo.run(demo.parse_args(["--customers", str(customers), "--out", out]))
    finally:
        demo.observe = original_observe
    return [(logical_by_name[call.function], call.event) for call in captured if call.function in logical_by_name]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.step_contracts", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=4, help="cart-mix customers in the demo run (the fixed cast covers every scenario)")
    args = parser.parse_args(argv)
    recorded = load()
    added = merge(recorded, record_from_demo(args.customers))
    CONTRACTS.parent.mkdir(parents=True, exist_ok=True)
    CONTRACTS.write_text(json.dumps(dict(sorted(recorded.items())), indent=1, ensure_ascii=False, default=str) + "\n")
    print(f"{added} new step input shapes; {len(recorded)} recorded in {CONTRACTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
