"""Each handler declares the settings it needs (``SETTINGS = HandlerSettings(...)``); the
template gives every one of them to that function, and a missing one fails the invocation,
naming the variable, before any work (importing the handler needs no environment)."""

import ast
import importlib.util
from pathlib import Path

import pytest

from encore.runtime import HandlerSettings
from encore.settings import ENVIRONMENT, MissingSetting
from infra.local.template import load_template

ROOT = Path(__file__).resolve().parents[2]


def declared_needs(app: Path) -> tuple[str, ...]:
    """The settings named in the module's ``HandlerSettings(...)`` call (read, not imported)."""
    for node in ast.walk(ast.parse(app.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "HandlerSettings":
            return ("table_name", *(arg.value for arg in node.args))
    raise AssertionError(f"{app.relative_to(ROOT)} declares no HandlerSettings")


def functions() -> dict[str, dict]:
    template = load_template(ROOT / "template.yaml")
    return {name: spec for name, spec in template["Resources"].items() if spec["Type"] == "AWS::Serverless::Function"}


@pytest.mark.parametrize("logical", sorted(functions()))
def test_the_template_gives_each_handler_every_setting_it_declares(logical):
    template = load_template(ROOT / "template.yaml")
    spec = template["Resources"][logical]["Properties"]
    given = set(template["Globals"]["Function"]["Environment"]["Variables"]) | set((spec.get("Environment") or {}).get("Variables") or {})
    needs = declared_needs(ROOT / spec["CodeUri"] / "app.py")
    missing = [ENVIRONMENT[name] for name in needs if ENVIRONMENT[name] not in given]
    assert missing == [], f"{logical} needs {missing} in its Environment (template.yaml)"


def test_a_missing_setting_fails_the_invocation_naming_the_variable(monkeypatch, lambda_context):
    monkeypatch.setenv("TABLE_NAME", "encore-table")
    monkeypatch.delenv("API_URL", raising=False)
    app = ROOT / "functions" / "send_message" / "app.py"
    spec = importlib.util.spec_from_file_location("send_message_without_api_url", app)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # importing needs no environment
    with pytest.raises(MissingSetting, match="API_URL"):
        module.handler({}, lambda_context)


def test_an_unknown_setting_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown settings"):
        HandlerSettings("table")
