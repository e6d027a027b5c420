"""Runs Lambda handlers in this process instead of in Docker.

moto's ``LambdaFunction._invoke_lambda`` is the one place a container would start; it is
replaced by a call of the function's own ``app.handler`` with the function's own
environment variables, so moto keeps its existence checks, ``FunctionError`` and logs, and
Step Functions tasks, EventBridge targets and the local HTTP API all reach the real code.
Environment variables are process-wide, so invocations are serialised with a re-entrant
lock (an ingest handler's PutEvents invokes the event handler inside its own call).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from moto.awslambda.models import LambdaFunction

_modules: dict[Path, ModuleType] = {}


@dataclass
class FunctionSpec:
    name: str
    code_dir: Path
    handler: str  # "app.handler"
    environment: dict[str, str]
    timeout: int = 10
    memory_size: int = 256


@dataclass
class LambdaContext:
    """The fields of the real context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


@dataclass
class Invocation:
    function: str
    event: Any
    errored: bool
    error: str | None = None


class InProcessLambdas:
    def __init__(self, layer_dirs: list[Path]):
        self.functions: dict[str, FunctionSpec] = {}
        self.invocations: list[Invocation] = []
        self._lock = threading.RLock()
        self._original: Callable | None = None
        # Which function this thread is running right now (fault injection scopes its faults
        # to the functions' own AWS calls, never the test's or the engine's).
        self.running = threading.local()
        for layer in layer_dirs:
            if str(layer) not in sys.path:
                sys.path.insert(0, str(layer))

    def register(self, spec: FunctionSpec) -> None:
        self.functions[spec.name] = spec

    def install(self) -> None:
        runtime = self
        self._original = LambdaFunction._invoke_lambda

        def _invoke_lambda(function: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
            return runtime.invoke(function.function_name, function.function_arn, event)

        LambdaFunction._invoke_lambda = _invoke_lambda

    def uninstall(self) -> None:
        if self._original is not None:
            LambdaFunction._invoke_lambda = self._original
            self._original = None

    def _handler(self, spec: FunctionSpec) -> Callable:
        module_file, _, attribute = spec.handler.rpartition(".")
        path = (spec.code_dir / f"{module_file}.py").resolve()
        module = _modules.get(path)
        if module is None:
            # Each function's handler module is called app.py: load each under its own name.
            module_spec = importlib.util.spec_from_file_location(f"encore_function_{spec.code_dir.name}", path)
            module = importlib.util.module_from_spec(module_spec)
            module_spec.loader.exec_module(module)
            _modules[path] = module
        return getattr(module, attribute)

    def invoke(self, name: str, arn: str, event: Any) -> tuple[str, bool, str]:
        spec = self.functions[name]
        if isinstance(event, (str, bytes)):
            event = json.loads(event or "{}")
        with self._lock:
            saved = os.environ.copy()
            os.environ.update(spec.environment)
            os.environ["AWS_LAMBDA_FUNCTION_NAME"] = name
            outer = getattr(self.running, "name", None)
            self.running.name = name
            try:
                context = LambdaContext(name, spec.memory_size, arn, log_group_name=f"/aws/lambda/{name}")
                result = self._handler(spec)(event, context)
                self.invocations.append(Invocation(name, event, errored=False))
                return json.dumps(result, default=str), False, ""
            except Exception as error:  # the Lambda runtime reports any exception as FunctionError
                payload = {
                    "errorType": type(error).__name__,
                    "errorMessage": str(error),
                    "stackTrace": traceback.format_exception(error),
                }
                self.invocations.append(Invocation(name, event, errored=True, error="".join(payload["stackTrace"])))
                return json.dumps(payload), True, "".join(payload["stackTrace"])
            finally:
                self.running.name = outer
                # Restore key by key, never through an empty environment: the test's own thread
                # may be creating a boto3 client (and reading AWS_DEFAULT_REGION) right now.
                for key in set(os.environ) - set(saved):
                    del os.environ[key]
                os.environ.update(saved)
