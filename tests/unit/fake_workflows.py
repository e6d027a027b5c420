"""A recording fake of ``encore.adapters.workflows.Workflows`` that behaves as Step Functions
does where start rules depend on it: StartExecution of a name already used is refused
(``ExecutionAlreadyExists``: the journey exists, ``start`` returns False) and starts nothing."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class StartOnceWorkflows:
    started: dict[str, dict] = field(default_factory=dict)  # execution name → input
    arns: dict[str, str] = field(default_factory=dict)  # execution name → state machine ARN
    released: list[tuple[str, dict]] = field(default_factory=list)

    def start(self, state_machine_arn: str, name: str, payload: dict) -> bool:
        if name in self.started:
            return False
        self.started[name] = payload
        self.arns[name] = state_machine_arn
        return True

    def release(self, task_token: str, outcome: dict) -> bool:
        self.released.append((task_token, outcome))
        return True
