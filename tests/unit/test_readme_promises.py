"""Every behavioural promise in the README names the test that proves it; the names must exist.

A promise is written with its proof next to it: ``(`tests/<path>.py::<test>`)``. A renamed or
deleted test leaves a promise unproven, and this test names it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
REFERENCE = re.compile(r"(tests/[\w/]+\.py)::(\w+)")


def references() -> list[tuple[str, str, str]]:
    found = []
    for document in DOCUMENTS:
        for path, name in REFERENCE.findall(document.read_text()):
            found.append((document.name, path, name))
    return found


def defined_tests(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test")}


def test_the_readme_names_the_tests_behind_its_promises():
    readme = [ref for ref in references() if ref[0] == "README.md"]
    assert len(readme) >= 25, "each behavioural promise in the README names its test"


@pytest.mark.parametrize("document,path,name", references())
def test_a_named_test_exists(document, path, name):
    file = ROOT / path
    assert file.exists(), f"{document} names {path}, which does not exist"
    assert name in defined_tests(file), f"{document} names {path}::{name}, which is not a test there"


def test_a_reference_to_a_missing_test_would_be_caught():
    names = defined_tests(Path(__file__))
    assert "test_a_named_test_exists" in names and "test_nothing_like_this" not in names
    assert REFERENCE.findall("(`tests/unit/x.py::test_y`)") == [("tests/unit/x.py", "test_y")]
