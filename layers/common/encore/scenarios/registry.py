"""The one list of scenarios. Everything that needs to know which scenarios exist (journey
names, the store settings and their defaults, the frequency cap, the triggers, which
messages are transactional, the demo report) reads it here.

Adding a scenario: write ``encore/scenarios/<name>.py`` with its settings model, start rule
and ``SCENARIO``, list it below, add its state machine (``statemachines/<name>.asl.json``
and template.yaml) and its templates; tests/unit/test_registry.py names what is missing.

Import order: the scenario modules import only the spec and the storage / event layers, never
``encore.stores`` or ``encore.journeys`` (those only for type checking), so both of those can
read this registry without a cycle.
"""

from __future__ import annotations

from encore.scenarios import (
    browse_abandonment,
    cart_abandonment,
    cart_threshold_nudge,
    cross_sell,
    education_series,
    post_purchase,
    review_request,
    unpaid_order,
    up_sell,
    welcome_series,
)
from encore.scenarios.spec import MessageTemplate, Scenario

# In the order the journeys' names were first listed (journeys.SCENARIOS keeps it); where
# several scenarios react to one event, the triggers start them in this order.
SCENARIOS: tuple[Scenario, ...] = (
    cart_abandonment.SCENARIO,
    post_purchase.SCENARIO,
    unpaid_order.SCENARIO,
    welcome_series.SCENARIO,
    browse_abandonment.SCENARIO,
    up_sell.SCENARIO,
    cross_sell.SCENARIO,
    review_request.SCENARIO,
    education_series.SCENARIO,
    cart_threshold_nudge.SCENARIO,
)

BY_NAME: dict[str, Scenario] = {scenario.name: scenario for scenario in SCENARIOS}


def scenario(name: str) -> Scenario:
    return BY_NAME[name]


def started_by(module: str, event_type: str) -> list[Scenario]:
    """The scenarios ``module`` (triggers, carts, orders) starts for this canonical event, in
    registry order."""
    return [scenario for scenario in SCENARIOS if scenario.started_by == module and event_type in scenario.start_rules]


def start_journeys(module: str, event, customer_id: str, store, journeys) -> bool:
    """Give every scenario ``module`` starts on this event its chance, in registry order;
    True if any journey started (every rule runs: one starting does not stop the next)."""
    started = False
    for scenario in started_by(module, event.type):
        started |= scenario.start_rules[event.type](event, customer_id, store, journeys)
    return started


def templates() -> list[tuple[Scenario, MessageTemplate]]:
    return [(scenario, template) for scenario in SCENARIOS for template in scenario.templates]


def transactional_templates() -> frozenset[str]:
    """Templates sent without marketing consent. A template shared by two scenarios is
    transactional only if both say so: a doubt must never skip consent."""
    marketing = {template.name for _, template in templates() if template.marketing}
    return frozenset(template.name for _, template in templates() if template.name not in marketing)


def templates_exiting_on(rule: str, *, scenario_name: str | None = None) -> frozenset[str]:
    """Templates whose step ends on ``rule`` (of one scenario when named)."""
    return frozenset(template.name for owner, template in templates() if rule in template.exit_rules and scenario_name in (None, owner.name))


def order_templates() -> frozenset[str]:
    """Transactional messages about one order (the step names it and the message shows it)."""
    transactional = transactional_templates()
    return frozenset(template.name for owner, template in templates() if owner.journey_key == "order" and template.name in transactional)


def priorities() -> dict[str, int]:
    return {scenario.name: scenario.priority for scenario in SCENARIOS if scenario.priority is not None}


def stale_after_hours() -> dict[str, int]:
    return {scenario.name: scenario.stale_after_hours for scenario in SCENARIOS if scenario.stale_after_hours is not None}


def marketing_settings_fields() -> tuple[str, ...]:
    """The settings fields of marketing scenarios (switched off when a store lacks a postal
    address), in registry order."""
    return tuple(scenario.settings_field for scenario in SCENARIOS if scenario.marketing)
