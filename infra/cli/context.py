"""What every command needs: the AWS connection, the parameter prefix and the deployed
stack's resource names (the ``{prefix}/stack`` parameter the template writes), and the one
error type for operator mistakes."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


class OperatorError(Exception):
    """A mistake the operator can fix (unknown store, bad file...): one line, exit 1."""


# The global options become the environment variables every AWS SDK reads, so our clients,
# PynamoDB and the layer's own adapters all talk to the same account, region and endpoint.
_ENVIRONMENT = {"profile": ("AWS_PROFILE",), "region": ("AWS_REGION", "AWS_DEFAULT_REGION"), "endpoint_url": ("AWS_ENDPOINT_URL",)}


@contextmanager
def aws_environment(profile: str | None, region: str | None, endpoint_url: str | None) -> Iterator[None]:
    saved = os.environ.copy()
    for option, value in (("profile", profile), ("region", region), ("endpoint_url", endpoint_url)):
        if value:
            for name in _ENVIRONMENT[option]:
                os.environ[name] = value
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@dataclass
class Context:
    prefix: str = "/encore"
    _clients: dict = field(default_factory=dict)
    _stack: dict | None = None

    def client(self, service: str):
        if service not in self._clients:
            import boto3  # on first use: `encore --help` and usage errors need no SDK

            self._clients[service] = boto3.client(service)
        return self._clients[service]

    # ------------------------------------------------------------------ parameters
    def get(self, name: str, *, decrypt: bool = False) -> str | None:
        ssm = self.client("ssm")
        try:
            return ssm.get_parameter(Name=name, WithDecryption=decrypt)["Parameter"]["Value"]
        except ssm.exceptions.ParameterNotFound:
            return None

    def get_json(self, name: str, *, decrypt: bool = False) -> dict | None:
        raw = self.get(name, decrypt=decrypt)
        return json.loads(raw) if raw else None

    def put(self, name: str, value: str, *, secure: bool = False) -> int:
        kind = "SecureString" if secure else "String"
        return self.client("ssm").put_parameter(Name=name, Value=value, Type=kind, Overwrite=True)["Version"]

    def stack(self) -> dict:
        """The deployed stack's resource names (table, bus, archive, API URL...)."""
        if self._stack is None:
            from encore.adapters.secrets import stack_name

            found = self.get_json(stack_name(self.prefix))
            if found is None:
                raise OperatorError(
                    f"no Encore stack found: parameter {stack_name(self.prefix)} is missing (deploy the stack, or check --prefix, --region and --profile)"
                )
            self._stack = found
        return self._stack

    def bind_table(self) -> None:
        """Point the layer's models at the stack's table (the customer reads use them)."""
        from encore.storage.table import bind_table

        bind_table(self.stack()["table"])

    def require_store(self, store_id: str) -> dict:
        """The store's settings document; OperatorError for a store Encore does not know."""
        from encore.adapters.secrets import settings_name

        settings = self.get_json(settings_name(self.prefix, store_id))
        if settings is None:
            raise OperatorError(f"unknown store {store_id!r} (add it with `encore store add {store_id} --platform ...`)")
        return settings


def read_json(path: Path) -> object:
    """A JSON file, or OperatorError naming the file and what is wrong with it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise OperatorError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise OperatorError(f"{path} is a directory, not a file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise OperatorError(f"cannot read {path}: {getattr(error, 'strerror', None) or error}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise OperatorError(f"{path} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}") from None


def read_json_object(path: Path) -> dict:
    document = read_json(path)
    if not isinstance(document, dict):
        raise OperatorError(f"{path} must hold a JSON object, not a {type(document).__name__}")
    return document


def read_secret(what: str, path: Path | None) -> str:
    """A secret from a file or stdin, never from the command line (shell history, ps)."""
    if path is not None:
        try:
            value = path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            raise OperatorError(f"no such file: {path}") from None
        except OSError as error:
            raise OperatorError(f"cannot read {path}: {error.strerror or error}") from None
    elif sys.stdin is not None and sys.stdin.isatty():
        import getpass

        value = getpass.getpass(f"{what}: ").strip()
    else:
        value = (sys.stdin.read() if sys.stdin is not None else "").strip()
    if not value:
        source = path or "stdin"
        raise OperatorError(f"no {what} given on {source} (pipe it in, or name a file with --{what.replace(' ', '-')}-file)")
    return value
