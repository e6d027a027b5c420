"""Reuse what botocore builds from its data files, and the Step Functions engine's clients.

Where the time went (cProfile of tests/scenarios/test_cart_abandonment.py, every thread):
* Every botocore session has its own data loader, and a session's first client of a service
  reads and decodes that service's JSON model (gzip + json, about 60 ms for DynamoDB). Fresh
  sessions are made all the time here: moto drops ``boto3.DEFAULT_SESSION`` at each stack's
  start, PynamoDB keeps one session per thread, and every journey step runs in a new engine
  thread. The models are package data that nothing writes to, so one loader per data path
  serves every session in the process (``install_shared_loader``).
* moto's Step Functions engine builds a new boto3 client for every Lambda task it runs
  (``asl.utils.boto_client.boto_client_for``: 5 to 10 ms each, about ten per journey).
  Its arguments are fixed (region, service, moto's dummy keys and config), so the stack keeps
  one client per (region, service) for its own lifetime (``EngineClients``); boto3 clients
  are thread-safe, and one is created under a lock, as botocore's creation is not.
* Each stack made its own dozen clients to build its resources (5 to 10 ms each, every
  test). A client keeps no account data: moto's interception is a global hook (on while a
  mock runs) and its backends are looked up per request. So the stack's clients are kept
  per process (``shared_client``), per service and per AWS_* environment they were made in.
"""

from __future__ import annotations

import importlib
import os
import threading
from typing import Any

import boto3
import botocore.loaders
import botocore.session

_original_create_loader = botocore.session.create_loader
_loaders: dict[Any, botocore.loaders.Loader] = {}
_loaders_lock = threading.Lock()


def _shared_loader(search_path_string: str | None = None) -> botocore.loaders.Loader:
    with _loaders_lock:
        loader = _loaders.get(search_path_string)
        if loader is None:
            loader = _loaders[search_path_string] = _original_create_loader(search_path_string)
        return loader


def install_shared_loader() -> None:
    """Idempotent: every session created from now on shares its data path's one loader."""
    botocore.session.create_loader = _shared_loader


def uninstall_shared_loader() -> None:
    botocore.session.create_loader = _original_create_loader


_shared_clients: dict[tuple, Any] = {}
_shared_clients_lock = threading.Lock()


def shared_client(service: str):
    """boto3's default client for ``service``, made once per process and AWS_* environment
    (region, credentials and endpoint come from there)."""
    key = (service, tuple(sorted((name, value) for name, value in os.environ.items() if name.startswith("AWS_"))))
    with _shared_clients_lock:
        client = _shared_clients.get(key)
        if client is None:
            client = _shared_clients[key] = boto3.client(service)
        return client


_ENGINE = "moto.stepfunctions.parser."
# Every engine module that imported boto_client_for by name (moto 5.2.5).
_ENGINE_MODULES_USING_CLIENTS = (
    "asl.utils.boto_client",
    "asl.component.state.exec.state_task.lambda_eval_utils",
    "asl.component.state.exec.state_task.service.state_task_service_aws_sdk",
    "asl.component.state.exec.state_task.service.state_task_service_batch",
    "asl.component.state.exec.state_task.service.state_task_service_dynamodb",
    "asl.component.state.exec.state_task.service.state_task_service_ecs",
    "asl.component.state.exec.state_task.service.state_task_service_events",
    "asl.component.state.exec.state_task.service.state_task_service_glue",
    "asl.component.state.exec.state_task.service.state_task_service_sfn",
    "asl.component.state.exec.state_task.service.state_task_service_sns",
    "asl.component.state.exec.state_task.service.state_task_service_sqs",
    "asl.component.state.exec.state_task.service.state_task_service_unsupported",
    "asl.component.state.exec.state_map.item_reader.eval.resource_eval_s3",
    "asl.component.state.exec.state_map.result_writer.resource_eval.resource_eval_s3",
)


class EngineClients:
    """One client per (region, service) for the engine's tasks while a stack runs."""

    def __init__(self) -> None:
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self._undo: list[tuple[Any, Any]] = []

    def install(self) -> None:
        from moto.stepfunctions.parser.asl.utils import boto_client

        original = boto_client.boto_client_for

        def boto_client_for(region: str, service: str, state_credentials: Any = None):
            # moto ignores state_credentials too (it always signs with its dummy keys).
            with self._lock:
                client = self._clients.get((region, service))
                if client is None:
                    client = self._clients[(region, service)] = original(region=region, service=service, state_credentials=state_credentials)
                return client

        for name in _ENGINE_MODULES_USING_CLIENTS:
            module = importlib.import_module(_ENGINE + name)
            if getattr(module, "boto_client_for", None) is not original:
                raise RuntimeError(f"moto changed: {module.__name__}.boto_client_for is not asl.utils.boto_client's; infra/local targets moto 5.2.5")
            self._undo.append((module, original))
            module.boto_client_for = boto_client_for

    def uninstall(self) -> None:
        while self._undo:
            module, original = self._undo.pop()
            module.boto_client_for = original
        self._clients.clear()
