"""Named errors a client can cause; the ingest handler maps each to an HTTP status."""

from __future__ import annotations


class ClientError(Exception):
    """Base for every mistake of the caller: never a 5xx."""

    status = 400

    def __init__(self, reason: str, problems: list[dict] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.problems = problems or []


class SignatureMismatch(ClientError):
    status = 401


class UnknownStore(ClientError):
    status = 401


class PayloadTooLarge(ClientError):
    status = 413


class UnsupportedMediaType(ClientError):
    status = 415


class MalformedPayload(ClientError):
    """The body is not JSON (or not the JSON object the topic needs)."""


class InvalidPayload(ClientError):
    """JSON, but required fields are missing or wrong: ``problems`` names each field."""


def problems_from_validation(error) -> list[dict]:
    """Turn a pydantic ValidationError into a list of {field, problem} a client can act on."""
    return [{"field": ".".join(str(part) for part in issue["loc"]) or "(body)", "problem": issue["msg"]} for issue in error.errors(include_url=False)]
