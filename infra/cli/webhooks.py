"""``encore webhooks register|check``: the shop's webhook subscriptions that feed Encore
(the shop admin API clients live in ``infra.webhooks``)."""

from __future__ import annotations

import argparse
import json

from encore.adapters.secrets import ADMIN_API, WEBHOOK_SECRET, secret_name
from infra.cli.context import Context, OperatorError
from infra.cli.stores import _shop

UNHEALTHY = {"missing", "disabled", "paused", "failing"}


def _module():
    try:
        import infra.webhooks as webhooks  # imported on use: the CLI works without it
    except ImportError:
        raise OperatorError("webhook registration is not available in this version (no infra.webhooks module)") from None
    return webhooks


def _inputs(args: argparse.Namespace, context: Context) -> tuple[dict, dict, str]:
    shop = _shop(context, args.store)
    if shop["platform"] == "generic":
        raise OperatorError(f"store {args.store!r} uses the generic events API: there are no shop webhooks to register")
    raw = context.get(secret_name(context.prefix, args.store, ADMIN_API), decrypt=True)
    if raw is None:
        raise OperatorError(f"store {args.store!r} has no admin API credentials (add them with `encore secret rotate {args.store} admin-api`)")
    credentials = json.loads(raw)
    if shop["platform"] == "woocommerce":
        # WooCommerce signs each webhook with the secret given when it is created: register
        # hands it the store's webhook secret (Shopify signs with the app's own secret).
        credentials["webhook_secret"] = context.get(secret_name(context.prefix, args.store, WEBHOOK_SECRET), decrypt=True)
    return shop, credentials, context.stack()["api_url"]


def _print(subscriptions) -> None:
    for subscription in subscriptions:
        detail = f" ({subscription.detail})" if subscription.detail else ""
        print(f"{subscription.topic:<28} {subscription.state:<9} {subscription.address}{detail}")


def _register(args: argparse.Namespace, context: Context) -> int:
    webhooks = _module()
    shop, credentials, base = _inputs(args, context)
    _print(webhooks.register_webhooks(args.store, shop, credentials, base))
    return 0


def _check(args: argparse.Namespace, context: Context) -> int:
    webhooks = _module()
    shop, credentials, base = _inputs(args, context)
    subscriptions = webhooks.check_webhooks(args.store, shop, credentials, base)
    _print(subscriptions)
    return 1 if any(subscription.state in UNHEALTHY for subscription in subscriptions) else 0


def register(commands, common) -> None:
    webhooks = commands.add_parser("webhooks", help="the shop's webhook subscriptions").add_subparsers(dest="action", required=True, metavar="ACTION")
    for action, run, help_text in (
        ("register", _register, "create the webhook subscriptions Encore needs (idempotent)"),
        ("check", _check, "list them; exit 1 when any is missing, disabled, paused or failing"),
    ):
        parser = webhooks.add_parser(action, parents=[common], help=help_text)
        parser.add_argument("store", metavar="STORE")
        parser.set_defaults(run=run)
