"""Static checks of ASL definitions that moto's create_state_machine does not make.

Step Functions rejects a definition whose ``Next`` names a missing state; moto accepts it
and fails only when an execution gets there. Checking here keeps that from reaching a
deploy.
"""

from __future__ import annotations


class InvalidDefinition(ValueError):
    """The ASL definition would be rejected by Step Functions."""


def _targets(state: dict) -> list[tuple[str, str]]:
    found = []
    for key in ("Next", "Default"):
        if key in state:
            found.append((key, state[key]))
    for index, choice in enumerate(state.get("Choices", [])):
        if "Next" in choice:
            found.append((f"Choices[{index}].Next", choice["Next"]))
    for index, catcher in enumerate(state.get("Catch", [])):
        found.append((f"Catch[{index}].Next", catcher.get("Next")))
    return found


def definition_problems(definition: dict, where: str = "") -> list[str]:
    problems: list[str] = []
    states = definition.get("States") or {}
    if not states:
        return [f"{where}States is empty"]
    start = definition.get("StartAt")
    if start not in states:
        problems.append(f"{where}StartAt names a missing state: {start!r}")
    reachable = {start}
    for name, state in states.items():
        kind = state.get("Type")
        targets = _targets(state)
        for field, target in targets:
            if target not in states:
                problems.append(f"{where}state {name!r}: {field} names a missing state: {target!r}")
            reachable.add(target)
        terminal = kind in ("Succeed", "Fail", "Choice") or state.get("End") is True
        if not terminal and "Next" not in state:
            problems.append(f"{where}state {name!r} has neither Next nor End")
        if kind == "Choice" and not state.get("Choices"):
            problems.append(f"{where}Choice state {name!r} has no Choices")
        for index, branch in enumerate(state.get("Branches", [])):
            problems.extend(definition_problems(branch, f"{where}{name}.Branches[{index}]: "))
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            problems.extend(definition_problems(processor, f"{where}{name}.ItemProcessor: "))
    for name in states:
        if name not in reachable:
            problems.append(f"{where}state {name!r} can never be reached")
    return problems


def check_definition(definition: dict) -> None:
    problems = definition_problems(definition)
    if problems:
        raise InvalidDefinition("; ".join(problems))
