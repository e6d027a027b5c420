"""Faults injected into the local stack: the functions' AWS calls fail the way they fail in AWS.

The seam is botocore's ``BaseClient._make_api_call``, the one method every client (boto3's,
PynamoDB's) goes through, scoped to calls a function makes while it runs in the in-process
Lambda runtime (``InProcessLambdas.running``): the test's own reads and the Step Functions
engine are never faulted. A fault is decided by a seeded random draw, so a run is repeatable.
A faulted call never reaches botocore's own retries (they live below this method): what must
cope is the retry around the function (Step Functions Retry, Lambda's asynchronous retries,
the platform re-sending a webhook).

Faults:
- ``dynamodb_throttled``: ProvisionedThroughputExceededException before the call reaches the table.
- ``write_applied_then_condition_failed``: a conditional PutItem / UpdateItem is applied, its
  response is lost, and the SDK's retry of the same request answers ConditionalCheckFailed.
- ``ses_response_lost``: SES accepts the email, the response never arrives (read timeout).
- ``crash_after_send``: SES accepts the email and the function dies before its next line.
- ``ses_throttled``: SES refuses the email before sending it (TooManyRequestsException, 429:
  "Maximum sending rate exceeded").
- ``event_function_down``: an event function (an EventBridge rule's target) fails on every
  attempt at an event, so Lambda's retries fail too and the event lands in its on-failure
  queue; it keeps failing until ``recover_event_functions`` (the fault is fixed), after which the
  operator's ``encore redrive`` puts the event back on the bus. Drawn once per event from a hash
  of the seed and the event's type and detail (which a redrive keeps), so a redriven event is not
  failed again and the same events fail in every run.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.client import BaseClient
from botocore.exceptions import ReadTimeoutError

DYNAMODB_CALLS = {
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
    "TransactWriteItems",
    "TransactGetItems",
}
CONDITIONAL_WRITES = {"PutItem", "UpdateItem"}


class SimulatedCrash(BaseException):
    """The function's sandbox died (timeout, out of memory) right after a call: no line after
    it runs, no ``except Exception`` sees it. The runtime reports ``Runtime.ExitError``."""


@dataclass
class FaultRates:
    dynamodb_throttled: float = 0.0
    write_applied_then_condition_failed: float = 0.0
    ses_response_lost: float = 0.0
    crash_after_send: float = 0.0
    ses_throttled: float = 0.0
    event_function_down: float = 0.0


@dataclass
class FaultInjector:
    lambdas: Any  # infra.local.lambdas.InProcessLambdas
    rates: FaultRates
    seed: int = 0
    # Functions invoked asynchronously (EventBridge, SNS): Lambda retries them twice before
    # the on-failure destination. Modelled here as two immediate re-invocations.
    async_functions: frozenset[str] = frozenset()
    # The functions EventBridge rules invoke: ``event_function_down`` hits these only (an SNS
    # or schedule invocation is not redriven through the bus).
    event_functions: frozenset[str] = frozenset()
    # A small run may draw no case of a rare fault: with this, the first call (or event) that
    # can suffer each fault does, and random draws decide the rest.
    meet_each_fault: bool = False
    # A targeted plan instead of random draws: (function, operation, params) → a fault's
    # name or None. Regression tests use it to fail one precise call.
    decide: Callable[[str, str, dict], str | None] | None = None
    injected: Counter = field(default_factory=Counter)
    _random: random.Random = field(init=False)
    _original_call: Any = field(init=False, default=None)
    _original_invoke: Any = field(init=False, default=None)
    _lock: threading.RLock = field(init=False, default_factory=threading.RLock)
    _not_met_yet: set[str] = field(init=False, default_factory=set)
    _events_drawn: set[str] = field(init=False, default_factory=set)
    _events_down: set[str] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        if self.meet_each_fault:
            self._not_met_yet = {fault for fault, rate in vars(self.rates).items() if rate > 0}

    # ---------------------------------------------------------------- lifecycle
    def install(self) -> FaultInjector:
        injector = self
        self._original_call = original_call = BaseClient._make_api_call

        def _make_api_call(client: BaseClient, operation_name: str, api_params: dict):
            if getattr(injector.lambdas.running, "name", None) is None:
                return original_call(client, operation_name, api_params)
            return injector._call(client, operation_name, api_params, original_call)

        BaseClient._make_api_call = _make_api_call
        self._original_invoke = self.lambdas.invoke
        self.lambdas.invoke = self._invoke
        return self

    def uninstall(self) -> None:
        if self._original_call is not None:
            BaseClient._make_api_call = self._original_call
            self._original_call = None
        if self._original_invoke is not None:
            self.lambdas.invoke = self._original_invoke
            self._original_invoke = None

    def __enter__(self) -> FaultInjector:
        return self.install()

    def __exit__(self, *exc_info) -> None:
        self.uninstall()

    # ---------------------------------------------------------------- faults
    def _choose(self, service: str, operation: str, params: dict) -> str | None:
        """At most one fault per call: which one this call suffers, if any."""
        if service == "dynamodb" and operation in DYNAMODB_CALLS:
            candidates = ["dynamodb_throttled"]
            if operation in CONDITIONAL_WRITES and "ConditionExpression" in params:
                candidates.append("write_applied_then_condition_failed")
        elif service == "sesv2" and operation == "SendEmail":
            candidates = ["ses_throttled", "ses_response_lost", "crash_after_send"]
        else:
            return None
        if self.decide is not None:
            chosen = self.decide(self.lambdas.running.name, operation, params)
            return chosen if chosen in candidates else None
        with self._lock:
            for fault in candidates:
                if fault in self._not_met_yet:
                    self._not_met_yet.discard(fault)
                    return fault
            for fault in candidates:
                rate = getattr(self.rates, fault)
                if rate > 0 and self._random.random() < rate:
                    return fault
        return None

    def _call(self, client: BaseClient, operation: str, params: dict, original):
        fault = self._choose(client.meta.service_model.service_name, operation, params)
        if fault is None:
            return original(client, operation, params)
        self.injected[fault] += 1
        if fault == "ses_throttled":
            raise _client_error(client, operation, "TooManyRequestsException", "Maximum sending rate exceeded.", status=429)
        if fault == "dynamodb_throttled":
            raise _client_error(
                client, operation, "ProvisionedThroughputExceededException", "The level of configured provisioned throughput for the table was exceeded."
            )
        original(client, operation, params)  # every other fault: the call is applied, then…
        if fault == "write_applied_then_condition_failed":
            raise _client_error(client, operation, "ConditionalCheckFailedException", "The conditional request failed")
        if fault == "ses_response_lost":
            raise ReadTimeoutError(endpoint_url="https://email.us-east-1.amazonaws.com/v2/email/outbound-emails")
        raise SimulatedCrash("the function died after SES accepted the email")

    def recover_event_functions(self) -> None:
        """The fault behind ``event_function_down`` is fixed: the events it failed succeed when
        redriven (events seen later are drawn as before: the next outage)."""
        with self._lock:
            self._events_down.clear()

    def _event_function_is_down(self, name: str, event: Any) -> bool:
        if name not in self.event_functions or not isinstance(event, dict) or "detail" not in event:
            return False
        key = json.dumps([event.get("detail-type"), event["detail"]], sort_keys=True, default=str)
        with self._lock:
            if key not in self._events_drawn:
                self._events_drawn.add(key)
                first = "event_function_down" in self._not_met_yet
                self._not_met_yet.discard("event_function_down")
                if first or (self.rates.event_function_down > 0 and _draw(self.seed, key) < self.rates.event_function_down):
                    self._events_down.add(key)
                    self.injected["event_function_down"] += 1
            return key in self._events_down

    def _invoke(self, name: str, arn: str, event: Any) -> tuple[str, bool, str]:
        if self._event_function_is_down(name, event):
            message = "injected: the function's dependency is down"
            return json.dumps({"errorType": "RuntimeError", "errorMessage": message}), True, message
        attempts = 3 if name in self.async_functions else 1
        for attempt in range(attempts):
            try:
                result = self._original_invoke(name, arn, event)
            except SimulatedCrash as crash:
                self.injected["crashed_invocations"] += 1
                message = f"RequestId: local Error: Runtime exited with error: {crash}"
                result = (json.dumps({"errorType": "Runtime.ExitError", "errorMessage": message}), True, message)
            if not result[1] or attempt == attempts - 1:
                return result
            self.injected["async_retries"] += 1
        return result


def _draw(seed: int, key: str) -> float:
    """A uniform draw in [0, 1) fixed by the seed and the event alone: the same events fail
    whatever order threads deliver them in, and however many other calls drew before."""
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _client_error(client: BaseClient, operation: str, code: str, message: str, *, status: int = 400) -> Exception:
    response = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return client.exceptions.from_code(code)(response, operation)


def event_function_names(stack) -> frozenset[str]:
    """Physical names of the functions EventBridge rules invoke (what ``encore redrive`` serves)."""
    return _functions_invoked_by(stack, {"EventBridgeRule"})


def async_function_names(stack) -> frozenset[str]:
    """Physical names of the functions an event source invokes asynchronously."""
    return _functions_invoked_by(stack, {"EventBridgeRule", "SNS", "Schedule", "ScheduleV2"})


def _functions_invoked_by(stack, event_types: set[str]) -> frozenset[str]:
    names = set()
    for logical, resource in stack._of_type("AWS::Serverless::Function"):
        events = (resource.get("Properties") or {}).get("Events") or {}
        if any(event.get("Type") in event_types for event in events.values()):
            names.add(stack.resolver.physical_name(logical))
    return frozenset(names)
