"""``encore settings load`` and ``encore catalogue import``.

Settings files are versioned: ``version`` must grow with every change, so an older file
cannot silently replace a newer one (SSM keeps every version of the parameter for rollback).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from encore.adapters.secrets import settings_name
from encore.clock import utcnow
from infra.cli.context import Context, OperatorError, read_json, read_json_object


class StaleSettings(OperatorError):
    """The settings file is not newer than the settings already loaded."""


def load_settings(store_id: str, raw: dict, *, prefix: str = "/encore", force: bool = False, ssm=None):
    """Validate a settings document and put it in SSM; refuse a version that is not newer.
    Returns the validated ``encore.stores.StoreSettings``."""
    import boto3

    from encore.stores import StoreSettings

    settings = StoreSettings.from_dict(store_id, raw)
    ssm = ssm or boto3.client("ssm")
    name = settings_name(prefix, store_id)
    try:
        current = json.loads(ssm.get_parameter(Name=name)["Parameter"]["Value"]).get("version", 0)
    except ssm.exceptions.ParameterNotFound:
        current = None
    if current is not None and settings.version <= current and not force:
        raise StaleSettings(
            f"{store_id}: settings version {settings.version} is not newer than the loaded version {current} "
            '(bump "version" in the file, or --force to load it anyway)'
        )
    document = settings.model_dump(mode="json", exclude={"store_id"})
    ssm.put_parameter(Name=name, Value=json.dumps(document), Type="String", Overwrite=True)
    return settings


def import_catalogue(store_id: str, entries: list, *, context: Context) -> int:
    from encore.catalogue import import_catalogue as import_entries

    context.bind_table()
    return import_entries(store_id, entries, imported_at=utcnow())


# ---------------------------------------------------------------------------- commands
def _load(args: argparse.Namespace, context: Context) -> int:
    context.require_store(args.store)
    document = read_json_object(args.file)
    loaded = load_settings(args.store, document, prefix=context.prefix, force=args.force, ssm=context.client("ssm"))
    print(f"loaded settings version {loaded.version} for {args.store}")
    return 0


def _import(args: argparse.Namespace, context: Context) -> int:
    context.require_store(args.store)
    entries = read_json(args.file)
    if not isinstance(entries, list):
        raise OperatorError(f"{args.file} must hold a JSON list of products, not a {type(entries).__name__}")
    print(f"imported {import_catalogue(args.store, entries, context=context)} products into {args.store}")
    return 0


def register(commands, common) -> None:
    settings = commands.add_parser("settings", help="store settings files").add_subparsers(dest="action", required=True, metavar="ACTION")
    load = settings.add_parser("load", parents=[common], help="validate a settings file and load it (its version must grow)")
    load.add_argument("store", metavar="STORE")
    load.add_argument("file", metavar="FILE", type=Path)
    load.add_argument("--force", action="store_true", help="load even if the version is not newer")
    load.set_defaults(run=_load)

    catalogue = commands.add_parser("catalogue", help="the store's product catalogue").add_subparsers(dest="action", required=True, metavar="ACTION")
    importing = catalogue.add_parser("import", parents=[common], help="import a catalogue file (a JSON list of products); a bad entry rejects the file whole")
    importing.add_argument("store", metavar="STORE")
    importing.add_argument("file", metavar="FILE", type=Path)
    importing.set_defaults(run=_import)
