"""Rules every resource of template.yaml keeps, read from the template itself (no list of
names here), so a resource added later fails until it keeps them too:

- every function has a log group named after it, with a retention (else Lambda creates one
  that keeps its logs forever);
- every queue that is not itself a dead-letter queue has a redrive policy (a message that
  keeps failing must land somewhere watched, not loop until it expires);
- no IAM statement grants ``Resource: "*"`` unless the action is one AWS lets be scoped by
  nothing narrower, listed below with the reason.

Watchers are checked in test_template_coverage.py, not repeated here: an asynchronously
invoked function's on-failure destination, an alarm on every queue, and every state
machine's failed / timed-out / aborted executions sent to the operators (one EventBridge
rule on the stack's name prefix: free, where CloudWatch alarms on each machine's
ExecutionsFailed and ExecutionsTimedOut would bill 20 alarm metrics, $2 a month, against a
monitoring budget of $1).

Each rule is shown catching its mistake on a copy of the template.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from infra.local.template import load_template

ROOT = Path(__file__).resolve().parents[2]
FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")

# (resource, action) -> why nothing narrower than "*" can be named.
EXPLAINED_WILDCARDS = {
    ("SendMessageFunction", "sns:Publish"): "an SMS straight to a phone number has no ARN to scope it to",
    **{
        ("JourneyLogDeliveryPolicy", action): "CloudWatch Logs' log delivery APIs support no resource-level permissions"
        for action in (
            "logs:CreateLogDelivery",
            "logs:GetLogDelivery",
            "logs:UpdateLogDelivery",
            "logs:DeleteLogDelivery",
            "logs:ListLogDeliveries",
            "logs:PutResourcePolicy",
            "logs:DescribeResourcePolicies",
            "logs:DescribeLogGroups",
        )
    },
}


@pytest.fixture(scope="module")
def template() -> dict:
    return load_template(ROOT / "template.yaml")


def _refers_to(value, name: str) -> bool:
    """A Ref / GetAtt to ``name``, or a Sub naming ``${name}`` / ``${name.Attr}``."""
    if isinstance(value, dict):
        if value.get("Ref") == name:
            return True
        target = value.get("Fn::GetAtt")
        if target is not None:
            return (target[0] if isinstance(target, list) else target.split(".")[0]) == name
        text = value.get("Fn::Sub")
        if isinstance(text, list):
            text = text[0]
        if isinstance(text, str):
            return "${%s}" % name in text or "${%s." % name in text
    return False


def _log_group_problems(resources: dict) -> list[str]:
    log_groups = {name: spec["Properties"] for name, spec in resources.items() if spec.get("Type") == "AWS::Logs::LogGroup"}
    problems = []
    for name, spec in resources.items():
        if spec.get("Type") not in FUNCTION_TYPES:
            continue
        logging_group = (spec["Properties"].get("LoggingConfig") or {}).get("LogGroup")
        own = [
            group
            for group_name, group in log_groups.items()
            if (_refers_to(group.get("LogGroupName"), name) and "/aws/lambda/" in str(group.get("LogGroupName")))
            or (logging_group is not None and _refers_to(logging_group, group_name))
        ]
        if not own:
            problems.append(f"{name}: no log group of its own (/aws/lambda/<function>): Lambda would create one that never expires")
        elif not all(group.get("RetentionInDays") for group in own):
            problems.append(f"{name}: its log group has no RetentionInDays")
    return problems


def _dead_letter_queues(resources: dict) -> set[str]:
    """Queues something sends its failures to: a rule's or function's DeadLetterConfig, an
    on-failure destination, another queue's redrive policy."""
    queues = {name for name, spec in resources.items() if spec.get("Type") == "AWS::SQS::Queue"}
    targets: set[str] = set()

    def walk(value, key: str = "") -> None:
        if isinstance(value, dict):
            for child_key, child in value.items():
                if child_key in ("DeadLetterConfig", "OnFailure", "RedrivePolicy", "DeadLetterQueue"):
                    targets.update(queue for queue in queues if _mentions(child, queue))
                walk(child, child_key)
        elif isinstance(value, list):
            for child in value:
                walk(child, key)

    walk(resources)
    return targets


def _mentions(value, name: str) -> bool:
    if _refers_to(value, name):
        return True
    if isinstance(value, dict):
        return any(_mentions(child, name) for child in value.values())
    if isinstance(value, list):
        return any(_mentions(child, name) for child in value)
    return False


def _redrive_problems(resources: dict) -> list[str]:
    queues = {name for name, spec in resources.items() if spec.get("Type") == "AWS::SQS::Queue"}
    problems = []
    for name in sorted(queues - _dead_letter_queues(resources)):
        redrive = (resources[name].get("Properties") or {}).get("RedrivePolicy") or {}
        if not any(_refers_to(redrive.get("deadLetterTargetArn"), queue) for queue in queues):
            problems.append(f"{name}: a queue that is no dead-letter queue needs a RedrivePolicy (to a dead-letter queue of this template)")
    return problems


def _statements(resources: dict):
    """(resource, statement) of every IAM statement the template writes."""
    for name, spec in resources.items():
        props = spec.get("Properties") or {}
        documents = []
        if "PolicyDocument" in props:
            documents.append(props["PolicyDocument"])
        for policy in props.get("Policies") or []:
            if isinstance(policy, dict) and "Statement" in policy:
                documents.append(policy)
            elif isinstance(policy, dict) and "PolicyDocument" in policy:
                documents.append(policy["PolicyDocument"])
        for document in documents:
            for statement in document.get("Statement") or []:
                yield name, statement


def _wildcard_problems(resources: dict) -> list[str]:
    problems = []
    for name, statement in _statements(resources):
        if statement.get("Effect") != "Allow":
            continue
        targets = statement.get("Resource")
        if targets != "*" and not (isinstance(targets, list) and "*" in targets):
            continue
        actions = statement.get("Action")
        for action in [actions] if isinstance(actions, str) else actions:
            if (name, action) not in EXPLAINED_WILDCARDS:
                problems.append(f'{name}: grants {action} on Resource "*" with no reason in EXPLAINED_WILDCARDS')
    return problems


def rule_problems(template: dict) -> list[str]:
    resources = template["Resources"]
    return _log_group_problems(resources) + _redrive_problems(resources) + _wildcard_problems(resources)


# ------------------------------------------------------------------------------- the template
def test_every_resource_keeps_the_rules(template):
    assert rule_problems(template) == []


def test_every_explained_wildcard_is_still_in_the_template(template):
    """A reason kept after its statement is gone would let the next wildcard pass unseen."""
    granted = {
        (name, action)
        for name, statement in _statements(template["Resources"])
        if statement.get("Resource") == "*"
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }
    assert set(EXPLAINED_WILDCARDS) - granted == set()


def test_the_failure_queues_count_as_dead_letter_queues(template):
    assert _dead_letter_queues(template["Resources"]) == {"EventDeadLetterQueue", "EventFailuresQueue"}


# ------------------------------------------------------------------------- what the rules catch
def _no_log_group(resources: dict) -> None:
    del resources["TrackLogGroup"]


def _log_group_kept_forever(resources: dict) -> None:
    del resources["OrderPlacedLogGroup"]["Properties"]["RetentionInDays"]


def _new_function_without_log_group(resources: dict) -> None:
    resources["BirthdayFunction"] = {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "functions/birthday/"}}


def _work_queue_without_redrive(resources: dict) -> None:
    resources["ReplayQueue"] = {"Type": "AWS::SQS::Queue", "Properties": {"MessageRetentionPeriod": 1209600}}


def _work_queue_with_redrive_elsewhere(resources: dict) -> None:
    resources["ReplayQueue"] = {
        "Type": "AWS::SQS::Queue",
        "Properties": {"RedrivePolicy": {"deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:elsewhere", "maxReceiveCount": 5}},
    }


def _new_wildcard(resources: dict) -> None:
    statements = resources["WaitForOrderFunction"]["Properties"]["Policies"]
    statements.append({"Statement": [{"Effect": "Allow", "Action": "dynamodb:Query", "Resource": "*"}]})


def _wildcard_widened_in_a_managed_policy(resources: dict) -> None:
    statement = resources["PublishStoreEventsPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    statement["Resource"] = "*"


def _explained_wildcard_with_one_more_action(resources: dict) -> None:
    for name, statement in _statements(resources):
        if name == "SendMessageFunction" and statement.get("Resource") == "*":
            statement["Action"] = ["sns:Publish", "sns:DeleteTopic"]


MUTATIONS = {
    "a function's log group removed": (_no_log_group, "TrackFunction: no log group of its own"),
    "a log group kept forever": (_log_group_kept_forever, "OrderPlacedFunction: its log group has no RetentionInDays"),
    "a new function without a log group": (_new_function_without_log_group, "BirthdayFunction: no log group of its own"),
    "a work queue without a redrive policy": (_work_queue_without_redrive, "ReplayQueue: a queue that is no dead-letter queue"),
    "a redrive policy to no queue of the template": (_work_queue_with_redrive_elsewhere, "ReplayQueue: a queue that is no dead-letter queue"),
    "a new Resource * on a function": (_new_wildcard, 'WaitForOrderFunction: grants dynamodb:Query on Resource "*"'),
    "a shared policy widened to *": (_wildcard_widened_in_a_managed_policy, 'PublishStoreEventsPolicy: grants events:PutEvents on Resource "*"'),
    "one more action under an explained *": (_explained_wildcard_with_one_more_action, 'SendMessageFunction: grants sns:DeleteTopic on Resource "*"'),
}


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_the_rules_catch(template, mutation):
    change, expected = MUTATIONS[mutation]
    copied = copy.deepcopy(template)
    change(copied["Resources"])
    problems = rule_problems(copied)
    assert any(expected in problem for problem in problems), problems
