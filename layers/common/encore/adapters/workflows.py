"""Starting journeys and releasing the ones that wait for an event (Step Functions)."""

from __future__ import annotations

import json
from typing import Protocol

from encore.adapters.aws import client
from encore.observability import logger


class Workflows(Protocol):
    def start(self, state_machine_arn: str, name: str, payload: dict) -> bool: ...
    def release(self, task_token: str, outcome: dict) -> bool: ...


class StepFunctionsWorkflows:
    def start(self, state_machine_arn: str, name: str, payload: dict) -> bool:
        """Start once: the name is deterministic, so a repeated trigger is a no-op (False)."""
        sfn = client("stepfunctions")
        try:
            sfn.start_execution(stateMachineArn=state_machine_arn, name=name, input=json.dumps(payload))
        except sfn.exceptions.ExecutionAlreadyExists:
            logger.info("journey already started", extra={"journey": name})
            return False
        return True

    def release(self, task_token: str, outcome: dict) -> bool:
        """Complete a waiting step. False when that wait already ended (timed out or released)."""
        sfn = client("stepfunctions")
        try:
            sfn.send_task_success(taskToken=task_token, output=json.dumps(outcome))
        except (sfn.exceptions.TaskTimedOut, sfn.exceptions.InvalidToken, sfn.exceptions.TaskDoesNotExist):
            logger.info("journey wait had already ended")
            return False
        return True
