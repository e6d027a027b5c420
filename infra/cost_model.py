"""What Encore's monitoring costs a month, counted from template.yaml.

    python -m infra.cost_model          (prints the bill line by line)

Monitoring is part of the bill: alarms, the dashboard, the queries its log widgets run, the
alert emails and the events behind them. Everything billed is counted from the template (add
an alarm metric and the figure moves); usage that no template can say (how often an operator
opens the dashboard, how many alerts a month) is a named assumption below.

Prices: us-east-1 list prices in USD, as published on the pages named next to each constant
(recorded 2026-12 from those pages; this machine has no internet, so re-check them before
quoting the figure). The always-free tier is per account and per month.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# --- list prices (us-east-1) ------------------------------------------------------------------
# https://aws.amazon.com/cloudwatch/pricing/ : an alarm is billed per metric it evaluates; an
# alarm on a metric math expression is billed for every metric the expression references.
ALARM_METRIC_MONTH = 0.10  # standard resolution (period of 60 s or more)
HIGH_RESOLUTION_ALARM_METRIC_MONTH = 0.30  # period under 60 s
DASHBOARD_MONTH = 3.00  # per custom dashboard
CUSTOM_METRIC_MONTH = 0.30  # first 10,000 metrics; Powertools (EMF) metrics are custom metrics
LOGS_INSIGHTS_PER_GB_SCANNED = 0.005  # each run of a dashboard's log widget is a query
# https://aws.amazon.com/sns/pricing/
SNS_EMAIL_PER_100K = 2.00
SNS_PUBLISH_PER_MILLION = 0.50
# https://aws.amazon.com/eventbridge/pricing/ : state-change events that AWS services publish
# to the default bus (Step Functions execution status changes) cost nothing, nor do the rules.
AWS_SERVICE_EVENT = 0.0

# --- always-free tier (per account, per month) --------------------------------------------------
# https://aws.amazon.com/cloudwatch/pricing/ "Free tier"; https://aws.amazon.com/sns/pricing/
FREE_ALARM_METRICS = 10  # standard-resolution alarms that list their metrics
FREE_DASHBOARDS = 3  # "referencing up to 50 metrics each"
FREE_DASHBOARD_METRICS = 50
FREE_CUSTOM_METRICS = 10
FREE_SNS_EMAILS = 1_000
FREE_SNS_PUBLISHES = 1_000_000

# --- assumptions (usage the template cannot say) ---------------------------------------------
# The free tier is Encore's: it runs in the store's own account (as the README deploys it),
# where nothing else uses the 10 free alarm metrics or the 3 free dashboards. In an account
# that already uses them, the "without the free tier" figure below applies.
FREE_TIER_IS_ENCORES = True
ALERTS_PER_MONTH = 50  # alarm state changes (to ALARM and back to OK) and failed journeys
DASHBOARD_VIEWS_PER_MONTH = 100  # every view or refresh runs each log widget's query once
GB_SCANNED_PER_LOG_QUERY = 0.02  # one log group over the dashboard's range, for a small store
# Logs Insights shares CloudWatch Logs' free 5 GB with the functions' own log ingestion, which
# uses it up first: its queries are counted at list price.


# --- reading the template -------------------------------------------------------------------------
@dataclass(frozen=True)
class AlarmMetric:
    """One metric an alarm evaluates (what CloudWatch bills it for)."""

    query_id: str | None  # the metric query's Id in a metric math alarm; None for a single-metric alarm
    namespace: str
    name: str
    dimensions: dict = field(default_factory=dict, hash=False, compare=False)  # name -> the template's value (a Ref/GetAtt)
    period: int = 60


def alarm_metrics(properties: dict) -> list[AlarmMetric]:
    """The metrics one AWS::CloudWatch::Alarm evaluates: its own (Namespace, MetricName,
    Dimensions) or each MetricStat of its `Metrics` queries (expressions evaluate nothing new)."""
    if "Metrics" not in properties:
        return [
            AlarmMetric(
                query_id=None,
                namespace=properties["Namespace"],
                name=properties["MetricName"],
                dimensions={d["Name"]: d["Value"] for d in properties.get("Dimensions") or []},
                period=int(properties.get("Period", 60)),
            )
        ]
    found = []
    for query in properties["Metrics"]:
        if "MetricStat" not in query:
            continue
        stat = query["MetricStat"]
        metric = stat["Metric"]
        found.append(
            AlarmMetric(
                query_id=query["Id"],
                namespace=metric["Namespace"],
                name=metric["MetricName"],
                dimensions={d["Name"]: d["Value"] for d in metric.get("Dimensions") or []},
                period=int(stat.get("Period", 60)),
            )
        )
    return found


def resources_of(template: dict, *kinds: str) -> dict[str, dict]:
    return {name: spec for name, spec in template["Resources"].items() if spec["Type"] in kinds}


def dashboard_widgets(properties: dict) -> list[dict]:
    """The widgets of a dashboard whose body is a string or an `!Sub` of one."""
    body = properties["DashboardBody"]
    if isinstance(body, dict):
        body = body["Fn::Sub"]
        body = body[0] if isinstance(body, list) else body
    return json.loads(body)["widgets"]


def dashboard_metric_count(widgets: list[dict]) -> int:
    """Metrics the dashboard's graphs reference (the free tier counts up to 50 per dashboard)."""
    count = 0
    for widget in widgets:
        for row in widget.get("properties", {}).get("metrics", []) if widget.get("type") == "metric" else []:
            # A row is [namespace, name, dim, value, ..., {options}]; an expression row is [{expression}].
            if row and isinstance(row[0], str):
                count += 1
    return count


def custom_metric_series() -> int:
    """The most custom metric series the code can publish (Powertools EMF, each name x
    dimension value is one): the closed list in encore.signals, every listed value emitted.
    A store on one platform and one channel publishes about a third of them."""
    from encore.signals import series_budget

    return series_budget()


# --- the bill --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Line:
    item: str
    quantity: float
    unit: str
    unit_price: float
    free: float = 0  # quantity the free tier covers

    @property
    def list_cost(self) -> float:
        return self.quantity * self.unit_price

    @property
    def cost(self) -> float:
        """What is billed when the free tier is Encore's."""
        return max(self.quantity - self.free, 0) * self.unit_price


@dataclass(frozen=True)
class Bill:
    lines: list[Line]

    def monthly(self, *, free_tier: bool = FREE_TIER_IS_ENCORES) -> float:
        return round(sum(line.cost if free_tier else line.list_cost for line in self.lines), 4)


def monitoring_bill(template: dict, root: Path = ROOT) -> Bill:
    alarms = resources_of(template, "AWS::CloudWatch::Alarm")
    standard = high_resolution = 0
    for spec in alarms.values():
        for metric in alarm_metrics(spec["Properties"]):
            if metric.period < 60:
                high_resolution += 1
            else:
                standard += 1
    dashboards = resources_of(template, "AWS::CloudWatch::Dashboard")
    widgets = [dashboard_widgets(spec["Properties"]) for spec in dashboards.values()]
    log_widgets = sum(1 for found in widgets for widget in found if widget.get("type") == "log")
    # The free dashboards are free only while each references at most 50 metrics.
    free_dashboards = min(FREE_DASHBOARDS, sum(1 for found in widgets if dashboard_metric_count(found) <= FREE_DASHBOARD_METRICS))
    custom_metrics = custom_metric_series()
    alert_rules = [
        spec
        for spec in resources_of(template, "AWS::Events::Rule").values()
        if any(str(source).startswith("aws.") for source in (spec["Properties"].get("EventPattern") or {}).get("source", []))
    ]
    topics = resources_of(template, "AWS::SNS::Topic")
    alert_topics = [
        name for name in topics if any(_refers_to(action, name) for spec in alarms.values() for action in spec["Properties"].get("AlarmActions", []))
    ]
    alerts = ALERTS_PER_MONTH if (alarms or alert_rules) and alert_topics else 0
    return Bill(
        [
            Line("alarm metrics, standard resolution", standard, "metric-month", ALARM_METRIC_MONTH, FREE_ALARM_METRICS),
            Line("alarm metrics, high resolution", high_resolution, "metric-month", HIGH_RESOLUTION_ALARM_METRIC_MONTH),
            Line("dashboards", len(dashboards), "dashboard-month", DASHBOARD_MONTH, free_dashboards),
            Line(
                "dashboard log widget queries",
                log_widgets * DASHBOARD_VIEWS_PER_MONTH * GB_SCANNED_PER_LOG_QUERY,
                "GB scanned",
                LOGS_INSIGHTS_PER_GB_SCANNED,
            ),
            Line("custom metrics (Powertools EMF), at most", custom_metrics, "metric-month", CUSTOM_METRIC_MONTH, FREE_CUSTOM_METRICS),
            Line("alert emails", alerts, "email", SNS_EMAIL_PER_100K / 100_000, FREE_SNS_EMAILS),
            Line("alert publishes to SNS", alerts, "publish", SNS_PUBLISH_PER_MILLION / 1_000_000, FREE_SNS_PUBLISHES),
            Line("Step Functions status events, default bus", alerts, "event", AWS_SERVICE_EVENT),
        ]
    )


def _refers_to(value, name: str) -> bool:
    return value == {"Ref": name} or (isinstance(value, dict) and value.get("Fn::GetAtt", [None])[0] == name)


def report(bill: Bill) -> str:
    out = [f"{'item':42} {'quantity':>10} {'unit':16} {'list $':>8} {'billed $':>9}"]
    for line in bill.lines:
        out.append(f"{line.item:42} {line.quantity:>10g} {line.unit:16} {line.list_cost:>8.3f} {line.cost:>9.3f}")
    out.append(
        f"monitoring, a month: ${bill.monthly(free_tier=True):.2f} with the always-free tier as Encore's "
        f"(${bill.monthly(free_tier=False):.2f} in an account whose free tier is already used)"
    )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    from infra.local.template import load_template

    path = Path(argv[0]) if argv else ROOT / "template.yaml"
    try:
        template = load_template(path)
    except OSError as error:
        print(f"cannot read {path}: {error.strerror}", file=sys.stderr)
        return 1
    print(report(monitoring_bill(template)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
