"""``encore tracking-key create|list|revoke``: a store's PUBLIC browser tracking keys.

A tracking key (``pk_...``) goes into the storefront's page (the Shopify custom pixel, or
``storefront/encore.js``): it is public by design, so it is stored and shown as is. It can
send only low-trust storefront events to ``POST /v1/t/{key}`` (encore.tracking); orders,
identities and consent still need the signed events API. Revoking a key stops it within the
functions' 5-minute parameter cache.
"""

from __future__ import annotations

import argparse
import secrets

from encore.adapters.secrets import tracking_key_name, tracking_keys_path
from infra.cli.context import Context, OperatorError


def new_tracking_key() -> str:
    return f"pk_{secrets.token_urlsafe(18)}"


def create_tracking_key(context: Context, store_id: str) -> str:
    key = new_tracking_key()
    context.put(tracking_key_name(context.prefix, key), store_id)
    return key


def store_tracking_keys(context: Context, store_id: str) -> list[str]:
    keys = []
    paginator = context.client("ssm").get_paginator("get_parameters_by_path")
    for page in paginator.paginate(Path=tracking_keys_path(context.prefix)):
        keys += [parameter["Name"].rsplit("/", 1)[-1] for parameter in page["Parameters"] if parameter["Value"] == store_id]
    return sorted(keys)


def _tracking_url(context: Context, key: str) -> str:
    try:
        api_url = context.stack().get("api_url", "")
    except OperatorError:
        api_url = ""
    return f"{api_url.rstrip('/')}/v1/t/{key}" if api_url else f"<the stack's ApiUrl>/v1/t/{key}"


def _create(args: argparse.Namespace, context: Context) -> int:
    context.require_store(args.store)
    key = create_tracking_key(context, args.store)
    print(f"new public tracking key for {args.store}: {key}")
    print(f"storefront endpoint: {_tracking_url(context, key)}")
    print("it is public (it goes into the storefront's page) and can send only product views, cart views, add-to-cart and checkout starts")
    return 0


def _list(args: argparse.Namespace, context: Context) -> int:
    context.require_store(args.store)
    keys = store_tracking_keys(context, args.store)
    print(f"{len(keys)} public tracking key(s) for {args.store}")
    for key in keys:
        print(f"  {key}")
    return 0


def _revoke(args: argparse.Namespace, context: Context) -> int:
    context.require_store(args.store)
    if args.key not in store_tracking_keys(context, args.store):
        raise OperatorError(f"{args.key!r} is not a tracking key of store {args.store!r} (see `encore tracking-key list {args.store}`)")
    context.client("ssm").delete_parameter(Name=tracking_key_name(context.prefix, args.key))
    print(f"revoked {args.key} of {args.store}; functions stop accepting it within 5 minutes")
    return 0


def register(commands, common) -> None:
    tracking = commands.add_parser("tracking-key", help="public keys for storefront events from the browser").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    create = tracking.add_parser("create", parents=[common], help="make a public key for the store's pixel or storefront script")
    create.add_argument("store", metavar="STORE")
    create.set_defaults(run=_create)
    listing = tracking.add_parser("list", parents=[common], help="the store's public tracking keys")
    listing.add_argument("store", metavar="STORE")
    listing.set_defaults(run=_list)
    revoke = tracking.add_parser("revoke", parents=[common], help="stop accepting one key")
    revoke.add_argument("store", metavar="STORE")
    revoke.add_argument("key", metavar="KEY")
    revoke.set_defaults(run=_revoke)
