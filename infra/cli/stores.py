"""``encore store add|show`` and ``encore secret rotate``: a store's parameters in SSM.

Settings and the shop's address are plain parameters every event function may read;
secrets are SecureStrings under ``{prefix}/secrets/{store}/`` that only the functions that
verify or sign can read (template.yaml). Secrets are read from stdin or a file, never from
the command line (shell history, the process list), and never printed — except the ones
Encore generates for the store to use (the generic API's key and secret), shown once.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from encore.adapters.secrets import (
    ADMIN_API,
    SECRETS,
    UNSUBSCRIBE_KEYS,
    WEBHOOK_SECRET,
    api_key_name,
    api_keys_path,
    secret_name,
    settings_name,
    shop_name,
)
from encore.clock import iso, utcnow
from infra.cli.context import Context, OperatorError, read_json_object, read_secret
from infra.cli.settings import load_settings

PLATFORMS = ("shopify", "woocommerce", "generic")
SHOPIFY_API_VERSION = "2025-10"
STORE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
# What each platform's admin API needs (the shop's own credentials; generic stores have none).
ADMIN_KEYS = {"shopify": ("access_token",), "woocommerce": ("consumer_key", "consumer_secret")}


@dataclass(frozen=True)
class NewStore:
    store_id: str
    shop: dict
    webhook_secret: str
    api_key: str
    unsubscribe_kid: str
    settings_version: int


def new_api_key() -> str:
    return f"enc_{secrets.token_urlsafe(24)}"


def new_webhook_secret() -> str:
    return secrets.token_hex(32)


def shop_document(store_id: str, platform: str, *, shop_domain: str | None = None, site_url: str | None = None) -> dict:
    """The ``{prefix}/stores/{store}/shop`` document: how to reach the shop, no secrets."""
    from encore.platforms.shopify import SHOP_DOMAIN_SUFFIX

    if platform == "shopify":
        if site_url:
            raise OperatorError("--site-url is for WooCommerce stores; a Shopify store takes --shop-domain")
        domain = (shop_domain or f"{store_id}{SHOP_DOMAIN_SUFFIX}").lower().removeprefix("https://").rstrip("/")
        # Shopify webhooks name the shop only by its domain: Encore's store id is its subdomain.
        if domain != f"{store_id}{SHOP_DOMAIN_SUFFIX}":
            raise OperatorError(
                f"shop domain {domain} does not match store {store_id!r}: a Shopify store's id is its myshopify subdomain ({store_id}{SHOP_DOMAIN_SUFFIX})"
            )
        return {"platform": "shopify", "shop_domain": domain, "api_version": SHOPIFY_API_VERSION}
    if platform == "woocommerce":
        if shop_domain:
            raise OperatorError("--shop-domain is for Shopify stores; a WooCommerce store takes --site-url")
        if not site_url:
            raise OperatorError("a WooCommerce store needs --site-url (the shop's address, e.g. https://shop.example)")
        parts = urlsplit(site_url)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise OperatorError(f"--site-url must be an http(s) URL, not {site_url!r}")
        return {"platform": "woocommerce", "site_url": site_url.rstrip("/")}
    if shop_domain or site_url:
        raise OperatorError("a generic store has no shop admin API: drop --shop-domain / --site-url")
    return {"platform": "generic"}


def admin_credentials(platform: str, document: dict, source: object) -> str:
    required = ADMIN_KEYS.get(platform)
    if required is None:
        raise OperatorError("a generic store has no shop admin API: it takes no admin credentials")
    missing = [key for key in required if not isinstance(document.get(key), str) or not document[key]]
    if missing:
        raise OperatorError(f"{source} lacks {', '.join(missing)} (a {platform} store's admin API needs {', '.join(required)})")
    return json.dumps({key: document[key] for key in required})


def register_store(
    context: Context,
    store_id: str,
    shop: dict,
    *,
    webhook_secret: str,
    settings: dict | None = None,
    admin_api: str | None = None,
    api_key: str | None = None,
) -> NewStore:
    """Write a new store's parameters (settings, shop, secrets, API key digest)."""
    from encore.unsubscribe import UnsubscribeKeys

    ssm = context.client("ssm")
    settings = dict(settings or {})
    loaded = load_settings(store_id, settings, prefix=context.prefix, force=True, ssm=ssm)
    context.put(shop_name(context.prefix, store_id), json.dumps(shop))
    context.put(secret_name(context.prefix, store_id, WEBHOOK_SECRET), webhook_secret, secure=True)
    if admin_api:
        context.put(secret_name(context.prefix, store_id, ADMIN_API), admin_api, secure=True)
    keys = UnsubscribeKeys.generate(utcnow())
    context.put(secret_name(context.prefix, store_id, UNSUBSCRIBE_KEYS), json.dumps(keys.as_dict()), secure=True)
    api_key = api_key or new_api_key()
    context.put(api_key_name(context.prefix, api_key), store_id)
    return NewStore(store_id, shop, webhook_secret, api_key, keys.current, loaded.version)


def _store_api_key_names(context: Context, store_id: str) -> list[str]:
    """The ``{prefix}/api-keys/*`` parameters naming this store (values are store ids)."""
    names = []
    paginator = context.client("ssm").get_paginator("get_parameters_by_path")
    for page in paginator.paginate(Path=api_keys_path(context.prefix)):
        names += [parameter["Name"] for parameter in page["Parameters"] if parameter["Value"] == store_id]
    return names


def _shop(context: Context, store_id: str) -> dict:
    context.require_store(store_id)
    shop = context.get_json(shop_name(context.prefix, store_id))
    if shop is None:
        raise OperatorError(f"store {store_id!r} has no shop parameter {shop_name(context.prefix, store_id)} (added before it existed: add the store again)")
    return shop


# ---------------------------------------------------------------------------- commands
def _add(args: argparse.Namespace, context: Context) -> int:
    if not STORE_ID.match(args.store):
        raise OperatorError(f"store id {args.store!r}: use lower-case letters, digits and dashes (at most 63)")
    shop = shop_document(args.store, args.platform, shop_domain=args.shop_domain, site_url=args.site_url)
    if context.get(settings_name(context.prefix, args.store)) is not None:
        raise OperatorError(f"store {args.store!r} already exists (see `encore store show {args.store}`; `encore secret rotate` changes its secrets)")
    from encore.stores import StoreSettings, without_marketing

    # Without a settings file the store starts with transactional emails only: marketing
    # needs the store's postal address, which only its settings file can give.
    settings = read_json_object(args.settings) if args.settings else without_marketing({})
    StoreSettings.from_dict(args.store, settings)  # a bad file stops here, before anything is written
    admin_api = (
        admin_credentials(args.platform, read_json_object(args.admin_credentials_file), args.admin_credentials_file) if args.admin_credentials_file else None
    )
    generated = args.platform == "generic"
    webhook_secret = new_webhook_secret() if generated else read_secret("webhook secret", args.webhook_secret_file)
    store = register_store(context, args.store, shop, webhook_secret=webhook_secret, settings=settings, admin_api=admin_api)
    where = shop.get("shop_domain") or shop.get("site_url") or "generic events API"
    print(f"added store {args.store} ({args.platform}, {where}), settings version {store.settings_version}")
    if not args.settings:
        print("marketing scenarios are off until `encore settings load` gives a settings file with the store's postal_address")
    if generated:
        print(f"webhook secret (sign every request with it; shown once): {store.webhook_secret}")
    print(f"generic events API key (shown once, stored only as its SHA-256): {store.api_key}")
    print(f"unsubscribe signing key: {store.unsubscribe_kid}")
    if not admin_api and args.platform != "generic":
        print(f"no admin API credentials: add them with `encore secret rotate {args.store} admin-api` before `encore webhooks register`")
    return 0


def _show(args: argparse.Namespace, context: Context) -> int:
    from encore.unsubscribe import UnsubscribeKeys

    settings = context.require_store(args.store)
    shop = context.get_json(shop_name(context.prefix, args.store)) or {}
    where = shop.get("shop_domain") or shop.get("site_url") or ""
    print(f"store {args.store}")
    print(f"  platform: {shop.get('platform', 'unknown (no shop parameter)')}{f' ({where})' if where else ''}")
    print(f"  settings: version {settings.get('version', 0)}, sender {settings.get('sender', '?')}")
    names = {secret_name(context.prefix, args.store, secret): secret for secret in SECRETS}
    described = context.client("ssm").describe_parameters(ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": list(names)}])["Parameters"]
    found = {names[parameter["Name"]]: parameter for parameter in described}
    for secret in SECRETS:
        parameter = found.get(secret)
        if parameter is None:
            print(f"  {secret}: missing")
            continue
        line = f"  {secret}: set, last changed {iso(parameter['LastModifiedDate'])} (version {parameter.get('Version', '?')})"
        if secret == UNSUBSCRIBE_KEYS:
            keys = UnsubscribeKeys.from_dict(context.get_json(parameter["Name"], decrypt=True))
            line += f", current key {keys.current}, {len(keys.keys)} key(s) verify" if keys else ", unreadable"
        print(line)
    print(f"  generic API keys: {len(_store_api_key_names(context, args.store))}")
    return 0


def _rotate(args: argparse.Namespace, context: Context) -> int:
    from encore.unsubscribe import UnsubscribeKeys

    shop = _shop(context, args.store)
    name = secret_name(context.prefix, args.store, args.secret.replace("unsubscribe-key", UNSUBSCRIBE_KEYS))
    if args.secret == "webhook-secret":
        generated = shop["platform"] == "generic"
        value = new_webhook_secret() if generated else read_secret("webhook secret", args.webhook_secret_file)
        version = context.put(name, value, secure=True)
        print(f"rotated the webhook secret of {args.store} (version {version}); functions pick it up within 5 minutes")
        if generated:
            print(f"new webhook secret (shown once): {value}")
    elif args.secret == "unsubscribe-key":
        keys = UnsubscribeKeys.from_dict(context.get_json(name, decrypt=True))
        keys = keys.rotated(utcnow()) if keys else UnsubscribeKeys.generate(utcnow())
        version = context.put(name, json.dumps(keys.as_dict()), secure=True)
        print(f"new unsubscribe key {keys.current} for {args.store} (version {version}); {len(keys.keys)} key(s) verify links already sent")
    elif args.secret == "api-key":
        old = _store_api_key_names(context, args.store)
        api_key = new_api_key()
        context.put(api_key_name(context.prefix, api_key), args.store)
        for stale in old:
            context.client("ssm").delete_parameter(Name=stale)
        print(f"new generic events API key for {args.store} (shown once, stored only as its SHA-256): {api_key}")
        print(f"revoked {len(old)} old key(s)")
    else:  # admin-api
        path = args.admin_credentials_file
        document = read_json_object(path) if path else _json_from_stdin()
        version = context.put(name, admin_credentials(shop["platform"], document, path or "stdin"), secure=True)
        print(f"stored the admin API credentials of {args.store} (version {version})")
    return 0


def _json_from_stdin() -> dict:
    raw = read_secret("admin credentials", None)
    try:
        document = json.loads(raw)
    except json.JSONDecodeError as error:
        raise OperatorError(f"the admin credentials on stdin are not valid JSON: {error.msg}") from None
    if not isinstance(document, dict):
        raise OperatorError("the admin credentials on stdin must be a JSON object")
    return document


def register(commands, common) -> None:
    store = commands.add_parser("store", help="add a store, show what is set for it").add_subparsers(dest="action", required=True, metavar="ACTION")
    add = store.add_parser("add", parents=[common], help="register a store: shop, settings, webhook secret (stdin), API key, unsubscribe key")
    add.add_argument("store", metavar="STORE", help="the store's id (a Shopify store: its myshopify subdomain)")
    add.add_argument("--platform", required=True, choices=PLATFORMS)
    add.add_argument("--shop-domain", metavar="D", help="Shopify: <store>.myshopify.com")
    add.add_argument("--site-url", metavar="U", help="WooCommerce: the shop's address")
    add.add_argument("--settings", type=Path, metavar="FILE", help="a store settings file (JSON)")
    add.add_argument("--webhook-secret-file", type=Path, metavar="FILE", help="read the shop's webhook secret here, not from stdin")
    add.add_argument("--admin-credentials-file", type=Path, metavar="FILE", help="the shop's admin API credentials (JSON)")
    add.set_defaults(run=_add)
    show = store.add_parser("show", parents=[common], help="platform, shop, settings version, which secrets exist (never their values)")
    show.add_argument("store", metavar="STORE")
    show.set_defaults(run=_show)

    secret = commands.add_parser("secret", help="rotate a store's secrets").add_subparsers(dest="action", required=True, metavar="ACTION")
    rotate = secret.add_parser("rotate", parents=[common], help="replace one secret (webhook secret from stdin; an unsubscribe key keeps old links valid)")
    rotate.add_argument("store", metavar="STORE")
    rotate.add_argument("secret", choices=("webhook-secret", "unsubscribe-key", "api-key", "admin-api"))
    rotate.add_argument("--webhook-secret-file", type=Path, metavar="FILE")
    rotate.add_argument("--admin-credentials-file", type=Path, metavar="FILE")
    rotate.set_defaults(run=_rotate)
