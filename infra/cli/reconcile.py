"""``encore reconcile STORE --since TIME [--until TIME]``: recover what the shop stopped sending.

Reads the orders, abandoned checkouts and customers the shop updated in the window through
its admin API and feeds each through the ingest path as the webhook it would have been
(``encore.reconcile``): dedupe makes it safe to run again, or over a window whose webhooks
partly arrived. Prints, per kind, how many were found, recovered and already known.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC

from encore.adapters.secrets import ADMIN_API, secret_name
from infra.cli.context import Context, OperatorError
from infra.cli.replay import _moment
from infra.cli.stores import _shop


def admin_client(store_id: str, shop: dict, credentials: dict):
    """The store's admin API client: the one the scheduled reconciliation uses too."""
    from encore.reconcile import shop_admin

    if shop.get("platform") in ("shopify", "woocommerce"):
        return shop_admin(store_id, shop, credentials)
    raise OperatorError(f"store {store_id!r} uses the generic events API: there is no shop admin API to reconcile from")


def _run(args: argparse.Namespace, context: Context) -> int:
    from encore.adapters.bus import EventBridgePublisher
    from encore.adapters.secrets import SsmStoreParameters
    from encore.clock import utcnow
    from encore.reconcile import reconcile_store

    until = args.until or utcnow()
    if args.since >= until:
        raise OperatorError(f"--since ({args.since:%Y-%m-%dT%H:%M:%SZ}) must be before --until ({until:%Y-%m-%dT%H:%M:%SZ})")
    shop = _shop(context, args.store)
    if shop.get("platform") not in ("shopify", "woocommerce"):
        raise OperatorError(f"store {args.store!r} uses the generic events API: there is no shop admin API to reconcile from")
    raw = context.get(secret_name(context.prefix, args.store, ADMIN_API), decrypt=True)
    if raw is None:
        raise OperatorError(f"store {args.store!r} has no admin API credentials (add them with `encore secret rotate {args.store} admin-api`)")
    stack = context.stack()
    context.bind_table()
    report = reconcile_store(
        args.store,
        shop,
        admin_client=admin_client(args.store, shop, json.loads(raw)),
        since=args.since,
        until=until,
        parameters=SsmStoreParameters(context.prefix),
        publisher=EventBridgePublisher(stack["event_bus"]),
    )
    print(f"reconciled {args.store} from {args.since.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ} to {until.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}")
    for line in report.lines():
        print(line)
    for problem in report.problems[:20]:
        print(f"rejected: {problem}")
    return 0


def register(commands, common) -> None:
    parser = commands.add_parser("reconcile", parents=[common], help="recover orders, checkouts and customers the shop's webhooks never delivered (idempotent)")
    parser.add_argument("store", metavar="STORE")
    parser.add_argument("--since", required=True, type=_moment, metavar="TIME", help="ISO 8601, e.g. 2026-11-01T00:00:00Z (resources updated since)")
    parser.add_argument("--until", type=_moment, default=None, metavar="TIME", help="ISO 8601 (default: now)")
    parser.set_defaults(run=_run)
