"""``encore redrive STORE|--all``: failed store events back onto the bus, failed journeys redriven.

1. Dead-letter queues (from the ``{prefix}/stack`` parameter: ``dead_letter_queue_url``, and
   ``event_failures_queue_url`` when the stack has a queue of Lambda on-failure records).
   A message is either the EventBridge event itself (what a rule's DeadLetterConfig and a
   function's DeadLetterQueue keep) or a Lambda on-failure destination record
   ``{requestContext, requestPayload, responseContext, responsePayload}`` whose
   ``requestPayload`` is that event. The event goes back on the stack's bus with its own
   source, detail-type, detail and time, and the message is deleted only after the bus
   accepted the entry: a crash in between redrives it again, which every event function
   tolerates (they are idempotent: orders count once, journeys start once by name). With
   STORE only that store's events move; the others are made visible again at once.
   Every rule matching the event runs again, not only the one that failed: the same
   idempotency makes that harmless.
2. Failed journeys: the FAILED and TIMED_OUT executions of this stack's state machines are
   redriven with Step Functions ``RedriveExecution`` (from the state that failed, keeping the
   steps that succeeded). Where the service cannot (an execution older than 14 days, one
   whose state machine changed, a local emulator without the API: moto 5.2.5 has none) the
   execution is listed with its console link.
"""

from __future__ import annotations

import argparse
import json

from infra.cli.context import Context, OperatorError

RECEIVE_BATCH = 10  # SQS's maximum per ReceiveMessage
VISIBILITY_SECONDS = 120  # a message being redriven stays hidden from a second redrive meanwhile
MAX_MESSAGES = 100_000  # bound on one run
QUEUE_KEYS = ("dead_letter_queue_url", "event_failures_queue_url")
FAILED_STATUSES = ("FAILED", "TIMED_OUT")


def original_event(body: str) -> dict | None:
    """The EventBridge event a dead-letter message holds, or None for anything else."""
    try:
        message = json.loads(body)
    except ValueError:
        return None
    if isinstance(message, dict) and isinstance(message.get("requestPayload"), dict) and "requestContext" in message:
        message = message["requestPayload"]  # a Lambda on-failure destination record
    if not isinstance(message, dict) or not {"source", "detail-type", "detail"} <= message.keys():
        return None
    return message


def redrive_queue(queue_url: str, *, bus_name: str, store_id: str | None, sqs, events) -> dict[str, int]:
    """Move the queue's events (of ``store_id``, or all) back onto the bus; counts."""
    counts = {"redriven": 0, "other_store": 0, "unreadable": 0, "refused": 0}
    skipped: list[str] = []  # receipt handles made visible again at the end
    seen = 0
    while seen < MAX_MESSAGES:
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=RECEIVE_BATCH, VisibilityTimeout=VISIBILITY_SECONDS, WaitTimeSeconds=0).get(
            "Messages", []
        )
        if not batch:
            break
        seen += len(batch)
        for message in batch:
            event = original_event(message["Body"])
            if event is None:
                counts["unreadable"] += 1  # left on the queue for a person to read
                continue
            detail = event["detail"] if isinstance(event["detail"], dict) else {}
            if store_id and detail.get("store_id") != store_id:
                counts["other_store"] += 1
                skipped.append(message["ReceiptHandle"])
                continue
            entry = {"Source": event["source"], "DetailType": event["detail-type"], "Detail": json.dumps(event["detail"]), "EventBusName": bus_name}
            if event.get("time"):
                entry["Time"] = event["time"]
            if event.get("resources"):
                entry["Resources"] = event["resources"]
            answer = events.put_events(Entries=[entry])
            if answer.get("FailedEntryCount"):
                counts["refused"] += 1  # stays on the queue: visible again after the timeout
                continue
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            counts["redriven"] += 1
    for handle in skipped:
        sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=handle, VisibilityTimeout=0)
    return counts


def console_link(execution_arn: str) -> str:
    region = execution_arn.split(":")[3]
    return f"https://{region}.console.aws.amazon.com/states/home?region={region}#/v2/executions/details/{execution_arn}"


def failed_executions(prefix_arn: str, sfn) -> list[dict]:
    machines = [
        machine
        for page in sfn.get_paginator("list_state_machines").paginate()
        for machine in page["stateMachines"]
        if machine["stateMachineArn"].startswith(prefix_arn)
    ]
    found = []
    for machine in machines:
        for status in FAILED_STATUSES:
            for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine["stateMachineArn"], statusFilter=status):
                found.extend(page["executions"])
    return found


def redrive_executions(executions: list[dict], *, store_id: str | None, sfn) -> list[tuple[str, str]]:
    """(execution ARN, what happened) for each failed execution (of the store's journeys)."""
    import botocore.exceptions

    results = []
    for execution in executions:
        arn = execution["executionArn"]
        # Every journey's input names its store (encore.journeys.Journeys.start).
        if store_id and _input_store(sfn, arn) != store_id:
            continue
        try:
            sfn.redrive_execution(executionArn=arn)
            results.append((arn, "redriven"))
        except NotImplementedError:
            results.append((arn, f"not redriven: this endpoint has no RedriveExecution; redrive it from {console_link(arn)}"))
        except botocore.exceptions.ClientError as error:
            code = error.response.get("Error", {}).get("Code", "error")
            results.append((arn, f"not redriven ({code}: {error.response.get('Error', {}).get('Message', '')}); see {console_link(arn)}"))
    return results


def _input_store(sfn, execution_arn: str) -> str | None:
    try:
        document = json.loads(sfn.describe_execution(executionArn=execution_arn).get("input") or "{}")
    except ValueError:
        return None
    return document.get("store_id") if isinstance(document, dict) else None


def _run(args: argparse.Namespace, context: Context) -> int:
    if bool(args.store) == bool(args.all):
        raise OperatorError("name one STORE, or --all for every store's failed events")
    if args.store:
        context.require_store(args.store)
    stack = context.stack()
    queues = [(key, stack[key]) for key in QUEUE_KEYS if stack.get(key)]
    if not queues:
        raise OperatorError("the stack parameter names no dead-letter queue (deploy a newer template)")
    sqs, events = context.client("sqs"), context.client("events")
    left = 0
    for _key, url in queues:
        counts = redrive_queue(url, bus_name=stack["event_bus"], store_id=args.store, sqs=sqs, events=events)
        name = url.rstrip("/").rsplit("/", 1)[-1]
        print(
            f"{name}: redriven {counts['redriven']}, other stores {counts['other_store']}, unreadable {counts['unreadable']}, refused by the bus {counts['refused']}"
        )
        left += counts["unreadable"] + counts["refused"]
    results = redrive_executions(
        failed_executions(stack["journey_arn_prefix"], context.client("stepfunctions")), store_id=args.store, sfn=context.client("stepfunctions")
    )
    for arn, outcome in results:
        print(f"execution {arn.rsplit(':', 1)[-1]}: {outcome}")
    if not results:
        print("failed journeys: none")
    left += sum(1 for _, outcome in results if outcome != "redriven")
    return 1 if left else 0


def register(commands, common) -> None:
    parser = commands.add_parser("redrive", parents=[common], help="put dead-lettered events back on the bus and redrive failed journeys")
    parser.add_argument("store", metavar="STORE", nargs="?", default=None)
    parser.add_argument("--all", action="store_true", help="every store's failed events")
    parser.set_defaults(run=_run)
