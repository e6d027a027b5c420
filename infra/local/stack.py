"""The whole Encore stack on moto, in this process, built from template.yaml.

    with LocalStack(start=datetime(2026, 11, 2, 9, tzinfo=timezone.utc)) as stack:
        store = stack.add_store("demo-store")   # as `encore store add`: secrets, API key, settings
        api = stack.serve_http_api()          # http://127.0.0.1:<port>
        client = StoreClient(api.url, store)
        ...post webhooks...
        stack.clock.advance(timedelta(days=3))

What it plugs into moto (see shared notes on the local runtime): Step Functions executes
definitions (moto's ASL engine) under a discrete-event virtual clock; Lambda handlers run
in-process; EventBridge rules deliver to Lambda targets synchronously (moto has no Lambda
targets); API Gateway routes are served by a local HTTP server in payload format 2.0.
"""

from __future__ import annotations

import copy
import io
import json
import logging
import os
import re
import threading
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

from moto import mock_aws
from moto.events.models import Replay, Rule
from moto.events.utils import EventTemplateParser
from moto.sns.models import sns_backends
from moto.stepfunctions.parser.models import StepFunctionsParserBackend
from moto.utilities.arns import parse_arn

from encore.adapters.secrets import ADMIN_API, secret_name, shop_name, stack_name
from encore.adapters.secrets import clear_cache as clear_parameter_cache
from encore.stores import StoreSettings
from infra.cli.context import Context
from infra.cli.replay import replay
from infra.cli.stores import new_webhook_secret, register_store, shop_document
from infra.local import asl_parse_cache, botocore_reuse, moto_partition_query
from infra.local.asl_check import check_definition
from infra.local.clock import VirtualClock
from infra.local.lambdas import FunctionSpec, InProcessLambdas
from infra.local.moto_caches import MotoCaches
from infra.local.store_client import StoreCredentials
from infra.local.template import ACCOUNT_ID, REGION, Resolver, load_template

ROOT = Path(__file__).resolve().parents[2]
LOCAL_PUSH_APPLICATION = "encore-local-push"  # the End User Messaging Push project id here
LOCAL_POSTAL_ADDRESS = "Gedimino pr. 1\nLT-01103 Vilnius\nLithuania"  # made up: the local store's footer
DEFAULT_START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
# Lambda retries a failed asynchronous invocation after about 1 minute, then 2 minutes more.
ASYNC_RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=2))
LOCAL_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "TZ": "UTC",  # moto compares Timestamp waits with naive local time
    # Test receivers (the audience webhook) listen on 127.0.0.1 over plain HTTP: allowed here
    # only (encore.outbound); nothing deployed sets this.
    "ENCORE_LOCAL_STACK": "1",
    # No X-Ray daemon and no CloudWatch here: tracing off, metrics off, quiet logs.
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}


def _dummy_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "# the local stack runs functions/<name>/app.py in-process\n")
    return buffer.getvalue()


class LocalStack:
    def __init__(self, *, start: datetime = DEFAULT_START, root: Path = ROOT, log_level: str = "WARNING"):
        self.root = root
        self.template = load_template(root / "template.yaml")
        self.resolver = Resolver(self.template)
        self.clock = VirtualClock(start=start)
        self.lambdas = InProcessLambdas(layer_dirs=self._layer_dirs())
        self.routes: list[tuple[str, str, str]] = []  # (method, path, function name)
        self.invoke_configs: dict[str, dict] = {}  # function name -> resolved EventInvokeConfig
        self.schedules: dict[str, Schedule] = {}  # a function's ScheduleV2 event name -> its schedule
        self.log_level = log_level
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._saved_environment: dict[str, str] = {}
        self._original_send_to_targets = None
        self._original_get_executions = None
        self._original_replay_events = None
        self._servers: list = []
        self.shops: dict = {}  # store id -> its fake shop admin API (add_store)
        # What SES GetAccount answers here (moto has no GetAccount): a test may put the
        # local account in the sandbox to see what `encore smoke` says then.
        self.ses_production_access = True
        self._engine_clients = botocore_reuse.EngineClients()
        self._moto_caches = MotoCaches()

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def start(self) -> None:
        self._saved_environment = os.environ.copy()
        os.environ.update(LOCAL_ENVIRONMENT)
        os.environ["POWERTOOLS_LOG_LEVEL"] = self.log_level
        botocore_reuse.install_shared_loader()
        self._mock.start()
        # A new stack is a new account: no function may be warm with the last one's secrets.
        clear_parameter_cache()
        self._attach_push_fake()
        self._answer_ses_get_account()
        self._read_jsonpath_variables()
        self.clock.install()
        # Powertools reads the level when the logger is created, which may predate this stack.
        logging.getLogger("encore").setLevel(self.log_level)
        self.lambdas.install()
        self._deliver_events_to_lambda_targets()
        self._skip_executions_still_starting()
        self._replay_only_the_window()
        asl_parse_cache.install()
        moto_partition_query.install()
        self._engine_clients.install()
        self._moto_caches.install()
        self._create_resources()

    def stop(self) -> None:
        # Each server notices a shutdown at its next poll (up to 20 ms): stop them together.
        stopping = [threading.Thread(target=server.stop, name="local-server-stop") for server in self._servers]
        for thread in stopping:
            thread.start()
        for thread in stopping:
            thread.join()
        self._servers.clear()
        # Let every execution park before the engine is torn down under it.
        try:
            self.clock.settle()
        finally:
            if self._original_send_to_targets:
                Rule.send_to_targets = self._original_send_to_targets
            if self._original_get_executions:
                StepFunctionsParserBackend._get_executions = self._original_get_executions
            if self._original_replay_events:
                Replay.replay_events = self._original_replay_events
            _remove_ses_get_account()
            asl_parse_cache.uninstall()
            moto_partition_query.uninstall()
            self._engine_clients.uninstall()
            self._moto_caches.uninstall()
            botocore_reuse.uninstall_shared_loader()
            self.lambdas.uninstall()
            self.clock.uninstall()
            self._mock.stop()
            os.environ.clear()
            os.environ.update(self._saved_environment)

    # ------------------------------------------------------------------ resources
    def _client(self, service: str):
        """The stack's client for ``service`` (a boot makes about seventy calls): shared by
        every stack in the process, see ``botocore_reuse.shared_client``."""
        return botocore_reuse.shared_client(service)

    def _layer_dirs(self) -> list[Path]:
        return [self.root / spec["Properties"]["ContentUri"] for spec in self.template["Resources"].values() if spec["Type"] == "AWS::Serverless::LayerVersion"]

    def _of_type(self, kind: str) -> list[tuple[str, dict]]:
        return [(logical, spec) for logical, spec in self.template["Resources"].items() if spec["Type"] == kind]

    def _create_resources(self) -> None:
        for logical, spec in self._of_type("AWS::DynamoDB::Table"):
            self._create_table(logical, spec["Properties"])
        for logical, _ in self._of_type("AWS::S3::Bucket"):
            self._client("s3").create_bucket(Bucket=self.resolver.physical_name(logical))
        for logical, _ in self._of_type("AWS::SES::ConfigurationSet"):
            # moto keeps the set (SendEmail may name it) but publishes no events: tests put
            # SES-shaped events on the default bus themselves.
            self._client("sesv2").create_configuration_set(ConfigurationSetName=self.resolver.physical_name(logical))
        for logical, _ in self._of_type("AWS::SNS::Topic"):
            self._client("sns").create_topic(Name=self.resolver.physical_name(logical))
        for logical, _ in self._of_type("AWS::SQS::Queue"):
            self._client("sqs").create_queue(QueueName=self.resolver.physical_name(logical))
        for logical, _ in self._of_type("AWS::Events::EventBus"):
            self._client("events").create_event_bus(Name=self.resolver.physical_name(logical))
        for logical, spec in self._of_type("AWS::Events::Rule"):
            # The template's own rules (operator alerts): a function's EventBridgeRule events
            # are created with the function instead.
            props = self.resolver.resolve(spec["Properties"])
            rule_name, bus = self.resolver.physical_name(logical), props.get("EventBusName", "default")
            events = self._client("events")
            events.put_rule(Name=rule_name, EventBusName=bus, EventPattern=json.dumps(props["EventPattern"]), State=props.get("State", "ENABLED"))
            events.put_targets(Rule=rule_name, EventBusName=bus, Targets=props["Targets"])
        for logical, spec in self._of_type("AWS::Events::Archive"):
            props = self.resolver.resolve(spec["Properties"])
            self._client("events").create_archive(
                ArchiveName=f"{self.resolver.stack_name}-{logical}", EventSourceArn=props["SourceArn"], RetentionDays=int(props.get("RetentionDays", 0))
            )
        role_arn = self._client("iam").create_role(
            RoleName="encore-local-execution-role", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
        )["Role"]["Arn"]
        for logical, spec in self._of_type("AWS::Serverless::Function"):
            self._create_function(logical, spec["Properties"], role_arn)
        for logical, spec in self._of_type("AWS::Serverless::StateMachine"):
            self._create_state_machine(logical, spec["Properties"], role_arn)
        for _logical, spec in self._of_type("AWS::SSM::Parameter"):
            props = self.resolver.resolve(spec["Properties"])
            self._client("ssm").put_parameter(Name=props["Name"], Value=props["Value"], Type=props["Type"], Overwrite=True)
        self._verify_sender_domain()

    def _verify_sender_domain(self) -> None:
        """The stack's sender domain as an SES identity, verified with DKIM on (what the
        store's DNS records achieve in AWS; moto would leave it pending)."""
        from moto.sesv2.models import sesv2_backends

        domain = self.resolver.parameters["SenderDomain"]
        sesv2 = self._client("sesv2")
        if domain not in [i["IdentityName"] for i in sesv2.list_email_identities()["EmailIdentities"]]:
            sesv2.create_email_identity(EmailIdentity=domain)
        identity = sesv2_backends[ACCOUNT_ID][REGION].get_email_identity(domain)
        identity.verified_for_sending_status = True
        identity.dkim_attributes.update(SigningEnabled=True, Status="SUCCESS")

    def _read_jsonpath_variables(self) -> None:
        """moto reads every variable reference (``"state.$": "$failed_state"``) through JSONata,
        which it does not ship (``_eval_jsonata`` is None). In JSONPath mode a reference is a
        plain path, ``$name`` or ``$name.field``, that Step Functions reads from the variable
        store: read it so here (the failure endings take the failed state's name that way)."""
        from moto.stepfunctions.parser.asl.component.common.query_language import QueryLanguageMode
        from moto.stepfunctions.parser.asl.component.common.string.string_expression import StringVariableSample

        if getattr(StringVariableSample, "_encore_reads_jsonpath", False):
            return
        original = StringVariableSample._eval_body

        def _eval_body(sample: StringVariableSample, env: Any) -> None:
            if sample.query_language_mode != QueryLanguageMode.JSONPath:
                return original(sample, env)
            name, *fields = sample.expression.removeprefix("$").split(".")
            value = env.variable_store.get(name)
            for field_name in fields:
                value = value[field_name]
            env.stack.append(value)

        StringVariableSample._eval_body = _eval_body
        StringVariableSample._encore_reads_jsonpath = True

    def _answer_ses_get_account(self) -> None:
        """moto's SES v2 has no GetAccount: answer it as AWS does for this account."""
        from moto.ses.models import ses_backends
        from moto.sesv2.responses import SESV2Response

        stack = self

        def get_account(response: SESV2Response) -> str:
            sent = len(ses_backends[response.current_account][response.region].sent_messages)
            return json.dumps(
                {
                    "DedicatedIpAutoWarmupEnabled": False,
                    "EnforcementStatus": "HEALTHY",
                    "ProductionAccessEnabled": stack.ses_production_access,
                    "SendingEnabled": True,
                    "SendQuota": {
                        "Max24HourSend": 50000.0 if stack.ses_production_access else 200.0,
                        "MaxSendRate": 14.0 if stack.ses_production_access else 1.0,
                        "SentLast24Hours": float(sent),
                    },
                }
            )

        SESV2Response.get_account = get_account
        # moto's server turns the catch-all "/v2/.*" into a literal path: route the account
        # explicitly, so a CLI talking to the stack through ThreadedMotoServer reaches it too.
        from moto.sesv2 import urls

        urls.url_paths.setdefault(_SES_ACCOUNT_PATH, SESV2Response.dispatch)

    def _create_table(self, logical: str, props: dict) -> None:
        props = self.resolver.resolve(props)
        request = {key: props[key] for key in ("AttributeDefinitions", "KeySchema", "BillingMode", "GlobalSecondaryIndexes") if key in props}
        name = self.resolver.physical_name(logical)
        dynamodb = self._client("dynamodb")
        dynamodb.create_table(TableName=name, **request)
        if "TimeToLiveSpecification" in props:
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=props["TimeToLiveSpecification"])

    def _function_properties(self, props: dict) -> dict:
        merged = copy.deepcopy(self.template.get("Globals", {}).get("Function", {}))
        variables = {**merged.get("Environment", {}).get("Variables", {}), **props.get("Environment", {}).get("Variables", {})}
        merged.update(props)
        merged["Environment"] = {"Variables": variables}
        return merged

    def _create_function(self, logical: str, raw_props: dict, role_arn: str) -> None:
        props = self._function_properties(raw_props)
        name = self.resolver.physical_name(logical)
        environment = {key: str(value) for key, value in self.resolver.resolve(props["Environment"]["Variables"]).items()}
        self._client("lambda").create_function(
            FunctionName=name,
            Runtime=props["Runtime"],
            Role=role_arn,
            Handler=props["Handler"],
            Code={"ZipFile": _dummy_zip()},
            Environment={"Variables": environment},
            Timeout=int(props.get("Timeout", 3)),
            MemorySize=int(props.get("MemorySize", 128)),
        )
        self.lambdas.register(FunctionSpec(name=name, code_dir=self.root / props["CodeUri"], handler=props["Handler"], environment=environment))
        if "EventInvokeConfig" in props:
            config = self.resolver.resolve(props["EventInvokeConfig"])
            self.invoke_configs[name] = config
            destination = config.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
            self._client("lambda").put_function_event_invoke_config(
                FunctionName=name,
                MaximumRetryAttempts=int(config.get("MaximumRetryAttempts", 2)),
                **({"DestinationConfig": {"OnFailure": {"Destination": destination}}} if destination else {}),
            )
        for event_name, event in (props.get("Events") or {}).items():
            event_props = self.resolver.resolve(event.get("Properties") or {})
            if event["Type"] == "HttpApi":
                self.routes.append((event_props["Method"].upper(), event_props["Path"], name))
            elif event["Type"] == "EventBridgeRule":
                self._create_rule(f"{name}-{event_name}", name, event_props)
            elif event["Type"] == "ScheduleV2":
                self.schedules[event_name] = Schedule(
                    event_name,
                    name,
                    self.resolver.arn("lambda", f"function:{name}"),
                    event_props["ScheduleExpression"],
                    json.loads(event_props.get("Input") or "{}"),
                )
            elif event["Type"] == "SNS":
                # moto's SNS invokes lambda subscribers through the (in-process) Lambda backend.
                self._client("sns").subscribe(TopicArn=event_props["Topic"], Protocol="lambda", Endpoint=self.resolver.arn("lambda", f"function:{name}"))

    def _create_rule(self, rule_name: str, function_name: str, props: dict) -> None:
        events = self._client("events")
        bus = props.get("EventBusName", "default")
        events.put_rule(Name=rule_name, EventBusName=bus, EventPattern=json.dumps(props["Pattern"]), State="ENABLED")
        target = {"Id": function_name, "Arn": self.resolver.arn("lambda", f"function:{function_name}")}
        if "DeadLetterConfig" in props:
            target["DeadLetterConfig"] = {"Arn": props["DeadLetterConfig"]["Arn"]}
        events.put_targets(Rule=rule_name, EventBusName=bus, Targets=[target])

    def _create_state_machine(self, logical: str, props: dict, role_arn: str) -> None:
        props = self.resolver.resolve(props)
        text = (self.root / props["DefinitionUri"]).read_text()
        for key, value in (props.get("DefinitionSubstitutions") or {}).items():
            text = text.replace("${" + key + "}", str(value))
        definition = json.loads(text)
        check_definition(definition)
        self._client("stepfunctions").create_state_machine(
            name=props["Name"], definition=json.dumps(definition), roleArn=role_arn, type=props.get("Type", "STANDARD")
        )

    def _deliver_events_to_lambda_targets(self) -> None:
        """moto's EventBridge has no Lambda targets: deliver to them synchronously here.

        Synchronous delivery means that when a webhook's HTTP response returns, everything
        it caused has run: the driver can then move the virtual clock safely. EventBridge
        invokes Lambda asynchronously, so a handler error is Lambda's to handle, as in AWS:
        the function's retries (clock timers, see ``_invoke_asynchronously``), then its
        on-failure destination. The rule's dead-letter queue only ever holds events
        EventBridge could not hand to Lambda at all, which does not happen here.
        """
        original = Rule.send_to_targets
        self._original_send_to_targets = original

        def send_to_targets(rule: Rule, event: dict, transform_input: bool = True) -> None:
            lambda_targets = [target for target in rule.targets if parse_arn(target["Arn"]).service == "lambda"]
            sns_targets = [target for target in rule.targets if parse_arn(target["Arn"]).service == "sns"]
            if not lambda_targets and not sns_targets:
                return original(rule, event, transform_input)
            if not rule.event_pattern.matches_event(event):
                return None
            for target in sns_targets:
                # moto's EventBridge has no SNS targets either (operator alerts): publish the
                # target's input, transformed as EventBridge would.
                transformer = target.get("InputTransformer", {}) if transform_input else {}
                message = EventTemplateParser.parse(
                    input_template=transformer.get("InputTemplate"), input_paths_map=transformer.get("InputPathsMap", {}), event=event
                )
                arn = parse_arn(target["Arn"])
                sns_backends[arn.account][arn.region].publish(message if isinstance(message, str) else json.dumps(message), arn=target["Arn"])
            others = [target for target in rule.targets if target not in lambda_targets and target not in sns_targets]
            if not lambda_targets:
                if others:
                    saved, rule.targets = rule.targets, others
                    try:
                        original(rule, event, transform_input)
                    finally:
                        rule.targets = saved
                return None
            if others:
                saved, rule.targets = rule.targets, others
                try:
                    original(rule, event, transform_input)
                finally:
                    rule.targets = saved
            for target in lambda_targets:
                name = parse_arn(target["Arn"]).resource_id.split(":")[-1]
                payload = {**event, "time": _event_time(event.get("time"))}
                self._invoke_asynchronously(name, target["Arn"], payload)
            return None

        Rule.send_to_targets = send_to_targets

    def _replay_only_the_window(self) -> None:
        """moto replays every archived event whatever the replay's window; EventBridge replays
        only events whose time lies in [EventStartTime, EventEndTime) (an operator replays the
        hours of an outage, not the whole archive)."""
        original = Replay.replay_events
        self._original_replay_events = original

        def replay_events(replay, archive) -> None:
            start, end = _epoch(replay.event_start_time), _epoch(replay.event_end_time)
            everything = archive.events
            archive.events = [event for event in everything if start <= _epoch(event["time"]) < end]
            try:
                original(replay, archive)
            finally:
                archive.events = everything

        Replay.replay_events = replay_events

    def _invoke_asynchronously(self, name: str, arn: str, payload: dict, *, attempt: int = 1, request_id: str | None = None) -> None:
        """Lambda's asynchronous invocation: on a function error, retry after 1 minute and then
        2 more minutes (up to the function's MaximumRetryAttempts), then send Lambda's
        on-failure record (the event and the error) to the function's destination.
        https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html"""
        request_id = request_id or str(uuid.uuid4())
        response, errored, _ = self.lambdas.invoke(name, arn, payload)
        if not errored:
            return
        config = self.invoke_configs.get(name, {})
        if attempt <= config.get("MaximumRetryAttempts", 2):
            self.clock.call_later(
                ASYNC_RETRY_DELAYS[attempt - 1],
                lambda: self._invoke_asynchronously(name, arn, payload, attempt=attempt + 1, request_id=request_id),
                name=f"lambda-retry-{name}-{attempt}",
            )
            return
        destination = config.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        if not destination:
            return  # Lambda discards it: the template test makes sure no function is left so
        record = {
            "version": "1.0",
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "requestContext": {"requestId": request_id, "functionArn": f"{arn}:$LATEST", "condition": "RetriesExhausted", "approximateInvokeCount": attempt},
            "requestPayload": payload,
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "responsePayload": json.loads(response),
        }
        sqs = self._client("sqs")
        queue_url = sqs.get_queue_url(QueueName=parse_arn(destination).resource_id)["QueueUrl"]
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(record, default=str))

    def _skip_executions_still_starting(self) -> None:
        """moto's SendTaskSuccess / Failure / Heartbeat look for the token in every running
        execution, and fail with AttributeError on one that was started a moment ago and has
        no evaluation environment yet (a handler that starts a journey and then releases
        another hits this). Such an execution cannot hold the token: leave it out."""
        original = StepFunctionsParserBackend._get_executions
        self._original_get_executions = original

        def _get_executions(backend, execution_status=None):
            return [execution for execution in original(backend, execution_status) if getattr(execution.exec_worker, "env", None) is not None]

        StepFunctionsParserBackend._get_executions = _get_executions

    def _attach_push_fake(self) -> None:
        """moto has no End User Messaging Push sending: the functions' pinpoint client (one
        per process, like in Lambda) answers from a faithful fake that validates requests
        against botocore's model. ``self.push.accepted`` is what reached devices."""
        from encore.adapters.aws import client
        from infra.local.push import FakePushService

        client.cache_clear()  # a new stack is a new account: no client from the last one
        self.push = FakePushService(application_ids=[LOCAL_PUSH_APPLICATION])
        self.push.attach(client("pinpoint"))

    # ------------------------------------------------------------------ schedules
    def fire_schedule(self, event_name: str) -> None:
        """What EventBridge Scheduler does when a schedule is due: invoke its function
        asynchronously with the schedule's input (Lambda's retries and on-failure destination)."""
        schedule = self.schedules[event_name]
        self._invoke_asynchronously(schedule.function, schedule.arn, copy.deepcopy(schedule.input))

    def start_schedules(self, *event_names: str) -> None:
        """Arm these schedules (every one when none is named) on the virtual clock from now on.

        Off unless a test asks: an hourly reconciliation would otherwise recover what a test
        leaves undelivered on purpose, and cost every test its runs."""
        for event_name in event_names or tuple(self.schedules):
            self._arm(self.schedules[event_name])

    def _arm(self, schedule: Schedule) -> None:
        def fire() -> None:
            self._invoke_asynchronously(schedule.function, schedule.arn, copy.deepcopy(schedule.input))
            self._arm(schedule)

        now = self.clock.now()
        self.clock.call_later(schedule.next_after(now) - now, fire, name=f"schedule-{schedule.event_name}")

    # ------------------------------------------------------------------ stores and views
    def physical(self, logical: str) -> str:
        return self.resolver.ref(logical)

    def add_store(self, store_id: str, settings: dict | None = None) -> StoreCredentials:
        """Register a Shopify store the way `encore store add` does (one home for the SSM
        layout: ``infra.cli.stores.register_store``): a fresh webhook secret, an API key, an
        unsubscribe key and its settings (version 0 unless given)."""
        prefix = self.resolver.parameters["ParametersPrefix"]
        settings = dict(settings or {})
        name = settings.setdefault("name", StoreSettings.model_fields["name"].default)
        settings.setdefault("sender", f"{name} <hello@{self.resolver.parameters['SenderDomain']}>")
        # Marketing emails show the store's postal address; the local store has a made-up one.
        settings.setdefault("postal_address", LOCAL_POSTAL_ADDRESS)
        shop = self._start_fake_shopify(store_id)
        document = {**shop_document(store_id, "shopify"), "admin_base_url": shop.url}
        store = register_store(
            Context(prefix=prefix),
            store_id,
            document,
            webhook_secret=new_webhook_secret(),
            settings=settings,
            admin_api=json.dumps({"access_token": f"shpat_{store_id}"}),
        )
        return StoreCredentials(store_id, webhook_secret=store.webhook_secret, api_key=store.api_key)

    def connect_fake_shopify(self, store_id: str) -> None:
        """Give a Shopify store an operator registered (``encore store add``) its shop here: a
        fake Admin API, its address in the store's shop document and its token stored as
        ``encore secret rotate STORE admin-api`` would store it."""
        shop = self._start_fake_shopify(store_id)
        context = Context(prefix=self.resolver.parameters["ParametersPrefix"])
        document = {**context.get_json(shop_name(context.prefix, store_id)), "admin_base_url": shop.url}
        context.put(shop_name(context.prefix, store_id), json.dumps(document))
        context.put(secret_name(context.prefix, store_id, ADMIN_API), json.dumps({"access_token": f"shpat_{store_id}"}), secure=True)

    def _start_fake_shopify(self, store_id: str):
        """A fake Shopify Admin API on 127.0.0.1 for the store (coupons are created there
        before a message carries them); tests reach it as ``stack.shops[store_id]``."""
        from infra.local.shops import FakeShopify

        shop = FakeShopify(shop_domain=f"{store_id}.myshopify.com", access_token=f"shpat_{store_id}").start()
        self._servers.append(shop)
        self.shops[store_id] = shop
        return shop

    def serve_http_api(self):
        from infra.local.http_api import LocalHttpApi

        server = LocalHttpApi(self.routes)
        server.start()
        self._servers.append(server)
        # The CLI (`encore smoke`, webhook registration) finds the HTTP API in {prefix}/stack.
        ssm = self._client("ssm")
        name = stack_name(self.resolver.parameters["ParametersPrefix"])
        document = json.loads(ssm.get_parameter(Name=name)["Parameter"]["Value"])
        ssm.put_parameter(Name=name, Value=json.dumps({**document, "api_url": server.url}), Type="String", Overwrite=True)
        # Here the HTTP API lives at the local server: links functions build (unsubscribe)
        # must point there, not at the execute-api address the template names.
        for logical, _ in self._of_type("AWS::Serverless::HttpApi"):
            deployed = f"https://{self.resolver.ref(logical)}.execute-api.{REGION}.amazonaws.com"
            for spec in self.lambdas.functions.values():
                spec.environment = {key: value.replace(deployed, server.url) for key, value in spec.environment.items()}
        return server

    def stack_parameter(self) -> dict:
        """The ``{prefix}/stack`` document the template writes (what the CLI reads)."""
        name = stack_name(self.resolver.parameters["ParametersPrefix"])
        return json.loads(self._client("ssm").get_parameter(Name=name)["Parameter"]["Value"])

    def replay(self, since: datetime, until: datetime) -> str:
        """Replay the archive onto the bus through the same call operators use in AWS."""
        return replay(
            bus_arn=self.resolver.get_att("EventBus", "Arn"),
            archive_arn=self.resolver.arn("events", f"archive/{self.resolver.stack_name}-EventArchive"),
            since=since,
            until=until,
        )

    def sent_emails(self, provider_ids: set[str] | None = None) -> list[Message]:
        """Every email SES accepted, in order (only those with these SES message ids if given)."""
        from moto.ses.models import ses_backends

        backend = ses_backends[ACCOUNT_ID][REGION]
        return [
            message_from_bytes(raw.raw_data.encode() if isinstance(raw.raw_data, str) else raw.raw_data)
            for raw in backend.sent_messages
            if provider_ids is None or raw.id in provider_ids
        ]

    def executions(self, state_machine_logical_id: str) -> list[dict]:
        sfn = self._client("stepfunctions")
        arn = self.resolver.ref(state_machine_logical_id)
        found = []
        for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=arn):
            found.extend(page["executions"])
        return found

    def history(self, execution_arn: str) -> list[dict]:
        sfn = self._client("stepfunctions")
        events = []
        for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
            events.extend(page["events"])
        return events


class Schedule:
    """A ScheduleV2 event of a function: ``rate(N minutes|hours|days)`` or a daily
    ``cron(M H * * ? *)`` in UTC (what the template uses; anything else is refused here rather
    than fired at the wrong time)."""

    _RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
    _DAILY_CRON = re.compile(r"^cron\((\d{1,2}) (\d{1,2}) \* \* \? \*\)$")

    def __init__(self, event_name: str, function: str, arn: str, expression: str, payload: dict):
        self.event_name, self.function, self.arn, self.expression, self.input = event_name, function, arn, expression, payload
        if not (self._RATE.match(expression) or self._DAILY_CRON.match(expression)):
            raise ValueError(f"schedule {event_name}: the local stack fires rate(...) and daily cron(M H * * ? *) only, not {expression!r}")

    def next_after(self, moment: datetime) -> datetime:
        rate = self._RATE.match(self.expression)
        if rate:
            unit = rate.group(2).rstrip("s") + "s"
            return moment + timedelta(**{unit: int(rate.group(1))})
        minute, hour = (int(part) for part in self._DAILY_CRON.match(self.expression).groups())
        due = moment.replace(hour=hour, minute=minute, second=0, microsecond=0)
        return due if due > moment else due + timedelta(days=1)


def _epoch(value: Any) -> float:
    """A time as moto keeps it (epoch seconds, or an ISO string with Z) in epoch seconds."""
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, datetime):
        return value.timestamp()
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def _event_time(value: Any) -> str:
    """EventBridge gives targets an ISO-8601 ``time``; moto keeps whatever PutEvents had."""
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value) if value else datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_SES_ACCOUNT_PATH = "{0}/v2/email/account$"


def _remove_ses_get_account() -> None:
    from moto.sesv2 import urls
    from moto.sesv2.responses import SESV2Response

    if "get_account" in SESV2Response.__dict__:
        del SESV2Response.get_account
    urls.url_paths.pop(_SES_ACCOUNT_PATH, None)
