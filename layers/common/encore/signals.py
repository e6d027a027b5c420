"""The metrics Encore emits, and their budget.

CloudWatch bills every metric series (a name with one combination of dimension values) by the
month, so the set is closed here: a few names, each with one dimension whose values are a
known, short list. What varies without bound — the reason a message was skipped, an event id,
a journey — goes in the EMF record's properties: searchable in CloudWatch Logs Insights, never
a series. ``series_budget()`` is the most series these names can ever produce; a unit test
holds it under ``MAX_SERIES``.

Each count is one Embedded Metric Format line in the function's log (Powertools'
``single_metric``): no PutMetricData call, no extra request. ``POWERTOOLS_METRICS_DISABLED``
(set by the local stack) turns them off.
"""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

from encore.channels import CHANNELS
from encore.observability import NAMESPACE, SERVICE
from encore.scenarios.registry import SCENARIOS

MAX_SERIES = 50

# A value outside a dimension's list is counted under this one, so a new platform or channel
# costs no new series until it is listed here on purpose.
OTHER = "other"
PLATFORMS = ("shopify", "woocommerce", "api", "segment", "browser")

SERIES: dict[str, tuple[str, tuple[str, ...]]] = {
    # Ingest: every event a store sent, by how it was taken.
    "EventsAccepted": ("platform", PLATFORMS),
    "EventsDuplicate": ("platform", PLATFORMS),
    "EventsRejected": ("platform", PLATFORMS),  # a request refused with a 4xx (reason in properties)
    # Journeys: started per scenario (Step Functions' own metrics count how they end).
    "JourneysStarted": ("scenario", tuple(scenario.name for scenario in SCENARIOS)),
    # Delivery: what each step did, by channel — a skipped step's first choice when none could
    # carry it (scenario, step and reason in properties).
    "MessagesSent": ("channel", CHANNELS),
    "MessagesSkipped": ("channel", CHANNELS),
    "MessagesHeld": ("channel", CHANNELS),  # quiet hours, send window, frequency cap
}


def series_budget() -> int:
    """The most series the names above can produce: every listed value, plus "other"."""
    return sum(len(values) + 1 for _, values in SERIES.values())


def count(name: str, value_of_dimension: str | None, amount: int = 1, **properties: object) -> None:
    """Add ``amount`` to the series ``name`` × its dimension's value; ``properties`` ride along
    in the record (never as dimensions)."""
    if amount <= 0 or is_metrics_disabled():  # single_metric itself ignores the switch
        return
    dimension, values = SERIES[name]
    value = value_of_dimension if value_of_dimension in values else OTHER
    with single_metric(name=name, unit=MetricUnit.Count, value=amount, namespace=NAMESPACE, default_dimensions={"service": SERVICE}) as metric:
        metric.add_dimension(name=dimension, value=value)
        for key, detail in properties.items():
            if detail is not None:
                metric.add_metadata(key=key, value=detail)
