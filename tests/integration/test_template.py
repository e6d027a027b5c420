"""template.yaml deploys: SAM's own validator with its linter, and cfn-lint on the
translated CloudFormation (cfn-lint on the SAM source cannot see through the transform)."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from samtranslator.translator.transform import transform

from infra.local.template import load_template

ROOT = Path(__file__).resolve().parents[2]


def _sam_binary() -> str:
    sam = os.environ.get("ENCORE_SAM") or shutil.which("sam")
    if not sam or not Path(sam).exists():
        pytest.fail("aws-sam-cli not found: run through `make test`, which installs it in .venv-sam")
    return sam


@pytest.mark.sam
def test_sam_validate_with_lint_passes():
    result = subprocess.run(
        [_sam_binary(), "validate", "--lint", "--region", "us-east-1", "--template-file", str(ROOT / "template.yaml")],
        capture_output=True,
        text=True,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0"},
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


class _NoManagedPolicies:
    """The translator asks IAM for AWS managed policy ARNs; the template names none."""

    def load(self) -> dict:
        return {}


def _translatable(template: dict) -> dict:
    """Local paths become what `sam package` would leave: S3 URIs and inline definitions."""
    template = copy.deepcopy(template)
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str):
                props[key] = f"s3://encore-artifacts/{props[key].strip('/')}.zip"
        if isinstance(props.get("DefinitionUri"), str):
            props["Definition"] = json.loads((ROOT / props.pop("DefinitionUri")).read_text())
    return template


def test_translated_template_passes_cfn_lint(tmp_path):
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    translated = transform(_translatable(load_template(ROOT / "template.yaml")), {}, _NoManagedPolicies())
    output = tmp_path / "translated.json"
    output.write_text(json.dumps(translated, indent=1))
    result = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), "--regions", "us-east-1", "--format", "parseable", str(output)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    # cfn-lint exit codes are bit flags: 2 = errors, 4 = warnings, 8 = informational.
    assert result.returncode & 2 == 0 and result.returncode & 1 == 0, result.stdout + result.stderr
    assert "AWS::StepFunctions::StateMachine" in output.read_text()
