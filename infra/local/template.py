"""Reads template.yaml and resolves the intrinsic functions the local stack needs.

The local stack is built from the same file that `sam deploy` uses, so the two cannot
drift: names, environment variables, event patterns, routes and state machine
substitutions all come from here.
"""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
STACK_NAME = "encore-local"
# Values for the parameters template.yaml leaves without a default on purpose (a real deploy
# must be asked for them: `sam deploy --guided` prompts for each).
LOCAL_PARAMETERS = {"SenderDomain": "shop.example"}


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that turns short-form tags (!Ref, !Sub, ...) into long-form dicts."""


def _tag_constructor(loader: yaml.Loader, tag_suffix: str, node: yaml.Node) -> dict:
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _tag_constructor)


def load_template(path: Path) -> dict:
    """The template as a fresh dict (callers may change it): parsed once per text, since
    every local stack a test boots reads the same file."""
    return copy.deepcopy(_parsed(path.read_text()))


@functools.lru_cache(maxsize=4)
def _parsed(text: str) -> dict:
    return yaml.load(text, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


class UnresolvableReference(ValueError):
    """The template uses a reference the local stack cannot resolve."""


@dataclass
class Resolver:
    """Physical names and ARNs for the local stack, and intrinsic-function evaluation."""

    template: dict
    stack_name: str = STACK_NAME
    parameters: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, spec in (self.template.get("Parameters") or {}).items():
            if name in self.parameters:
                continue
            if "Default" in spec:
                self.parameters[name] = str(spec["Default"])
            elif name in LOCAL_PARAMETERS:
                self.parameters[name] = LOCAL_PARAMETERS[name]
            else:
                raise UnresolvableReference(f"parameter {name} has no default: give it a value in LOCAL_PARAMETERS")
        self.pseudo = {
            "AWS::StackName": self.stack_name,
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }

    @property
    def resources(self) -> dict:
        return self.template["Resources"]

    def physical_name(self, logical_id: str) -> str:
        props = self.resources[logical_id].get("Properties") or {}
        for key in ("Name", "TableName", "FunctionName", "QueueName", "TopicName", "LogGroupName", "BucketName"):
            if key in props:
                return self.resolve(props[key])
        name = f"{self.stack_name}-{logical_id}"
        # S3 bucket names are lower case; CloudFormation generates them that way too.
        return name.lower() if self.resources[logical_id]["Type"] == "AWS::S3::Bucket" else name

    def ref(self, name: str) -> str:
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        kind = self.resources[name]["Type"]
        physical = self.physical_name(name)
        if kind == "AWS::Serverless::StateMachine":
            return self.arn("states", f"stateMachine:{physical}")
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{physical}"
        if kind == "AWS::SNS::Topic":
            return self.arn("sns", physical)
        return physical

    def get_att(self, name: str, attribute: str) -> str:
        kind = self.resources[name]["Type"]
        physical = self.physical_name(name)
        arns = {
            ("AWS::Serverless::Function", "Arn"): lambda: self.arn("lambda", f"function:{physical}"),
            ("AWS::DynamoDB::Table", "Arn"): lambda: self.arn("dynamodb", f"table/{physical}"),
            ("AWS::Events::EventBus", "Arn"): lambda: self.arn("events", f"event-bus/{physical}"),
            ("AWS::Events::Archive", "Arn"): lambda: self.arn("events", f"archive/{physical}"),
            ("AWS::SQS::Queue", "Arn"): lambda: self.arn("sqs", physical),
            ("AWS::SQS::Queue", "QueueName"): lambda: physical,
            ("AWS::Logs::LogGroup", "Arn"): lambda: self.arn("logs", f"log-group:{physical}:*"),
            ("AWS::Serverless::StateMachine", "Name"): lambda: physical,
            ("AWS::S3::Bucket", "Arn"): lambda: f"arn:aws:s3:::{physical}",
            ("AWS::SNS::Topic", "TopicName"): lambda: physical,
            ("AWS::SNS::Topic", "TopicArn"): lambda: self.arn("sns", physical),
        }
        try:
            return arns[(kind, attribute)]()
        except KeyError:
            raise UnresolvableReference(f"Fn::GetAtt {name}.{attribute} ({kind})") from None

    @staticmethod
    def arn(service: str, resource: str) -> str:
        return f"arn:aws:{service}:{REGION}:{ACCOUNT_ID}:{resource}"

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                return self.get_att(*(arg if isinstance(arg, list) else arg.split(".", 1)))
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::Join":
                separator, items = arg
                return separator.join(str(self.resolve(item)) for item in items)
            if key.startswith("Fn::"):
                raise UnresolvableReference(key)
        return {key: self.resolve(item) for key, item in value.items()}

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])

        def replace(match: re.Match) -> str:
            name = match.group(1)
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name:
                return self.get_att(*name.split(".", 1))
            return self.ref(name)

        return re.sub(r"\$\{([^!}][^}]*)\}", replace, text)
