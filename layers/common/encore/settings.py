"""Typed configuration, read from the function's environment when a handler runs.

Read per invocation (cheap) rather than at import time: the local runtime runs every
function in one process and swaps each function's own environment around its call.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


class MissingSetting(RuntimeError):
    """A function was deployed without an environment variable it needs."""


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise MissingSetting(f"environment variable {name} is not set")
    return value


@dataclass(frozen=True)
class Settings:
    table_name: str
    event_bus_name: str = ""
    parameters_prefix: str = "/encore"
    # ``arn:…:stateMachine:<stack>-``: + a scenario name gives that scenario's state machine.
    journey_arn_prefix: str = ""
    public_base_url: str = "https://shop.example"
    privacy_exports_bucket: str = ""
    api_url: str = ""  # the HTTP API's base URL: unsubscribe links point there
    ses_configuration_set: str = ""  # its events (bounces, complaints, opens) come back to us

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            table_name=_required("TABLE_NAME"),
            event_bus_name=os.environ.get("EVENT_BUS_NAME", ""),
            parameters_prefix=os.environ.get("PARAMETERS_PREFIX", "/encore").rstrip("/"),
            journey_arn_prefix=os.environ.get("JOURNEY_ARN_PREFIX", ""),
            public_base_url=os.environ.get("PUBLIC_BASE_URL", "https://shop.example"),
            privacy_exports_bucket=os.environ.get("PRIVACY_EXPORTS_BUCKET", ""),
            api_url=os.environ.get("API_URL", ""),
            ses_configuration_set=os.environ.get("SES_CONFIGURATION_SET", ""),
        )


# Each setting's environment variable (template.yaml's Globals or the function's Environment).
ENVIRONMENT: dict[str, str] = {
    "table_name": "TABLE_NAME",
    "event_bus_name": "EVENT_BUS_NAME",
    "parameters_prefix": "PARAMETERS_PREFIX",
    "journey_arn_prefix": "JOURNEY_ARN_PREFIX",
    "public_base_url": "PUBLIC_BASE_URL",
    "privacy_exports_bucket": "PRIVACY_EXPORTS_BUCKET",
    "api_url": "API_URL",
    "ses_configuration_set": "SES_CONFIGURATION_SET",
}


def known_settings(needs: tuple[str, ...]) -> tuple[str, ...]:
    """``needs`` unchanged, or ValueError naming the settings that do not exist."""
    unknown = [name for name in needs if name not in ENVIRONMENT]
    if unknown:
        raise ValueError(f"unknown settings {unknown}: settings are {sorted(ENVIRONMENT)}")
    return needs


def check_environment(needs: tuple[str, ...]) -> None:
    """Raise ``MissingSetting`` naming every variable of ``needs`` (settings' names) that is
    unset or empty."""
    missing = [ENVIRONMENT[name] for name in needs if not os.environ.get(ENVIRONMENT[name])]
    if missing:
        raise MissingSetting(f"environment variable(s) {', '.join(missing)} not set: the function's template entry must give them")
