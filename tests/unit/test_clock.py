"""The one time-zone fallback: the first known zone of those given, else UTC."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from encore.clock import first_known_zone


def test_the_customers_zone_comes_first():
    assert first_known_zone("America/New_York", "Europe/Kyiv") == ZoneInfo("America/New_York")


@pytest.mark.parametrize("unknown", [None, "", "Mars/Olympus_Mons", "europe/kyiv", "../etc/passwd", "Europe"])
def test_a_zone_that_is_missing_or_unknown_falls_back_to_the_next(unknown):
    assert first_known_zone(unknown, "Europe/Kyiv") == ZoneInfo("Europe/Kyiv")


def test_without_any_known_zone_it_is_utc():
    assert first_known_zone() == ZoneInfo("UTC")
    assert first_known_zone("Nowhere/At_All", None) == ZoneInfo("UTC")
