"""The Shopify custom pixel (storefront/shopify-pixel.js) executed in Node with a stand-in for
Shopify's pixel sandbox (tests/scenarios/pixel_sandbox.js), replaying customer events in the
shapes the Web Pixels API documents, and POSTing to the local stack's browser endpoint.

What it must show: the pixel's views start a browse-abandonment journey only once the shop's
signed ``checkouts/create`` webhook, carrying the checkout token the pixel reported, links the
visitor to a customer with marketing consent; a customer id or email claimed by the browser
starts nothing and sends nothing; without consent the pixel sends nothing at all."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import STORE_ID, load_event, only_scenarios

ROOT = Path(__file__).resolve().parents[2]
PIXEL = ROOT / "storefront" / "shopify-pixel.js"
SANDBOX = Path(__file__).with_name("pixel_sandbox.js")
NODE = shutil.which("node") or "/usr/bin/node"

MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)
OLENA = "603851970716743426"  # the customer of tests/events/shopify_checkouts_create.json
CHECKOUT_TOKEN = load_event("shopify_checkouts_create")["token"]
LINEN, JACKET = "632910392", "632910396"
CATALOGUE = [
    {"product_id": LINEN, "title": "Linen shirt", "category": "Shirts", "price_cents": 4900, "currency": "USD"},
    {"product_id": "632910393", "title": "Oxford shirt", "category": "Shirts", "price_cents": 5900, "currency": "USD"},
    {"product_id": JACKET, "title": "Trail jacket", "category": "Jackets", "price_cents": 12900, "currency": "USD"},
]
JACKET_REMINDER = "Olena, still thinking about Trail jacket?"
ALLOWED = {"analyticsProcessingAllowed": True, "marketingAllowed": True, "preferencesProcessingAllowed": True, "saleOfDataAllowed": False}
DECLINED = {"analyticsProcessingAllowed": False, "marketingAllowed": False, "preferencesProcessingAllowed": False, "saleOfDataAllowed": False}
SHOPIFY_CLIENT_ID = "xyz-1234-shopify-client-id"

pytestmark = pytest.mark.skipif(not Path(NODE).exists(), reason="node is not installed")


# ---------------------------------------------------------------- documented event payloads
# https://shopify.dev/docs/api/web-pixels-api/standard-events (product_viewed,
# product_added_to_cart, checkout_started): clientId, id, name, seq, timestamp, type, context, data.
def _event(name: str, number: int, data: dict) -> dict:
    return {
        "id": f"sh-{name}-{number:04d}-5d1e2f",
        "clientId": SHOPIFY_CLIENT_ID,
        "name": name,
        "seq": number,
        "timestamp": "2026-11-02T09:00:00.000Z",
        "type": "standard",
        "context": {"document": {"location": {"href": "https://demo-store.myshopify.com/products/x"}}},
        "data": data,
    }


def _variant(product_id: str, title: str, product_type: str, amount: float, handle: str) -> dict:
    return {
        "id": f"4{product_id}",
        "image": {"src": f"https://cdn.shopify.com/s/files/{handle}.jpg"},
        "price": {"amount": amount, "currencyCode": "USD"},
        "product": {"id": product_id, "title": title, "untranslatedTitle": title, "type": product_type, "url": f"/products/{handle}", "vendor": "Demo"},
        "sku": f"{handle.upper()}-M",
        "title": "M",
        "untranslatedTitle": "M",
    }


LINEN_VARIANT = _variant(LINEN, "Linen shirt", "Shirts", 49.0, "linen-shirt")
JACKET_VARIANT = _variant(JACKET, "Trail jacket", "Jackets", 129.0, "trail-jacket")


def product_viewed(number: int, variant: dict) -> dict:
    return {"event": "product_viewed", "payload": _event("product_viewed", number, {"productVariant": variant})}


def product_added_to_cart(number: int, variant: dict) -> dict:
    line = {"cost": {"totalAmount": {"amount": variant["price"]["amount"], "currencyCode": "USD"}}, "merchandise": variant, "quantity": 1}
    return {"event": "product_added_to_cart", "payload": _event("product_added_to_cart", number, {"cartLine": line})}


def checkout_started(number: int) -> dict:
    checkout = {
        "token": CHECKOUT_TOKEN,
        "currencyCode": "USD",
        "email": "olena@example.com",  # Shopify shows the pixel the buyer's email: it must not leave
        "lineItems": [{"id": "1", "quantity": 1, "title": "Linen shirt", "variant": LINEN_VARIANT}],
        "totalPrice": {"amount": 49.0, "currencyCode": "USD"},
    }
    return {"event": "checkout_started", "payload": _event("checkout_started", number, {"checkout": checkout})}


# ---------------------------------------------------------------- running the pixel
def _tracking_key(harness) -> str:
    from infra.cli.context import Context
    from infra.cli.tracking import create_tracking_key

    return create_tracking_key(Context(prefix=harness.stack.resolver.parameters["ParametersPrefix"]), STORE_ID)


def run_pixel(
    tmp_path: Path, steps: list[dict], *, endpoint: str, post: bool, privacy: dict = ALLOWED, cookies: dict | None = None, origin: str | None = "null"
) -> dict:
    scenario = {
        "pixel": str(PIXEL),
        "endpoint": endpoint,
        "privacy": privacy,
        "post": post,
        "cookies": cookies or {},
        "steps": steps,
        # What Shopify tells every pixel about a logged-in shopper: the pixel must not pass it on.
        "customer": {"id": OLENA, "email": "olena@example.com", "firstName": "Olena"},
        **({"origin": origin} if origin is not None else {}),
    }
    path = tmp_path / f"scenario-{len(list(tmp_path.iterdir()))}.json"
    path.write_text(json.dumps(scenario))
    done = subprocess.run([NODE, str(SANDBOX), str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _setup(harness) -> str:
    harness.configure_store({**only_scenarios("browse_abandonment"), "browse_abandonment": {}}, CATALOGUE)
    return _tracking_key(harness)


def _browse_journeys(harness) -> list[dict]:
    return harness.stack.executions("BrowseAbandonmentStateMachine")


def _visitor(result: dict) -> str:
    return result["cookies"]["_encore_vid"]


# ---------------------------------------------------------------- the tests
def test_the_pixels_views_start_browse_abandonment_once_the_signed_checkout_webhook_links_the_visitor(harness, tmp_path):
    key = _setup(harness)
    endpoint = f"{harness.client.api_url}/v1/t/{key}"

    # First visit: two views of the linen shirt, then the checkout — an anonymous visitor.
    first = run_pixel(tmp_path, [product_viewed(1, LINEN_VARIANT), product_viewed(2, LINEN_VARIANT), checkout_started(3)], endpoint=endpoint, post=True)
    harness.clock.settle()
    assert [request["status"] for request in first["requests"]] == [202, 202, 202]
    visitor = _visitor(first)
    assert harness.item(f"STORE#{STORE_ID}#VISITOR#{visitor}", f"VIEW#{LINEN}")["views"] == 2
    assert _browse_journeys(harness) == []  # nobody to remind yet

    # The shop's signed checkouts/create names Olena (subscribed) for the same checkout token.
    assert harness.shopify("checkouts/create", "shopify_checkouts_create", webhook_id="checkout-create-1", updated_at=harness.now().isoformat()).status == 202
    assert harness.item(f"STORE#{STORE_ID}#VISITOR#{visitor}", "IDENTITY")["customer_id"] == OLENA
    assert harness.item(f"STORE#{STORE_ID}#CUSTOMER#{OLENA}", f"VIEW#{LINEN}")["views"] == 2  # moved onto her profile

    # Next visit (same browser, same visitor cookie): two views of the jacket.
    harness.run_until(10 * MINUTE)
    second = run_pixel(tmp_path, [product_viewed(4, JACKET_VARIANT), product_viewed(5, JACKET_VARIANT)], endpoint=endpoint, post=True, cookies=first["cookies"])
    harness.clock.settle()
    assert _visitor(second) == visitor and [request["status"] for request in second["requests"]] == [202, 202]
    (journey,) = _browse_journeys(harness)
    assert journey["name"] == f"browse-abandonment-{STORE_ID}-{OLENA}-2026-11-02"

    harness.run_until(3 * DAY)
    assert [mail["To"] for mail in harness.emails("browse-abandonment") if mail["Subject"] == JACKET_REMINDER] == ["olena@example.com"]
    # The linen shirt is in her open cart: cart abandonment's business, not browse abandonment's.
    text = "".join(
        part.get_payload(decode=True).decode()
        for mail in harness.emails("browse-abandonment")
        for part in mail.walk()
        if part.get_content_type() == "text/plain"
    )
    assert "Trail jacket" in text and "Linen shirt" not in text


def test_the_checkout_token_links_whichever_comes_first_the_webhook_or_the_pixel(harness, tmp_path):
    key = _setup(harness)
    endpoint = f"{harness.client.api_url}/v1/t/{key}"
    assert harness.shopify("checkouts/create", "shopify_checkouts_create", webhook_id="checkout-create-2", updated_at=harness.now().isoformat()).status == 202
    result = run_pixel(tmp_path, [product_viewed(1, JACKET_VARIANT), checkout_started(2), product_viewed(3, JACKET_VARIANT)], endpoint=endpoint, post=True)
    harness.clock.settle()
    assert [request["status"] for request in result["requests"]] == [202, 202, 202]
    assert harness.item(f"STORE#{STORE_ID}#VISITOR#{_visitor(result)}", "IDENTITY")["customer_id"] == OLENA
    assert harness.item(f"STORE#{STORE_ID}#CUSTOMER#{OLENA}", f"VIEW#{JACKET}")["views"] == 2
    assert len(_browse_journeys(harness)) == 1


def test_a_customer_id_or_email_claimed_by_the_browser_starts_nothing_and_sends_nothing(harness, tmp_path):
    key = _setup(harness)
    # Olena is a known, subscribed customer (the store told us through the signed API)...
    assert harness.identify(OLENA, email="olena@example.com", first_name="Olena", accepts_email_marketing=True).status == 202
    assert harness.profile(OLENA)["accepts_email_marketing"] is True
    # ...and someone else's browser claims to be her, with intent (3 long views).
    forged = {
        "batch": [
            {
                "type": "track",
                "event": "Product Viewed",
                "messageId": f"forged-{number}",
                "anonymousId": "attacker-visitor-000001",
                "userId": OLENA,
                "traits": {"email": "olena@example.com"},
                "context": {"traits": {"email": "olena@example.com"}},
                "properties": {"product_id": JACKET, "dwell_seconds": 120},
            }
            for number in range(3)
        ]
    }
    request = urllib.request.Request(
        f"{harness.client.api_url}/v1/t/{key}",
        data=json.dumps(forged).encode(),
        method="POST",
        headers={"Content-Type": "text/plain", "Origin": "https://shop.example", "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"},
    )
    with urllib.request.urlopen(request) as reply:
        assert reply.status == 202
    harness.clock.settle()
    harness.run_until(3 * DAY)
    assert _browse_journeys(harness) == []
    assert harness.emails() == []
    assert harness.item(f"STORE#{STORE_ID}#CUSTOMER#{OLENA}", f"VIEW#{JACKET}") is None
    assert harness.item(f"STORE#{STORE_ID}#VISITOR#attacker-visitor-000001", f"VIEW#{JACKET}")["views"] == 3

    # The pixel itself never makes such a claim, though Shopify tells it who the shopper is.
    result = run_pixel(tmp_path, [product_viewed(1, LINEN_VARIANT), checkout_started(2)], endpoint="https://encore.example/v1/t/" + key, post=False)
    sent = " ".join(request["body"] for request in result["requests"])
    assert len(result["requests"]) == 2 and OLENA not in sent and "olena@example.com" not in sent and "userId" not in sent


def test_without_consent_the_pixel_sends_and_stores_nothing_until_the_visitor_allows_it(tmp_path):
    endpoint = "https://encore.example/v1/t/pk_0123456789abcdefghij"
    steps = [product_viewed(1, LINEN_VARIANT), product_added_to_cart(2, LINEN_VARIANT), checkout_started(3)]
    declined = run_pixel(tmp_path, steps, endpoint=endpoint, post=False, privacy=DECLINED)
    assert declined["requests"] == [] and declined["cookies"] == {} and declined["localStorage"] == {}
    assert declined["subscribed"] == ["cart_viewed", "checkout_started", "product_added_to_cart", "product_viewed"]

    analytics_only = run_pixel(tmp_path, steps, endpoint=endpoint, post=False, privacy={**ALLOWED, "marketingAllowed": False})
    assert analytics_only["requests"] == []

    # Consent given on the banner mid-visit (visitorConsentCollected), then withdrawn again.
    changing = run_pixel(
        tmp_path,
        [
            product_viewed(1, LINEN_VARIANT),
            {"consent": ALLOWED},
            product_viewed(2, LINEN_VARIANT),
            product_added_to_cart(3, LINEN_VARIANT),
            {"consent": DECLINED},
            checkout_started(4),
        ],
        endpoint=endpoint,
        post=False,
        privacy=DECLINED,
    )
    bodies = [json.loads(request["body"])["batch"][0] for request in changing["requests"]]
    assert [(body["event"], body["messageId"]) for body in bodies] == [
        ("Product Viewed", "sh-product_viewed-0002-5d1e2f"),
        ("Product Added", "sh-product_added_to_cart-0003-5d1e2f"),
    ]
    assert bodies[0]["properties"] == {"product_id": LINEN, "name": "Linen shirt", "category": "Shirts", "price": 49, "url": "/products/linen-shirt"}
    request = changing["requests"][0]
    assert request["url"] == endpoint and request["method"] == "POST" and request["keepalive"] is True and request["credentials"] == "omit"
    assert request["headers"]["Content-Type"] == "text/plain"  # a CORS simple request: no preflight
    visitor = changing["cookies"]["_encore_vid"]
    assert re.fullmatch(r"[0-9a-f-]{36}", visitor) and bodies[0]["anonymousId"] == visitor == changing["localStorage"]["_encore_vid"]


# ---------------------------------------------------------------- storefront/encore.js
SCRIPT = ROOT / "storefront" / "encore.js"
SCRIPT_BROWSER = Path(__file__).with_name("script_browser.js")


def run_script(tmp_path: Path, steps: list[dict], *, queued: list | None = None, consent: str = "required") -> dict:
    scenario = {
        "script": str(SCRIPT),
        "endpoint": "https://encore.example/v1/t/pk_0123456789abcdefghij",
        "consent": consent,
        "queued": queued or [],
        "steps": steps,
    }
    path = tmp_path / f"script-{len(list(tmp_path.iterdir()))}.json"
    path.write_text(json.dumps(scenario))
    done = subprocess.run([NODE, str(SCRIPT_BROWSER), str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_storefront_script_waits_for_consent_and_sends_views_with_their_dwell_time_when_the_page_is_left(tmp_path):
    from encore import tracking

    view = ["track", "Product Viewed", {"product_id": LINEN, "name": "Linen shirt", "price": "49.00"}]
    # Consent required (the default) and never given: nothing sent, nothing stored.
    silent = run_script(
        tmp_path, [{"wait_seconds": 90}, {"page": "hidden"}, {"call": ["track", "Checkout Started", {"checkout_token": "tok-12345678"}]}], queued=[view]
    )
    assert silent["beacons"] == [] and silent["cookie"] is None and silent["localStorage"] == {}

    # The banner grants consent; the view queued before the script loaded goes out when the
    # page is left, 75 s later; an order is not a storefront event; withdrawing forgets the id.
    steps = [
        {"call": ["consent", True]},
        {"wait_seconds": 75},
        {"page": "hidden"},
        {"page": "pagehide"},
        {"call": ["track", "Checkout Started", {"checkout_token": "tok-12345678"}]},
        {"call": ["track", "Order Completed", {"order_id": "1"}]},
    ]
    sent = run_script(tmp_path, steps, queued=[view])
    assert sent["errors"] == ["encore.track: a storefront may send only Product Viewed, Product Added, Cart Viewed, Checkout Started"]
    bodies = [json.loads(beacon["body"]) for beacon in sent["beacons"]]
    assert {beacon["type"] for beacon in sent["beacons"]} == {"text/plain"}  # no CORS preflight
    assert [body["batch"][0]["event"] for body in bodies] == ["Product Viewed", "Checkout Started"]  # the view once
    assert bodies[0]["batch"][0]["properties"] == {"product_id": LINEN, "name": "Linen shirt", "price": "49.00", "dwell_seconds": 75}
    visitor = sent["cookie"]
    assert {body["batch"][0]["anonymousId"] for body in bodies} == {visitor} and sent["localStorage"]["_encore_vid"] == visitor
    for body in bodies:  # what the endpoint's own parser accepts
        assert tracking.parse_events(body)

    withdrawn = run_script(
        tmp_path,
        [
            {"call": ["consent", True]},
            {"call": ["track", "Product Added", {"product_id": LINEN}]},
            {"call": ["consent", False]},
            {"call": ["track", "Product Added", {"product_id": LINEN}]},
        ],
    )
    assert len(withdrawn["beacons"]) == 1 and withdrawn["cookie"] is None and withdrawn["localStorage"] == {}
