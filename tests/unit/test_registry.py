"""The scenario registry and everything that must agree with it: template.yaml's state
machines, the ASL files, the templates each ASL sends, the store settings model and the
demo's coverage. A disagreement fails naming the scenario and what is missing; the second
half of this file breaks a copy of each artefact in turn to show the check notices."""

from __future__ import annotations

import copy
import json
import shutil
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from encore.events import CanonicalEvent
from encore.scenarios import registry
from encore.scenarios.spec import Scenario, ScenarioSettings
from encore.stores import StoreSettings
from infra.local.template import load_template

ROOT = Path(__file__).parents[2]
CHANNELS = ("email", "sms", "push")
EMAIL_PARTS = (".html", ".txt", ".subject.txt")


@dataclass(frozen=True)
class Artefacts:
    """What the registry must agree with (real files, or a broken copy of them)."""

    scenarios: tuple[Scenario, ...]
    template: dict  # template.yaml, parsed
    asl_dir: Path
    templates_dir: Path
    settings_fields: Mapping[str, object]  # StoreSettings' field → its annotation
    demo_planned: frozenset[str]  # scenarios the demo's plan walks
    demo_reported: frozenset[str]  # scenarios the demo report has a number and title for


def canonical_event_types() -> set[str]:
    members = typing.get_args(typing.get_args(CanonicalEvent)[0])
    return {kind for member in members for kind in typing.get_args(member.model_fields["type"].annotation)}


def state_machine_names(template: dict) -> dict[str, str]:
    """Logical id → the state machine's name as written (``${AWS::StackName}-<scenario>``)."""
    found = {}
    for logical, resource in template["Resources"].items():
        if resource["Type"] == "AWS::Serverless::StateMachine":
            name = resource["Properties"]["Name"]
            found[logical] = name.get("Fn::Sub", "") if isinstance(name, dict) else str(name)
    return found


def sent_templates(node) -> Iterator[str]:
    """The "template" of every Send task's payload, wherever the state sits (Parallel, Map)."""
    if isinstance(node, dict):
        payload = node.get("Parameters", {}).get("Payload") if isinstance(node.get("Parameters"), dict) else None
        if isinstance(payload, dict) and isinstance(payload.get("template"), str):
            yield payload["template"]
        for value in node.values():
            yield from sent_templates(value)
    elif isinstance(node, list):
        for value in node:
            yield from sent_templates(value)


def template_files_problem(templates_dir: Path, name: str) -> str | None:
    email = [part for part in EMAIL_PARTS if (templates_dir / "email" / f"{name}{part}").exists()]
    others = [channel for channel in CHANNELS[1:] if (templates_dir / channel / f"{name}.txt").exists()]
    if not email and not others:
        return f"no file for template {name} under templates/{{{','.join(CHANNELS)}}}/"
    if email and len(email) < len(EMAIL_PARTS):
        missing = [f"email/{name}{part}" for part in EMAIL_PARTS if part not in email]
        return f"email template {name} lacks {', '.join(missing)}"
    return None


def disagreements(artefacts: Artefacts) -> list[str]:
    problems: list[str] = []
    scenarios = artefacts.scenarios
    names = [scenario.name for scenario in scenarios]
    for duplicate in sorted({name for name in names if names.count(name) > 1}):
        problems.append(f"{duplicate}: registered twice")
    events = canonical_event_types()
    machines = state_machine_names(artefacts.template)

    for scenario in scenarios:
        who = scenario.name
        # The events it reacts to are canonical events.
        for event in scenario.events:
            if event not in events:
                problems.append(f"{who}: reacts to {event!r}, which is no canonical event")
        # template.yaml: a state machine whose name ends in the scenario's name.
        owners = [logical for logical, name in machines.items() if name.endswith(f"-{who}")]
        if not owners:
            problems.append(f"{who}: template.yaml has no AWS::Serverless::StateMachine named …-{who}")
        for logical in owners:
            uri = artefacts.template["Resources"][logical]["Properties"].get("DefinitionUri")
            if uri != f"statemachines/{scenario.asl_file}":
                problems.append(f"{who}: template.yaml's {logical} deploys {uri}, not statemachines/{scenario.asl_file}")
        # The ASL file, and the templates it sends.
        asl = artefacts.asl_dir / scenario.asl_file
        declared = {template.name for template in scenario.templates}
        if not asl.exists():
            problems.append(f"{who}: no ASL file statemachines/{scenario.asl_file}")
        else:
            sent = set(sent_templates(json.loads(asl.read_text())))
            for name in sorted(sent - declared):
                problems.append(f"{who}: statemachines/{scenario.asl_file} sends template {name}, which the scenario does not declare")
            for name in sorted(declared - sent):
                problems.append(f"{who}: declares template {name}, which statemachines/{scenario.asl_file} never sends")
        for name in sorted(declared):
            problem = template_files_problem(artefacts.templates_dir, name)
            if problem:
                problems.append(f"{who}: {problem}")
        # The store settings: the scenario's field holds its settings model.
        field = scenario.settings_field
        if field not in artefacts.settings_fields:
            problems.append(f"{who}: StoreSettings has no field {field} (its settings model {scenario.settings_model.__name__})")
        elif artefacts.settings_fields[field] is not scenario.settings_model:
            problems.append(f"{who}: StoreSettings.{field} is not {scenario.settings_model.__name__}")
        if "enabled" not in scenario.settings_model.model_fields:
            problems.append(f"{who}: {scenario.settings_model.__name__} has no 'enabled' switch")
        # The demo walks it and reports it.
        if who not in artefacts.demo_planned:
            problems.append(f"{who}: the demo plan (infra/sample_store.py) walks no journey of it")
        if who not in artefacts.demo_reported:
            problems.append(f"{who}: the demo report (infra/demo_report.py) has no number and title for it")

    # And the other way round: nothing scenario-shaped that the registry does not list.
    for logical, name in sorted(machines.items()):
        if not any(name.endswith(f"-{who}") for who in names):
            problems.append(f"template.yaml's state machine {logical} ({name}) is no registered scenario")
    asl_files = {scenario.asl_file for scenario in scenarios}
    for path in sorted(artefacts.asl_dir.glob("*.asl.json")):
        if path.name not in asl_files:
            problems.append(f"statemachines/{path.name} belongs to no registered scenario")
    fields = {scenario.settings_field for scenario in scenarios}
    for field, annotation in sorted(artefacts.settings_fields.items()):
        is_scenario_settings = isinstance(annotation, type) and issubclass(annotation, ScenarioSettings) and "enabled" in annotation.model_fields
        if is_scenario_settings and field not in fields:
            problems.append(f"StoreSettings.{field} ({annotation.__name__}) belongs to no registered scenario")
    for name in sorted((artefacts.demo_planned | artefacts.demo_reported) - set(names)):
        problems.append(f"the demo plans or reports {name}, which is no registered scenario")
    return problems


@pytest.fixture(scope="module")
def real() -> Artefacts:
    from infra.demo_report import SCENARIOS as REPORTED
    from infra.sample_store import plan_store

    plan = plan_store(seed=7, customers=12)
    return Artefacts(
        scenarios=registry.SCENARIOS,
        template=load_template(ROOT / "template.yaml"),
        asl_dir=ROOT / "statemachines",
        templates_dir=ROOT / "layers" / "common" / "encore" / "templates",
        settings_fields={name: field.annotation for name, field in StoreSettings.model_fields.items()},
        demo_planned=frozenset(journey.scenario for customer in plan.customers for journey in customer.journeys),
        demo_reported=frozenset(REPORTED),
    )


def test_the_registry_agrees_with_the_state_machines_asl_templates_settings_and_demo(real):
    assert disagreements(real) == []


def test_an_exit_rule_nobody_implements_is_refused_where_it_is_declared():
    from encore.scenarios.spec import MessageTemplate

    with pytest.raises(ValueError, match=r"cart-abandonment: unknown exit rules \['cart_forgotten'\]"):
        replace(
            registry.scenario("cart-abandonment"),
            templates=(MessageTemplate("cart_reminder_1", marketing=True, content="commercial", exit_rules=("cart_forgotten",)),),
        )


def test_scenarios_are_numbered_and_named_once():
    numbers = [scenario.number for scenario in registry.SCENARIOS]
    assert len(set(numbers)) == len(numbers)
    assert set(registry.BY_NAME) == {scenario.name for scenario in registry.SCENARIOS}


def test_every_scenario_names_how_old_a_trigger_may_be_with_its_own_setting():
    """One rule (spec.too_old_to_start), each scenario's limit from its settings; only the
    review request computes its own (the delay its products need)."""
    from datetime import timedelta

    computed_by_the_start_rule = {"review-request"}
    for scenario in registry.SCENARIOS:
        if scenario.name in computed_by_the_start_rule:
            assert scenario.start_window is None, scenario.name
            continue
        assert scenario.start_window is not None, f"{scenario.name}: no start_window"
        assert scenario.start_window(scenario.settings_model()) > timedelta(0), scenario.name


# ---------------------------------------------------------------- the check catches each kind
VICTIM = "cart-abandonment"  # the scenario whose artefacts are removed, one at a time


def _broken_copy(real: Artefacts, tmp_path: Path) -> Artefacts:
    asl_dir, templates_dir = tmp_path / "statemachines", tmp_path / "templates"
    shutil.copytree(real.asl_dir, asl_dir)
    shutil.copytree(real.templates_dir, templates_dir)
    return replace(real, template=copy.deepcopy(real.template), asl_dir=asl_dir, templates_dir=templates_dir, settings_fields=dict(real.settings_fields))


def test_a_missing_state_machine_is_named(real, tmp_path):
    broken = _broken_copy(real, tmp_path)
    del broken.template["Resources"]["CartAbandonmentStateMachine"]
    assert f"{VICTIM}: template.yaml has no AWS::Serverless::StateMachine named …-{VICTIM}" in disagreements(broken)


def test_a_state_machine_deploying_another_file_is_named(real, tmp_path):
    broken = _broken_copy(real, tmp_path)
    broken.template["Resources"]["CartAbandonmentStateMachine"]["Properties"]["DefinitionUri"] = "statemachines/up_sell.asl.json"
    assert any(problem.startswith(f"{VICTIM}: template.yaml's CartAbandonmentStateMachine deploys") for problem in disagreements(broken))


def test_a_missing_asl_file_is_named(real, tmp_path):
    broken = _broken_copy(real, tmp_path)
    (broken.asl_dir / "cart_abandonment.asl.json").unlink()
    assert f"{VICTIM}: no ASL file statemachines/cart_abandonment.asl.json" in disagreements(broken)


def test_a_template_the_asl_sends_but_the_scenario_does_not_declare_is_named(real, tmp_path):
    broken = _broken_copy(real, tmp_path)
    path = broken.asl_dir / "cart_abandonment.asl.json"
    path.write_text(path.read_text().replace('"cart_reminder_2"', '"cart_reminder_two"'))
    problems = disagreements(broken)
    assert f"{VICTIM}: statemachines/cart_abandonment.asl.json sends template cart_reminder_two, which the scenario does not declare" in problems
    assert f"{VICTIM}: declares template cart_reminder_2, which statemachines/cart_abandonment.asl.json never sends" in problems


def test_a_missing_template_file_is_named(real, tmp_path):
    broken = _broken_copy(real, tmp_path)
    (broken.templates_dir / "email" / "cart_reminder_2.subject.txt").unlink()
    assert f"{VICTIM}: email template cart_reminder_2 lacks email/cart_reminder_2.subject.txt" in disagreements(broken)
    for part in (".html", ".txt"):
        (broken.templates_dir / "email" / f"cart_reminder_2{part}").unlink()
    assert f"{VICTIM}: no file for template cart_reminder_2 under templates/{{email,sms,push}}/" in disagreements(broken)


def test_a_missing_settings_field_is_named(real, tmp_path):
    broken = _broken_copy(real, tmp_path)
    del broken.settings_fields["cart_abandonment"]
    assert f"{VICTIM}: StoreSettings has no field cart_abandonment (its settings model CartAbandonmentSettings)" in disagreements(broken)
    broken.settings_fields["cart_abandonment"] = StoreSettings.model_fields["up_sell"].annotation
    assert f"{VICTIM}: StoreSettings.cart_abandonment is not CartAbandonmentSettings" in disagreements(broken)


def test_a_scenario_the_demo_does_not_walk_or_report_is_named(real, tmp_path):
    broken = replace(_broken_copy(real, tmp_path), demo_planned=real.demo_planned - {VICTIM}, demo_reported=real.demo_reported - {VICTIM})
    problems = disagreements(broken)
    assert f"{VICTIM}: the demo plan (infra/sample_store.py) walks no journey of it" in problems
    assert f"{VICTIM}: the demo report (infra/demo_report.py) has no number and title for it" in problems


def test_a_scenario_missing_from_the_registry_is_named_by_every_artefact_it_left_behind(real, tmp_path):
    broken = replace(_broken_copy(real, tmp_path), scenarios=tuple(s for s in real.scenarios if s.name != VICTIM))
    problems = disagreements(broken)
    assert f"template.yaml's state machine CartAbandonmentStateMachine (${{AWS::StackName}}-{VICTIM}) is no registered scenario" in problems
    assert "statemachines/cart_abandonment.asl.json belongs to no registered scenario" in problems
    assert "StoreSettings.cart_abandonment (CartAbandonmentSettings) belongs to no registered scenario" in problems
    assert f"the demo plans or reports {VICTIM}, which is no registered scenario" in problems


def test_a_scenario_reacting_to_an_unknown_event_is_named(real, tmp_path):
    victim = registry.scenario(VICTIM)
    odd = replace(victim, start_rules={"cart_abandoned": victim.start_rules["cart_updated"]})
    broken = replace(_broken_copy(real, tmp_path), scenarios=tuple(odd if s is victim else s for s in real.scenarios))
    assert f"{VICTIM}: reacts to 'cart_abandoned', which is no canonical event" in disagreements(broken)


# ------------------------------------------------------------------ what reads the registry
def test_what_used_to_keep_its_own_list_reads_the_registry():
    from encore import journeys, messaging
    from encore.stores import MARKETING_SCENARIOS, DeliverySettings
    from infra.demo_report import SCENARIOS as REPORTED

    assert journeys.SCENARIOS == tuple(scenario.name for scenario in registry.SCENARIOS)
    delivery = DeliverySettings()
    for scenario in registry.SCENARIOS:
        assert delivery.priorities.get(scenario.name) == scenario.priority
        assert delivery.stale_after(scenario.name) == (scenario.stale_after_hours or delivery.default_stale_after_hours)
        assert REPORTED[scenario.name] == (scenario.number, scenario.title)
        assert (scenario.settings_field in MARKETING_SCENARIOS) == scenario.marketing
        for template in scenario.templates:
            assert messaging.is_marketing(template.name) == template.marketing, template.name
    # Today's classification, unchanged by the move.
    assert messaging.TRANSACTIONAL_TEMPLATES == {
        "registration_confirmation",
        "order_confirmation",
        "shipping_notice",
        "delivery_notice",
        "payment_reminder_1",
        "payment_reminder_2",
    }
    assert messaging.CART_REMINDERS == {"cart_reminder_1", "cart_reminder_2", "cart_reminder_3"}
    assert messaging.UNPAID_REMINDERS == {"payment_reminder_1", "payment_reminder_2"}
    assert messaging.ORDER_TEMPLATES == messaging.TRANSACTIONAL_TEMPLATES - {"registration_confirmation"}


def test_a_template_two_scenarios_share_is_transactional_only_if_both_say_so(monkeypatch):
    from encore.scenarios.spec import MessageTemplate

    victim = registry.scenario("post-purchase")
    sharing = replace(registry.scenario("up-sell"), templates=(MessageTemplate("order_confirmation", marketing=True, content="commercial"),))
    monkeypatch.setattr(registry, "SCENARIOS", (victim, sharing))
    assert "order_confirmation" not in registry.transactional_templates()


def test_the_triggers_give_every_scenario_reacting_to_the_event_its_chance_in_registry_order(monkeypatch):
    from types import SimpleNamespace

    calls: list[str] = []

    def rule(name: str, started: bool):
        def start(event, customer_id, store, journeys) -> bool:
            calls.append(f"{name}:{customer_id}")
            return started

        return start

    def scenario(name: str, started_by: str, started: bool, event: str = "order_placed") -> Scenario:
        return replace(registry.scenario("cross-sell"), name=name, started_by=started_by, start_rules={event: rule(name, started)})

    monkeypatch.setattr(
        registry,
        "SCENARIOS",
        (
            scenario("first", "triggers", True),
            scenario("with-the-order", "orders", True),
            scenario("other-event", "triggers", True, event="cart_updated"),
            scenario("second", "triggers", False),
        ),
    )
    event = SimpleNamespace(type="order_placed")
    assert registry.start_journeys("triggers", event, "c1", None, None) is True
    assert calls == ["first:c1", "second:c1"]  # one starting does not stop the next
    calls.clear()
    assert registry.start_journeys("orders", event, "c1", None, None) is True
    assert calls == ["with-the-order:c1"]
    assert registry.start_journeys("triggers", SimpleNamespace(type="product_viewed"), "c1", None, None) is False
