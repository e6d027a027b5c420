"""Everything that can fail in template.yaml is watched, every alarm watches what it says it
does and tells someone, and all of it costs under $1.50 a month.

The rules read the template only (no list of names here), so they hold for what is added
later: a new function, queue or state machine fails this test until something covers it.
The mutation tests below show each rule catching its mistake on a copy of the template.

Coverage, as the template's "operator alerts" section sets it out:
- a state machine: the one EventBridge rule on Step Functions execution status changes
  (FAILED, TIMED_OUT, ABORTED) matches it by the `<stack>-` prefix of its name and sends to
  an SNS topic whose policy lets EventBridge publish for that rule;
- a function invoked by an event source (EventBridge, SNS, ...): its Errors, and its Throttles
  (its own, or Lambda's account-wide metric), in alarms; behind the HTTP API: its Errors; only
  invoked by state machines: the status-change rule above covers it; nothing: a failure;
- an asynchronously invoked function also parks what still fails after Lambda's retries, with
  the error, in an on-failure destination: a queue of the template (which its queue alarm then
  covers), with the retries bounded. A function's DeadLetterQueue is not enough: it keeps the
  event without the error, and the rule's DeadLetterConfig only sees failed deliveries;
- a queue: an alarm on ApproximateNumberOfMessagesVisible > 0;
- an SES identity or configuration set: bounce- and complaint-rate alarms below SES's own
  review thresholds (5 %, 0.1 %);
- an alarm: AlarmActions and OKActions to an SNS topic of the template; each dimension is a
  Ref / GetAtt of a template resource of the right type, named by the metric query's Id
  (or, for a single-metric alarm, by the alarm's own name); a metric math alarm sums every
  metric it lists and lists at most 10 (CloudWatch's hard limit).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

from encore.signals import MAX_SERIES
from infra.cost_model import Bill, alarm_metrics, dashboard_metric_count, dashboard_widgets, monitoring_bill, report, resources_of
from infra.local.template import load_template

ROOT = Path(__file__).resolve().parents[2]
FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")
STATE_MACHINE_TYPES = ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine")
API_EVENTS = {"HttpApi", "Api"}
# Event sources Lambda polls (failures stay with the source); every other source invokes asynchronously.
POLLED_EVENTS = {"SQS", "DynamoDB", "Kinesis", "MSK", "MQ", "SelfManagedKafka", "DocumentDB"}
MAX_ALARM_METRICS = 10  # metric math alarms: a hard CloudWatch limit
SES_REVIEW_BOUNCE_RATE = 0.05
SES_REVIEW_COMPLAINT_RATE = 0.001
STATUS_CHANGE = "Step Functions Execution Status Change"
STACK_PREFIX_ARN = "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:${AWS::StackName}-"
# What each dimension must point at: resource types, and how it refers to them.
DIMENSION_TARGETS = {
    "FunctionName": (FUNCTION_TYPES, "Ref"),
    "QueueName": (("AWS::SQS::Queue",), "QueueName"),
    "StateMachineArn": (STATE_MACHINE_TYPES, "Ref"),
    "ApiId": (("AWS::Serverless::HttpApi", "AWS::ApiGatewayV2::Api"), "Ref"),
    "TopicName": (("AWS::SNS::Topic",), "TopicName"),
}


@pytest.fixture(scope="module")
def template() -> dict:
    return load_template(ROOT / "template.yaml")


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _target(value) -> tuple[str, str] | None:
    """(logical id, "Ref" or the attribute) a dimension value refers to; None for a literal."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return value["Ref"], "Ref"
    if isinstance(value, dict) and set(value) == {"Fn::GetAtt"}:
        logical, attribute = value["Fn::GetAtt"]
        return logical, attribute
    return None


def _sub_text(value) -> str | None:
    if isinstance(value, dict) and "Fn::Sub" in value:
        return value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
    return None


def _alarm_problems(template: dict) -> list[str]:
    resources = template["Resources"]
    topics = resources_of(template, "AWS::SNS::Topic")
    problems = []
    for name, spec in resources_of(template, "AWS::CloudWatch::Alarm").items():
        props = spec["Properties"]
        for key in ("AlarmActions", "OKActions"):
            actions = props.get(key) or []
            if not actions:
                problems.append(f"{name}: no {key}")
            for action in actions:
                if not (_target(action) and _target(action)[0] in topics):
                    problems.append(f"{name}: {key} {action} is not an SNS topic of this template")
        metrics = alarm_metrics(props)
        if "Metrics" in props:
            if len(metrics) > MAX_ALARM_METRICS:
                problems.append(f"{name}: {len(metrics)} metrics, CloudWatch allows {MAX_ALARM_METRICS} in one alarm: split it")
            watched = [query for query in props["Metrics"] if query.get("ReturnData", True) and "Expression" in query]
            used = set(re.findall(r"\b[a-z]\w*\b", watched[0]["Expression"])) if len(watched) == 1 else set()
            if len(watched) != 1:
                problems.append(f"{name}: needs exactly one expression with ReturnData true")
            for metric in metrics:
                if metric.query_id not in used and "METRICS()" not in (watched[0]["Expression"] if watched else ""):
                    problems.append(f"{name}: metric {metric.query_id} is listed but not in the expression")
        for metric in metrics:
            for dimension, value in metric.dimensions.items():
                target = _target(value)
                if dimension not in DIMENSION_TARGETS:
                    problems.append(f"{name}: dimension {dimension} is not one this test knows how to check")
                    continue
                kinds, reference = DIMENSION_TARGETS[dimension]
                if target is None or target[0] not in resources:
                    problems.append(f"{name}: {dimension} {value!r} is not a resource of this template")
                    continue
                logical, how = target
                if resources[logical]["Type"] not in kinds or how != reference:
                    problems.append(f"{name}: {dimension} points at {logical} ({resources[logical]['Type']}, {how})")
                named = metric.query_id == _lower_first(logical) if metric.query_id else name.startswith(logical)
                if not named:
                    problems.append(f"{name}: {metric.query_id or name} names another resource than its {dimension} {logical}")
    return problems


def _watched(template: dict, namespace: str, metric_name: str) -> set[str]:
    """Logical ids whose `metric_name` some alarm watches ("*" when account-wide)."""
    found = set()
    for spec in resources_of(template, "AWS::CloudWatch::Alarm").values():
        for metric in alarm_metrics(spec["Properties"]):
            if metric.namespace == namespace and metric.name == metric_name:
                targets = [_target(value) for value in metric.dimensions.values()]
                found |= {target[0] for target in targets if target} if metric.dimensions else {"*"}
    return found


def _status_rule_problems(template: dict) -> tuple[list[str], bool]:
    """Problems with the journey-failure rule, and whether one covers the stack's machines."""
    topics = resources_of(template, "AWS::SNS::Topic")
    policies = resources_of(template, "AWS::SNS::TopicPolicy")
    for name, spec in resources_of(template, "AWS::Events::Rule").items():
        props = spec["Properties"]
        pattern = props.get("EventPattern") or {}
        if pattern.get("source") != ["aws.states"] or STATUS_CHANGE not in pattern.get("detail-type", []):
            continue
        problems = []
        detail = pattern.get("detail", {})
        missing = {"FAILED", "TIMED_OUT", "ABORTED"} - set(detail.get("status", []))
        if missing:
            problems.append(f"{name}: does not match status {sorted(missing)}")
        prefixes = [_sub_text(item.get("prefix")) for item in detail.get("stateMachineArn", []) if isinstance(item, dict)]
        if prefixes != [STACK_PREFIX_ARN]:
            problems.append(f"{name}: stateMachineArn must be a prefix match on {STACK_PREFIX_ARN}")
        if props.get("EventBusName") not in (None, "default"):
            problems.append(f"{name}: Step Functions publishes to the default bus only")
        targets = [_target(target["Arn"]) for target in props.get("Targets", [])]
        sns_targets = [target[0] for target in targets if target and target[0] in topics]
        if not sns_targets:
            problems.append(f"{name}: no SNS topic of this template among its targets")
        for topic in sns_targets:
            allowed = any(
                {"Ref": topic} in policy["Properties"]["Topics"]
                and any(
                    statement.get("Principal", {}).get("Service") == "events.amazonaws.com"
                    and statement.get("Condition", {}).get("ArnEquals", {}).get("aws:SourceArn") == {"Fn::GetAtt": [name, "Arn"]}
                    for statement in policy["Properties"]["PolicyDocument"]["Statement"]
                )
                for policy in policies.values()
            )
            if not allowed:
                problems.append(f"{name}: {topic}'s policy does not let EventBridge publish for this rule")
        return problems, not problems
    return [], False


def coverage_problems(template: dict) -> list[str]:
    resources = template["Resources"]
    problems = _alarm_problems(template)
    rule_problems, machines_covered = _status_rule_problems(template)
    problems += rule_problems

    machines = resources_of(template, *STATE_MACHINE_TYPES)
    for name, spec in machines.items():
        if not machines_covered:
            problems.append(f"{name}: no rule sends its failed, timed-out or aborted executions anywhere")
        machine_name = _sub_text(spec["Properties"].get("Name") or spec["Properties"].get("StateMachineName"))
        if not (machine_name or "").startswith("${AWS::StackName}-"):
            problems.append(f"{name}: its name must start with ${{AWS::StackName}}- for the status-change rule to match it")

    invoked_by_machines = {
        value["Fn::GetAtt"][0]
        for spec in machines.values()
        for value in (spec["Properties"].get("DefinitionSubstitutions") or {}).values()
        if isinstance(value, dict) and "Fn::GetAtt" in value
    }
    errors = _watched(template, "AWS/Lambda", "Errors")
    throttles = _watched(template, "AWS/Lambda", "Throttles")
    for name, spec in resources_of(template, *FUNCTION_TYPES).items():
        kinds = {event["Type"] for event in (spec["Properties"].get("Events") or {}).values()}
        by_api, by_events = bool(kinds & API_EVENTS), bool(kinds - API_EVENTS)
        if by_events and (name not in errors or not ({name, "*"} & throttles)):
            problems.append(f"{name}: invoked by {sorted(kinds - API_EVENTS)}, needs its Errors and Throttles in alarms")
        if kinds - API_EVENTS - POLLED_EVENTS:
            invoke_config = spec["Properties"].get("EventInvokeConfig") or {}
            on_failure = (invoke_config.get("DestinationConfig") or {}).get("OnFailure") or {}
            destination = _target(on_failure.get("Destination"))
            if not (
                on_failure.get("Type") == "SQS"
                and destination
                and resources.get(destination[0], {}).get("Type") == "AWS::SQS::Queue"
                and invoke_config.get("MaximumRetryAttempts") in (0, 1, 2)
            ):
                problems.append(
                    f"{name}: invoked asynchronously, needs EventInvokeConfig with MaximumRetryAttempts and an SQS OnFailure "
                    "destination (a queue of this template) so failed events are kept with their error"
                )
        if by_api and name not in errors:
            problems.append(f"{name}: behind the HTTP API, needs its Errors in an alarm")
        if not (by_api or by_events) and not (name in invoked_by_machines and machines_covered):
            problems.append(f"{name}: covered by nothing (no alarm, and no covered state machine invokes it)")

    visible = _alarm_thresholds(template, "AWS/SQS", "ApproximateNumberOfMessagesVisible")
    for name in resources_of(template, "AWS::SQS::Queue"):
        if visible.get(name) != (0, "GreaterThanThreshold"):
            problems.append(f"{name}: needs an alarm on ApproximateNumberOfMessagesVisible > 0")

    if resources_of(template, "AWS::SES::EmailIdentity", "AWS::SES::ConfigurationSet"):
        for metric, review in (("Reputation.BounceRate", SES_REVIEW_BOUNCE_RATE), ("Reputation.ComplaintRate", SES_REVIEW_COMPLAINT_RATE)):
            threshold = _alarm_thresholds(template, "AWS/SES", metric).get("*")
            if not threshold or threshold[1] != "GreaterThanThreshold" or not threshold[0] < review:
                problems.append(f"SES: needs an alarm on {metric} below SES's review threshold {review}")
    return problems


def _alarm_thresholds(template: dict, namespace: str, metric_name: str) -> dict[str, tuple]:
    """(threshold, comparison) of single-metric alarms on this metric, by the resource watched."""
    found = {}
    for spec in resources_of(template, "AWS::CloudWatch::Alarm").values():
        props = spec["Properties"]
        for metric in alarm_metrics(props):
            if metric.namespace == namespace and metric.name == metric_name and "Metrics" not in props:
                targets = [_target(value) for value in metric.dimensions.values()]
                key = targets[0][0] if targets and targets[0] else "*"
                found[key] = (props["Threshold"], props["ComparisonOperator"])
    return found


# ------------------------------------------------------------------------------- the template
def test_every_resource_is_covered_and_every_alarm_is_sound(template):
    assert coverage_problems(template) == []


def test_monitoring_costs_under_a_dollar_and_a_half_a_month(template):
    bill = monitoring_bill(template)
    print(report(bill))
    alarm_metric_count = sum(len(alarm_metrics(spec["Properties"])) for spec in resources_of(template, "AWS::CloudWatch::Alarm").values())
    # A metric math alarm is billed for each metric it references, not once.
    billed = next(line for line in bill.lines if line.item == "alarm metrics, standard resolution")
    assert billed.quantity == alarm_metric_count > len(resources_of(template, "AWS::CloudWatch::Alarm"))
    # The dashboard is free only within the free tier: 3 dashboards of at most 50 metrics.
    for spec in resources_of(template, "AWS::CloudWatch::Dashboard").values():
        assert dashboard_metric_count(dashboard_widgets(spec["Properties"])) <= 50
    # Every asynchronously invoked function has its Errors in an alarm ($0.10 a month each past
    # the free tier's 10): the budget holds today's functions with room for a few more.
    watching = Bill([line for line in bill.lines if not line.item.startswith("custom metrics")])
    assert watching.monthly(free_tier=True) < 1.50
    # Encore's own metrics are billed per series that receives data: at most the closed list's
    # budget (encore.signals), about a third of it for a store on one platform and one channel.
    (custom,) = [line for line in bill.lines if line.item.startswith("custom metrics")]
    assert 0 < custom.quantity <= MAX_SERIES


def test_the_dashboard_shows_every_state_machine(template):
    body = next(iter(resources_of(template, "AWS::CloudWatch::Dashboard").values()))["Properties"]["DashboardBody"]["Fn::Sub"]
    for name in resources_of(template, *STATE_MACHINE_TYPES):
        assert body.count("${%s}" % name) == 2, f"{name}: journeys started and ended"
    for name in re.findall(r"\$\{(\w+)\}", body):
        assert name in template["Resources"], f"the dashboard names {name}, which is not in the template"


# ------------------------------------------------------------------------- what the rules catch
def _mutated(template: dict, change) -> list[str]:
    copied = copy.deepcopy(template)
    change(copied["Resources"])
    return coverage_problems(copied)


def _queries(resources: dict, alarm: str) -> list[dict]:
    return resources[alarm]["Properties"]["Metrics"]


def _drop_function(resources: dict) -> None:
    queries = _queries(resources, "AsyncFunctionErrorsAlarm")
    queries[:] = [query for query in queries if query["Id"] != "cartUpdatedFunction"]
    queries[0]["Expression"] = queries[0]["Expression"].replace("cartUpdatedFunction, ", "")


def _drop_from_sum_only(resources: dict) -> None:
    queries = _queries(resources, "AsyncFunctionErrorsAlarm")
    queries[0]["Expression"] = queries[0]["Expression"].replace("cartUpdatedFunction, ", "")


def _bogus_dimension(resources: dict) -> None:
    for query in _queries(resources, "AsyncFunctionErrorsAlarm"):
        if query["Id"] == "cartUpdatedFunction":
            query["MetricStat"]["Metric"]["Dimensions"][0]["Value"] = "encore-CartUpdatedFunction"


def _dimension_at_another_function(resources: dict) -> None:
    for query in _queries(resources, "AsyncFunctionErrorsAlarm"):
        if query["Id"] == "cartUpdatedFunction":
            query["MetricStat"]["Metric"]["Dimensions"][0]["Value"] = {"Ref": "OrderPlacedFunction"}


def _queue_dimension_at_a_topic(resources: dict) -> None:
    resources["EventDeadLetterQueueAlarm"]["Properties"]["Dimensions"][0]["Value"] = {"Fn::GetAtt": ["StaffAlertsTopic", "TopicName"]}


def _no_alarm_actions(resources: dict) -> None:
    del resources["ApiFunctionErrorsAlarm"]["Properties"]["AlarmActions"]


def _ok_actions_to_nowhere(resources: dict) -> None:
    resources["EmailBounceRateAlarm"]["Properties"]["OKActions"] = ["arn:aws:sns:us-east-1:123456789012:somewhere"]


def _new_queue(resources: dict) -> None:
    resources["ReplayQueue"] = {"Type": "AWS::SQS::Queue", "Properties": {}}


def _new_event_function(resources: dict) -> None:
    resources["CouponIssuedFunction"] = {
        "Type": "AWS::Serverless::Function",
        "Properties": {"CodeUri": "functions/coupon_issued/", "Events": {"Issued": {"Type": "EventBridgeRule", "Properties": {"Pattern": {}}}}},
    }


def _new_idle_function(resources: dict) -> None:
    resources["HousekeepingFunction"] = {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "functions/housekeeping/"}}


def _eleventh_metric(resources: dict) -> None:
    queries = _queries(resources, "AsyncFunctionErrorsAlarm")
    extra = copy.deepcopy(queries[1])
    extra["Id"] = "sendMessageFunction"
    extra["MetricStat"]["Metric"]["Dimensions"][0]["Value"] = {"Ref": "SendMessageFunction"}
    queries.append(extra)
    queries[0]["Expression"] = queries[0]["Expression"].replace("])", ", sendMessageFunction])")


def _machine_outside_the_prefix(resources: dict) -> None:
    resources["WinBackStateMachine"] = {
        "Type": "AWS::Serverless::StateMachine",
        "Properties": {"Name": "win-back", "DefinitionUri": "statemachines/win_back.asl.json"},
    }


def _no_status_rule(resources: dict) -> None:
    del resources["JourneyFailuresRule"]


def _status_rule_without_timeouts(resources: dict) -> None:
    resources["JourneyFailuresRule"]["Properties"]["EventPattern"]["detail"]["status"] = ["FAILED"]


def _topic_policy_without_eventbridge(resources: dict) -> None:
    statements = resources["OperatorAlertsTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    statements[:] = [statement for statement in statements if statement["Principal"].get("Service") != "events.amazonaws.com"]


def _lenient_bounce_alarm(resources: dict) -> None:
    resources["EmailBounceRateAlarm"]["Properties"]["Threshold"] = 0.05


def _no_throttles_alarm(resources: dict) -> None:
    del resources["FunctionThrottlesAlarm"]


def _no_dead_letter_queue(resources: dict) -> None:
    del resources["OrderPlacedFunction"]["Properties"]["EventInvokeConfig"]["DestinationConfig"]


MUTATIONS = {
    "an event-driven function without an on-failure destination": (
        _no_dead_letter_queue,
        "OrderPlacedFunction: invoked asynchronously, needs EventInvokeConfig",
    ),
    "a function dropped from the errors alarm": (_drop_function, "CartUpdatedFunction: invoked by"),
    "a function listed but left out of the sum": (_drop_from_sum_only, "metric cartUpdatedFunction is listed but not in the expression"),
    "a dimension pointing at a bogus name": (_bogus_dimension, "'encore-CartUpdatedFunction' is not a resource of this template"),
    "a dimension pointing at another function": (
        _dimension_at_another_function,
        "cartUpdatedFunction names another resource than its FunctionName OrderPlacedFunction",
    ),
    "a queue dimension pointing at a topic": (_queue_dimension_at_a_topic, "QueueName points at StaffAlertsTopic"),
    "an alarm without AlarmActions": (_no_alarm_actions, "ApiFunctionErrorsAlarm: no AlarmActions"),
    "OKActions to a topic of no template": (_ok_actions_to_nowhere, "EmailBounceRateAlarm: OKActions"),
    "a new queue with no alarm": (_new_queue, "ReplayQueue: needs an alarm"),
    "a new event-driven function": (_new_event_function, "CouponIssuedFunction: invoked by ['EventBridgeRule']"),
    "a new function nothing invokes or watches": (_new_idle_function, "HousekeepingFunction: covered by nothing"),
    "an 11th metric in one alarm": (_eleventh_metric, "11 metrics, CloudWatch allows 10"),
    "a state machine outside the stack prefix": (_machine_outside_the_prefix, "WinBackStateMachine: its name must start with"),
    "no status-change rule": (_no_status_rule, "CartAbandonmentStateMachine: no rule sends"),
    "a status-change rule that misses timeouts": (_status_rule_without_timeouts, "does not match status ['ABORTED', 'TIMED_OUT']"),
    "a topic EventBridge may not publish to": (_topic_policy_without_eventbridge, "policy does not let EventBridge publish"),
    "a bounce alarm at SES's own threshold": (_lenient_bounce_alarm, "Reputation.BounceRate below SES's review threshold"),
    "no throttles alarm": (_no_throttles_alarm, "SmsRepliesFunction: invoked by ['SNS'], needs its Errors and Throttles"),
}


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_the_rules_catch(template, mutation):
    change, expected = MUTATIONS[mutation]
    problems = _mutated(template, change)
    assert any(expected in problem for problem in problems), problems


def test_no_status_rule_uncovers_the_functions_only_state_machines_invoke(template):
    problems = _mutated(template, _no_status_rule)
    assert any(problem.startswith("SendMessageFunction: covered by nothing") for problem in problems), problems


# ------------------------------------------------------------ the journey-failure rule, evaluated
def _status_change(status: str, machine: str) -> dict:
    """A Step Functions execution status change as EventBridge delivers it (default bus)."""
    machine_arn = f"arn:aws:states:us-east-1:123456789012:stateMachine:{machine}"
    name = "cart-abandonment-demo-store-42-cart-1"
    return {
        "version": "0",
        "id": "5e1f3c2a-0b7d-4a55-9a4e-2f8d6c1b7e90",
        "detail-type": STATUS_CHANGE,
        "source": "aws.states",
        "account": "123456789012",
        "time": "2026-11-02T09:00:00Z",
        "ingestion-time": "2026-11-02T09:00:00Z",
        "region": "us-east-1",
        "resources": [f"arn:aws:states:us-east-1:123456789012:execution:{machine}:{name}"],
        "detail": {
            "executionArn": f"arn:aws:states:us-east-1:123456789012:execution:{machine}:{name}",
            "stateMachineArn": machine_arn,
            "name": name,
            "status": status,
            "startDate": 1793610000000,
            "stopDate": 1793613600000,
        },
    }


def test_the_journey_failure_rule_matches_this_stacks_failures_and_reads_as_one_line(template):
    """EventBridge's own matching and input transformation (moto's implementation of both)."""
    import json

    from moto.events.models import EventPattern
    from moto.events.utils import EventTemplateParser

    from infra.local.template import Resolver

    props = Resolver(template, stack_name="encore").resolve(template["Resources"]["JourneyFailuresRule"]["Properties"])
    pattern = EventPattern.load(json.dumps(props["EventPattern"]))
    for status in ("FAILED", "TIMED_OUT", "ABORTED"):
        assert pattern.matches_event(_status_change(status, "encore-cart-abandonment")), status
    assert not pattern.matches_event(_status_change("SUCCEEDED", "encore-cart-abandonment"))
    assert not pattern.matches_event(_status_change("FAILED", "shop2-cart-abandonment"))  # another stack's journeys

    (target,) = props["Targets"]
    line = EventTemplateParser.parse(
        input_template=target["InputTransformer"]["InputTemplate"],
        input_paths_map=target["InputTransformer"]["InputPathsMap"],
        event=_status_change("TIMED_OUT", "encore-cart-abandonment"),
    )
    assert line == (
        "Encore journey cart-abandonment-demo-store-42-cart-1 of "
        "arn:aws:states:us-east-1:123456789012:stateMachine:encore-cart-abandonment ended TIMED_OUT. "
        "History: https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/"
        "arn:aws:states:us-east-1:123456789012:execution:encore-cart-abandonment:cart-abandonment-demo-store-42-cart-1"
    )
