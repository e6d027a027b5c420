"""Journey identity and starting: every scenario is the state machine ``<stack>-<scenario>``,
and every journey has a deterministic execution name, so one trigger never starts two."""

from __future__ import annotations

import hashlib
import re

from encore import signals
from encore.adapters.workflows import Workflows
from encore.clock import iso, utcnow
from encore.scenarios import registry

MAX_NAME = 80  # Step Functions' limit for execution names
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")

# Scenario names (each the suffix of its state machine's name in template.yaml) are declared by
# each scenario's module and listed once in encore.scenarios.registry.
SCENARIOS: tuple[str, ...] = tuple(scenario.name for scenario in registry.SCENARIOS)


def execution_name(scenario: str, store_id: str, customer_id: str, business_key: str) -> str:
    """``cart-abandonment-<store>-<customer>-<cart>``; shortened with a hash when too long.

    The hash covers the raw parts, so two different keys that clean up to the same text
    still get different names.
    """
    parts = [scenario, store_id, customer_id, business_key]
    readable = "-".join(_UNSAFE.sub("_", part) for part in parts)
    if len(readable) <= MAX_NAME and readable == "-".join(parts):
        return readable
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]
    return f"{readable[: MAX_NAME - len(digest) - 1]}-{digest}"


class Journeys:
    """Starts scenario journeys and releases waiting ones (``workflows``).

    ``arn_prefix`` is ``arn:…:stateMachine:<stack>-``: the scenario name completes it, so a
    new scenario needs no new setting in every function that may start it.
    """

    def __init__(self, workflows: Workflows, arn_prefix: str):
        self.workflows = workflows
        self.arn_prefix = arn_prefix

    def arn(self, scenario: str) -> str:
        return f"{self.arn_prefix}{scenario}"

    def name(self, scenario: str, store_id: str, customer_id: str, business_key: str) -> str:
        return execution_name(scenario, store_id, customer_id, business_key)

    def start(self, scenario: str, store_id: str, customer_id: str, business_key: str, payload: dict) -> bool:
        """Start the journey once (False when this trigger already started it). The input
        always carries the store, the customer and the moment the journey began."""
        journey_input = {"store_id": store_id, "customer_id": customer_id, "started_at": iso(utcnow()), **payload}
        started = self.workflows.start(self.arn(scenario), self.name(scenario, store_id, customer_id, business_key), journey_input)
        signals.count("JourneysStarted", scenario, int(started))
        return started
