"""``encore smoke STORE``: is this store's Encore working end to end, right now?

1. SES: production access and sending quota; the sender's identity verified, DKIM on
   (in the SES sandbox these only warn: a new account starts there).
2. A correctly signed test checkout posted to the HTTP API the way the store's platform
   sends it, for a dedicated smoke-test customer WITHOUT marketing consent (nothing can be
   mailed), then a bounded wait until its cart journey has started; the execution is then
   stopped so it never reaches a send step.
Any failure: one line on stderr, exit 1.
"""

from __future__ import annotations

import argparse
import json
import time
import urllib.error
import urllib.request
import uuid
from email.utils import parseaddr

from encore.adapters.secrets import WEBHOOK_SECRET, api_key_name, secret_name
from encore.clock import iso, utcnow
from infra.cli.context import Context, OperatorError
from infra.cli.stores import _shop, new_api_key

SMOKE_SHOPIFY_CUSTOMER = 999999999999999999  # Shopify ids are numbers
SMOKE_CUSTOMER = "encore-smoke-test"
SMOKE_EMAIL = "smoke-test@encore.invalid"  # .invalid never resolves: no mail could reach it anyway


def check_ses(context: Context, sender: str) -> list[str]:
    """Warnings; OperatorError when SES cannot send for this store."""
    sesv2 = context.client("sesv2")
    account = sesv2.get_account()
    sandbox = not account.get("ProductionAccessEnabled", False)
    quota = account.get("SendQuota", {})
    warnings = []
    if not account.get("SendingEnabled", True):
        raise OperatorError("SES sending is disabled for this account (see the SES console's account dashboard)")
    if sandbox:
        warnings.append("SES is in the sandbox: mail goes only to verified addresses (request production access)")
    print(
        f"SES: {'sandbox' if sandbox else 'production access'}, quota {quota.get('Max24HourSend', 0):.0f}/24 h "
        f"({quota.get('SentLast24Hours', 0):.0f} sent), {quota.get('MaxSendRate', 0):.0f}/s"
    )
    domain = parseaddr(sender)[1].rpartition("@")[2]
    if not domain:
        raise OperatorError(f"the store's sender {sender!r} has no email address")
    try:
        identity = sesv2.get_email_identity(EmailIdentity=domain)
    except sesv2.exceptions.NotFoundException:
        problem = f"the sender domain {domain} is not an SES identity in this account and region"
        if not sandbox:
            raise OperatorError(problem) from None
        return [*warnings, problem]
    verified = identity.get("VerifiedForSendingStatus", False)
    dkim = identity.get("DkimAttributes", {}).get("Status", "NOT_STARTED")
    print(f"sender {domain}: {'verified' if verified else 'NOT verified'}, DKIM {dkim}")
    if not verified:
        if not sandbox:
            raise OperatorError(f"the sender domain {domain} is not verified in SES: publish its DNS records")
        warnings.append(f"the sender domain {domain} is not verified yet")
    if dkim != "SUCCESS":
        warnings.append(f"DKIM for {domain} is {dkim}: mail may land in spam")
    return warnings


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as error:
        raise OperatorError(f"cannot reach the HTTP API at {url}: {getattr(error, 'reason', error)}") from None


def post_checkout(context: Context, store_id: str, shop: dict, secret: str) -> tuple[str, str]:
    """Post the test checkout; returns (customer id, cart id) the journey is named after."""
    from encore.signatures import sign_base64, sign_hex

    api_url = context.stack()["api_url"].rstrip("/")
    cart_id = f"smoke-{uuid.uuid4().hex[:12]}"
    now = iso(utcnow())
    if shop["platform"] == "shopify":
        customer = {
            "id": SMOKE_SHOPIFY_CUSTOMER,
            "email": SMOKE_EMAIL,
            "first_name": "Smoke",
            "last_name": "Test",
            "email_marketing_consent": {"state": "not_subscribed", "opt_in_level": None, "consent_updated_at": now},
        }
        payload = {
            "id": int(uuid.uuid4().int % 10**15),
            "token": cart_id,
            "cart_token": cart_id,
            "email": SMOKE_EMAIL,
            "buyer_accepts_marketing": False,
            "currency": "USD",
            "updated_at": now,
            "created_at": now,
            "line_items": [{"product_id": 1, "variant_id": 1, "title": "Encore smoke test", "quantity": 1, "price": "1.00", "sku": "SMOKE"}],
            "customer": customer,
        }
        body = json.dumps(payload).encode()
        headers = {
            "X-Shopify-Topic": "checkouts/update",
            "X-Shopify-Shop-Domain": shop["shop_domain"],
            "X-Shopify-Webhook-Id": str(uuid.uuid4()),
            "X-Shopify-Event-Id": str(uuid.uuid4()),
            "X-Shopify-Triggered-At": now,
            "X-Shopify-API-Version": shop.get("api_version", "2025-10"),
            "X-Shopify-Hmac-Sha256": sign_base64(secret, body),
        }
        status, reply = _post(f"{api_url}/webhooks/shopify", body, headers)
        customer_id = str(SMOKE_SHOPIFY_CUSTOMER)
    else:
        # WooCommerce sends no cart or checkout webhooks: its storefront posts checkouts to the
        # generic events API (as generic stores do), signed with the store's webhook secret.
        # The API key is stored only as a digest: a key of its own, removed right after.
        payload = {
            "type": "track",
            "event": "Checkout Started",
            "messageId": f"smoke-{uuid.uuid4()}",
            "userId": SMOKE_CUSTOMER,
            "timestamp": now,
            "context": {"traits": {"email": SMOKE_EMAIL, "first_name": "Smoke", "email_consent": False}},
            "properties": {
                "cart_id": cart_id,
                "currency": "usd",
                "products": [{"product_id": "encore-smoke-test", "name": "Encore smoke test", "price": 1, "quantity": 1}],
            },
        }
        body = json.dumps(payload).encode()
        api_key = new_api_key()
        context.put(api_key_name(context.prefix, api_key), store_id)
        try:
            status, reply = _post(f"{api_url}/v1/events", body, {"Authorization": f"Bearer {api_key}", "X-Encore-Signature": sign_hex(secret, body)})
        finally:
            context.client("ssm").delete_parameter(Name=api_key_name(context.prefix, api_key))
        customer_id = SMOKE_CUSTOMER
    if status != 202:
        raise OperatorError(f"the HTTP API answered {status} to the signed test checkout: {' '.join(reply.split())[:200]}")
    print(f"test checkout accepted by {api_url} (202)")
    return customer_id, cart_id


def wait_for_journey(context: Context, arn: str, timeout: float) -> tuple[dict, str]:
    """The journey's description once it is parked in its first wait (or has ended).

    Stopping it only then shows more than an accepted start: the journey ran its first
    steps and reached the wait before any reminder, where nothing can have been sent."""
    sfn = context.client("stepfunctions")
    deadline = time.monotonic() + timeout
    while True:
        try:
            execution = sfn.describe_execution(executionArn=arn)
            waiting = _waiting_state(sfn, arn)
            if waiting or execution["status"] != "RUNNING":
                return execution, waiting
        except sfn.exceptions.ExecutionDoesNotExist:
            pass
        if time.monotonic() >= deadline:
            raise OperatorError(
                f"no cart journey reached its first wait within {timeout:.0f} s of the test checkout (is cart abandonment enabled for the store? see the event functions' logs and the dead-letter queue)"
            )
        time.sleep(0.5)


def _waiting_state(sfn, arn: str) -> str:
    """The name of the wait the journey is in, or '' while it is still on its way to one."""
    events = [event for page in sfn.get_paginator("get_execution_history").paginate(executionArn=arn) for event in page["events"]]
    entered = next((event["stateEnteredEventDetails"]["name"] for event in reversed(events) if "stateEnteredEventDetails" in event), "")
    return entered if entered.startswith("Wait") else ""


def _run(args: argparse.Namespace, context: Context) -> int:
    from encore.journeys import execution_name
    from encore.scenarios.cart_abandonment import NAME as CART_ABANDONMENT

    settings = context.require_store(args.store)
    shop = _shop(context, args.store)
    secret = context.get(secret_name(context.prefix, args.store, WEBHOOK_SECRET), decrypt=True)
    if not secret:
        raise OperatorError(f"store {args.store!r} has no webhook secret (set it with `encore secret rotate {args.store} webhook-secret`)")
    warnings = check_ses(context, settings.get("sender", ""))
    customer_id, cart_id = post_checkout(context, args.store, shop, secret)
    prefix = context.stack()["journey_arn_prefix"]
    arn = f"{prefix.replace(':stateMachine:', ':execution:')}{CART_ABANDONMENT}:{execution_name(CART_ABANDONMENT, args.store, customer_id, cart_id)}"
    execution, waiting = wait_for_journey(context, arn, args.timeout)
    if execution["status"] != "RUNNING":
        raise OperatorError(f"the smoke-test journey {arn} is {execution['status']}, not running")
    print(f"journey started: {arn}")
    print(f"journey waiting: {waiting}")
    context.client("stepfunctions").stop_execution(executionArn=arn, cause="encore smoke test: stopped before any step could send")
    print("journey stopped (the smoke-test customer has no marketing consent: nothing was sent)")
    for warning in warnings:
        print(f"warning: {warning}")
    print(f"smoke test passed for {args.store}")
    return 0


def register(commands, common) -> None:
    parser = commands.add_parser("smoke", parents=[common], help="check SES, post a signed test checkout, see its journey start, stop it")
    parser.add_argument("store", metavar="STORE")
    parser.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS", help="how long to wait for the journey (default 30)")
    parser.set_defaults(run=_run)
