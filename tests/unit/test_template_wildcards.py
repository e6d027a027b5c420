"""IAM: every ``Resource: "*"`` in template.yaml says why next to it (a comment on its line or
one of the two lines above). Anything else names an exact ARN; a new unexplained wildcard
fails here."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WILDCARD = re.compile(r"""^\s*(?:Resource:\s*|-\s*)["']?\*["']?\s*(?:#.*)?$""")


def unexplained_wildcards(text: str) -> list[int]:
    lines = text.splitlines()
    found = []
    for number, line in enumerate(lines, start=1):
        if not WILDCARD.match(line):
            continue
        context = [line] + lines[max(0, number - 3) : number - 1]
        if not any("#" in candidate and len(candidate.split("#", 1)[1].strip()) > 10 for candidate in context):
            found.append(number)
    return found


def test_every_wildcard_resource_in_the_template_says_why():
    assert unexplained_wildcards((ROOT / "template.yaml").read_text()) == []


def test_there_are_only_the_two_known_wildcards():
    """SMS straight to a phone number, and the log delivery APIs (written once)."""
    text = (ROOT / "template.yaml").read_text()
    assert sum(1 for line in text.splitlines() if WILDCARD.match(line)) == 2


def test_a_new_unexplained_wildcard_is_caught():
    policy = """
            - Effect: Allow
              Action: s3:GetObject
              Resource: "*"
            - Effect: Allow
              Action: sns:Publish
              # An SMS straight to a phone number has no ARN to scope it to.
              Resource: "*"
"""
    assert unexplained_wildcards(policy) == [4]
