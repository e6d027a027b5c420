"""The layer's lock (layers/common/requirements.txt, written by `make lock`): a fully pinned,
hashed closure of requirements.in, with nothing only tests need, and the dev venv runs the
same versions the layer ships."""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from infra.build_check import locked, normalise

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "layers" / "common" / "requirements.txt"
INPUT = ROOT / "layers" / "common" / "requirements.in"
TEST_ONLY = {"moto", "pytest", "freezegun", "hypothesis", "schemathesis", "cfn-lint", "aws-sam-translator", "pyyaml", "responses"}


def _requirements(text: str) -> list[str]:
    """One logical requirement per entry (continuation lines joined), comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    return [line.split("#", 1)[0].strip() for line in joined.splitlines() if line.split("#", 1)[0].strip()]


def test_every_locked_package_is_pinned_exactly_with_hashes():
    entries = _requirements(LOCK.read_text())
    assert len(entries) == len(locked()) > 10
    for entry in entries:
        assert re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*==\S+ ", entry), entry
        assert len(re.findall(r"--hash=sha256:[0-9a-f]{64}", entry)) >= 1, entry


def test_the_lock_is_the_closure_of_the_input_at_its_pins():
    pins = locked()
    for entry in _requirements(INPUT.read_text()):
        name, pinned = re.match(r"^([A-Za-z0-9._-]+)(?:\[[^\]]*\])?==(\S+)$", entry).groups()
        assert pins[normalise(name)] == pinned, entry
    # What the code imports through Powertools' extras, and the SDK itself (never the runtime's).
    for needed in ("pydantic", "pydantic-core", "aws-xray-sdk", "boto3", "botocore", "s3transfer"):
        assert needed in pins, needed


def test_nothing_only_tests_need_ships_in_the_layer():
    assert TEST_ONLY.isdisjoint(locked())


def test_the_dev_venv_runs_the_versions_the_layer_ships():
    differing = {}
    for name, pinned in locked().items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = None
        if installed != pinned:
            differing[name] = (pinned, installed)
    assert differing == {}, "run `make test` after `make lock` (the venv reinstalls): " + repr(differing)
