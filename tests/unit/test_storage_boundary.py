"""Only ``encore.storage`` reads and writes DynamoDB: every module of the layer is either a
source of the import contract that forbids PynamoDB and ``encore.models`` (``.importlinter``,
``domain-through-storage``, checked by ``make lint``), or named below as not moved yet, with
what keeps it there. A new module is therefore covered from its first line; a module moved onto
the repositories must leave this list (the test says so), so the list only shrinks."""

from __future__ import annotations

import configparser
import pkgutil
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers/common/encore"

# Modules that still call PynamoDB themselves, with what keeps each there: none since every
# domain module moved onto the repositories (issue 13). A module added here must say why.
NOT_YET_ON_STORAGE: dict[str, str] = {}
STORAGE_ITSELF = {"encore.storage", "encore.models"}


def _layer_modules() -> set[str]:
    """The layer's top-level modules and packages (a package covers its submodules)."""
    return {f"encore.{module.name}" for module in pkgutil.iter_modules([str(LAYER)])} - {"encore.templates"}


def _contract_sources() -> set[str]:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    section = config["importlinter:contract:domain-through-storage"]
    assert [line.strip() for line in section["forbidden_modules"].split()] == ["pynamodb", "encore.models"]
    return {line.strip() for line in section["source_modules"].split() if line.strip()}


def test_every_module_is_under_the_storage_contract_or_named_as_not_moved_yet():
    modules = _layer_modules() - STORAGE_ITSELF
    sources = _contract_sources()
    assert not (sources & set(NOT_YET_ON_STORAGE)), "a module is both under the contract and listed as not moved"
    assert modules - sources - set(NOT_YET_ON_STORAGE) == set(), "add these to the domain-through-storage contract in .importlinter"
    assert sources - modules == set(), "the contract names modules that do not exist"


def test_a_module_listed_as_not_moved_still_needs_to_be():
    moved = []
    for name in NOT_YET_ON_STORAGE:
        source = (LAYER / f"{name.removeprefix('encore.')}.py").read_text()
        if not re.search(r"^\s*(from pynamodb|import pynamodb|from encore\.models import)", source, re.MULTILINE):
            moved.append(name)
    assert moved == [], f"these no longer call PynamoDB: move them from NOT_YET_ON_STORAGE to the contract: {moved}"
