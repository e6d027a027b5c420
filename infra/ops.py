"""Operator commands for a deployed Encore stack (and the local one: same AWS calls).

    python -m infra.ops load-settings infra/stores/demo-store.json --store demo-store
    python -m infra.ops import-catalogue catalogue.json --store demo-store --table <TableName output>
    python -m infra.ops replay --stack encore --since 2026-11-01T00:00:00Z [--until ...]

Settings files are versioned: ``version`` must grow with every change, so an older file
cannot silently replace a newer one (SSM keeps every version for rollback).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import boto3

from encore.clock import parse_iso, utcnow
from encore.stores import StoreSettings


class StaleSettings(ValueError):
    """The settings file is not newer than the settings already loaded."""


def settings_parameter(prefix: str, store_id: str) -> str:
    return f"{prefix}/stores/{store_id}/settings"


def load_settings(store_id: str, raw: dict, *, prefix: str = "/encore", force: bool = False) -> StoreSettings:
    """Validate a settings document and put it in SSM; refuse a version that is not newer."""
    settings = StoreSettings.from_dict(store_id, raw)
    ssm = boto3.client("ssm")
    name = settings_parameter(prefix, store_id)
    try:
        current = json.loads(ssm.get_parameter(Name=name)["Parameter"]["Value"]).get("version", 0)
    except ssm.exceptions.ParameterNotFound:
        current = None
    if current is not None and settings.version <= current and not force:
        raise StaleSettings(f"{store_id}: version {settings.version} is not newer than the loaded version {current}")
    document = settings.model_dump(mode="json", exclude={"store_id"})
    ssm.put_parameter(Name=name, Value=json.dumps(document), Type="String", Overwrite=True)
    return settings


def import_catalogue_file(store_id: str, path: Path, *, table_name: str) -> int:
    from encore.catalogue import import_catalogue
    from encore.models import bind_table

    bind_table(table_name)
    return import_catalogue(store_id, json.loads(path.read_text()), imported_at=utcnow())


def replay(*, bus_arn: str, archive_arn: str, since: datetime, until: datetime, name: str | None = None) -> str:
    """Replay archived events onto the bus. Safe to repeat: every event function is
    idempotent (orders count once, journeys start once by name)."""
    replay_name = name or f"encore-replay-{until:%Y%m%d%H%M%S}"
    boto3.client("events").start_replay(
        ReplayName=replay_name,
        EventSourceArn=archive_arn,
        EventStartTime=since,
        EventEndTime=until,
        Destination={"Arn": bus_arn},
    )
    return replay_name


def _stack_output_arns(stack: str) -> tuple[str, str]:
    cloudformation = boto3.client("cloudformation")
    resources = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in cloudformation.describe_stack_resources(StackName=stack)["StackResources"]}
    events = boto3.client("events")
    bus_arn = events.describe_event_bus(Name=resources["EventBus"])["Arn"]
    archive_arn = events.describe_archive(ArchiveName=resources["EventArchive"])["ArchiveArn"]
    return bus_arn, archive_arn


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.ops", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    settings = commands.add_parser("load-settings", help="validate a store settings file and load it into SSM")
    settings.add_argument("file", type=Path)
    settings.add_argument("--store", required=True)
    settings.add_argument("--prefix", default="/encore")
    settings.add_argument("--force", action="store_true", help="load even if the version is not newer")
    catalogue = commands.add_parser("import-catalogue", help="import a catalogue file (JSON list of products)")
    catalogue.add_argument("file", type=Path)
    catalogue.add_argument("--store", required=True)
    catalogue.add_argument("--table", required=True)
    replaying = commands.add_parser("replay", help="replay archived store events onto the bus")
    replaying.add_argument("--stack", required=True, help="the CloudFormation stack name")
    replaying.add_argument("--since", required=True, type=parse_iso)
    replaying.add_argument("--until", type=parse_iso, default=None)
    args = parser.parse_args(argv)
    if args.command == "load-settings":
        loaded = load_settings(args.store, json.loads(args.file.read_text()), prefix=args.prefix, force=args.force)
        print(f"loaded settings version {loaded.version} for {args.store}")
    elif args.command == "import-catalogue":
        print(f"imported {import_catalogue_file(args.store, args.file, table_name=args.table)} products")
    else:
        bus_arn, archive_arn = _stack_output_arns(args.stack)
        until = args.until or datetime.now(timezone.utc)
        print(f"started replay {replay(bus_arn=bus_arn, archive_arn=archive_arn, since=args.since, until=until)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
