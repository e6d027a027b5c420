"""The metrics budget, and what one count writes (an EMF record on stdout)."""

import json

import pytest

from encore import signals


@pytest.fixture(autouse=True)
def metrics_on(monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")


def records(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]


def test_the_names_can_never_make_more_series_than_the_budget():
    assert signals.series_budget() <= signals.MAX_SERIES, signals.SERIES


def test_a_count_is_one_emf_record_with_one_dimension_and_the_details_as_properties(capsys):
    signals.count("MessagesSkipped", "email", reason="not_subscribed", scenario="welcome-series")

    (record,) = records(capsys)
    (directive,) = record["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Encore"
    assert directive["Dimensions"] == [["service", "channel"]]
    assert record["MessagesSkipped"] == [1.0]
    assert record["channel"] == "email"
    # Unbounded values ride as properties, never as dimensions.
    assert record["reason"] == "not_subscribed" and record["scenario"] == "welcome-series"


def test_a_value_nobody_listed_is_counted_as_other_so_it_costs_no_new_series(capsys):
    signals.count("EventsAccepted", "magento-2", 3)

    (record,) = records(capsys)
    assert record["platform"] == "other"


def test_nothing_to_count_writes_nothing(capsys):
    signals.count("EventsDuplicate", "shopify", 0)

    assert records(capsys) == []


def test_an_unknown_metric_name_is_a_programming_error():
    with pytest.raises(KeyError):
        signals.count("EmailsOpened", "email")


def test_metrics_switched_off_write_nothing(capsys, monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    signals.count("EventsAccepted", "shopify")

    assert records(capsys) == []
