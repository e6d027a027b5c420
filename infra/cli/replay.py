"""``encore replay``: archived store events back onto the bus (the stack's own archive)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from encore.clock import parse_iso
from infra.cli.context import Context, OperatorError


def replay(*, bus_arn: str, archive_arn: str, since: datetime, until: datetime, name: str | None = None, events=None) -> str:
    """Replay archived events onto the bus. Safe to repeat: every event function is
    idempotent (orders count once, journeys start once by name)."""
    import boto3

    replay_name = name or f"encore-replay-{until:%Y%m%d%H%M%S}"
    (events or boto3.client("events")).start_replay(
        ReplayName=replay_name,
        EventSourceArn=archive_arn,
        EventStartTime=since,
        EventEndTime=until,
        Destination={"Arn": bus_arn},
    )
    return replay_name


def _moment(text: str) -> datetime:
    try:
        return parse_iso(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r} (e.g. 2026-11-01T00:00:00Z)") from None


def _run(args: argparse.Namespace, context: Context) -> int:
    until = args.until or datetime.now(UTC)
    if args.since >= until:
        raise OperatorError(f"--since ({args.since:%Y-%m-%dT%H:%M:%SZ}) must be before --until ({until:%Y-%m-%dT%H:%M:%SZ})")
    stack = context.stack()
    name = replay(bus_arn=stack["event_bus_arn"], archive_arn=stack["event_archive_arn"], since=args.since, until=until, events=context.client("events"))
    print(f"started replay {name} of events from {args.since:%Y-%m-%dT%H:%M:%SZ} to {until:%Y-%m-%dT%H:%M:%SZ}")
    return 0


def register(commands, common) -> None:
    parser = commands.add_parser("replay", parents=[common], help="replay archived store events onto the bus (idempotent)")
    parser.add_argument("--since", required=True, type=_moment, metavar="TIME", help="ISO 8601, e.g. 2026-11-01T00:00:00Z")
    parser.add_argument("--until", type=_moment, default=None, metavar="TIME", help="ISO 8601 (default: now)")
    parser.set_defaults(run=_run)
