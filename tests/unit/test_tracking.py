"""The browser endpoint's gate (encore.tracking): key scope, size limits, CORS answers, bot
filtering — everything decided before anything is written, so no AWS is needed here."""

from __future__ import annotations

import json

import pytest

from encore import tracking
from encore.ingest import WebhookRequest
from encore.platforms.generic import ProductViewedProperties

KEY = "pk_" + "k" * 24
STORE = "demo-store"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
VISITOR = "3f2b8c1e-9a47-4d2b-8e61-0c5d7a9b4e21"


class Parameters:
    def __init__(self, shop: dict | None = None, settings: dict | None = None):
        self._shop = shop if shop is not None else {"platform": "shopify", "shop_domain": "demo-store.myshopify.com"}
        self._settings = settings if settings is not None else {"storefront_url": "https://www.shop.example/"}

    def store_for_tracking_key(self, public_key: str) -> str | None:
        return STORE if public_key == KEY else None

    def store_settings(self, store_id: str) -> dict:
        return self._settings

    def shop(self, store_id: str) -> dict:
        return self._shop


class Publisher:
    def __init__(self):
        self.published = []

    def publish(self, events):
        self.published += events


class NoWrites(tracking.RateLimiter):
    """A limiter that fails the test if anything reaches DynamoDB."""

    def allow(self, store_id, visitor_id, now):
        raise AssertionError("the request got past the gate")


def view(number: int = 1, **changes) -> dict:
    return {"type": "track", "event": "Product Viewed", "messageId": f"m{number}", "anonymousId": VISITOR, "properties": {"product_id": "632910392"}, **changes}


def send(
    payload,
    *,
    key: str = KEY,
    origin: str | None = "https://www.shop.example",
    user_agent: str | None = FIREFOX,
    content_type: str = "text/plain",
    parameters=None,
    method: str = "POST",
    raw: bytes | None = None,
):
    headers = {"content-type": content_type}
    if origin is not None:
        headers["origin"] = origin
    if user_agent is not None:
        headers["user-agent"] = user_agent
    body = raw if raw is not None else json.dumps(payload).encode()
    request = WebhookRequest(headers=headers, body=body, path_parameters={"public_key": key}, method=method)
    publisher = Publisher()
    if method == "OPTIONS":
        return tracking.preflight(request, parameters=parameters or Parameters()), publisher
    return tracking.accept(request, parameters=parameters or Parameters(), publisher=publisher, limiter=NoWrites()), publisher


# ---------------------------------------------------------------- key scope
@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"type": "track", "event": "Order Completed", "messageId": "o1", "anonymousId": VISITOR, "properties": {"order_id": "1", "total": 10}}, "event"),
        ({"type": "identify", "messageId": "i1", "anonymousId": VISITOR, "traits": {"email": "a@example.com"}}, "type"),
        ({"type": "track", "event": "Product Reviewed", "messageId": "r1", "anonymousId": VISITOR, "properties": {}}, "event"),
        ({"type": "track", "event": "Signed Up", "messageId": "s1", "anonymousId": VISITOR}, "event"),
    ],
)
def test_a_public_key_cannot_send_an_order_an_identity_or_a_review(message, field):
    answer, publisher = send({"batch": [view(), message]})
    assert answer.status == 403
    assert answer.body["invalid_fields"] == [{"field": f"batch.1.{field}", "problem": answer.body["invalid_fields"][0]["problem"]}]
    assert "signed events API" in answer.body["invalid_fields"][0]["problem"]
    assert publisher.published == []  # the allowed view in the same batch is refused too


def test_an_unknown_or_malformed_key_is_401():
    assert send(view(), key="pk_" + "x" * 24)[0].status == 401
    assert send(view(), key="enc_secret_api_key_goes_elsewhere")[0].status == 401
    assert send(view(), key="pk_" + "x" * 24, method="OPTIONS")[0].status == 401


# ---------------------------------------------------------------- size limits
def test_a_body_over_8_kb_is_413_and_a_batch_over_20_events_is_400():
    answer, _ = send(None, raw=b'{"batch": [' + b" " * tracking.MAX_BODY_BYTES + b"]}")
    assert answer.status == 413 and "8192 bytes" in answer.body["title"]
    answer, _ = send({"batch": [view(number) for number in range(21)]})
    assert answer.status == 400 and answer.body["invalid_fields"] == [{"field": "batch", "problem": "holds at most 20 events"}]


def test_malformed_events_are_400_naming_each_field():
    answer, _ = send({"batch": [view(anonymousId="short"), view(2, properties={"dwell_seconds": -1})]})
    assert answer.status == 400
    fields = sorted(problem["field"] for problem in answer.body["invalid_fields"])
    assert fields == ["batch.0.anonymousId", "batch.1.properties.dwell_seconds", "batch.1.properties.product_id"]
    answer, _ = send({"type": "track", "event": "Checkout Started", "messageId": "c1", "anonymousId": VISITOR, "properties": {"checkout_token": "x y"}})
    assert answer.status == 400 and answer.body["invalid_fields"][0]["field"] == "properties.checkout_token"
    assert send(view(), content_type="application/x-www-form-urlencoded")[0].status == 415
    assert send(None, raw=b"not json")[0].status == 400


def test_a_browser_view_longer_than_an_hour_is_400_though_the_signed_api_takes_a_day():
    properties = {"product_id": "632910392", "dwell_seconds": 3_601}
    answer, _ = send(view(properties=properties))
    assert answer.status == 400 and [problem["field"] for problem in answer.body["invalid_fields"]] == ["properties.dwell_seconds"]
    [(_, within)] = tracking.parse_events(view(properties={**properties, "dwell_seconds": 3_600}))
    assert within.dwell_seconds == 3_600
    assert ProductViewedProperties.model_validate({**properties, "dwell_seconds": 86_400}).dwell_seconds == 86_400


# ---------------------------------------------------------------- CORS
def test_cors_echoes_only_the_stores_own_origins_and_never_allows_credentials():
    for origin in ("https://www.shop.example", "https://demo-store.myshopify.com"):
        answer, _ = send(view(), origin=origin, user_agent="Googlebot/2.1")  # a bot: stops before any write
        assert answer.status == 202 and answer.headers["Access-Control-Allow-Origin"] == origin and answer.headers["Vary"] == "Origin"
        assert "Access-Control-Allow-Credentials" not in answer.headers
    answer, publisher = send(view(), origin="https://evil.example")
    assert answer.status == 403 and "Access-Control-Allow-Origin" not in answer.headers and publisher.published == []
    # An origin that only looks alike (another port, a suffix) is another origin.
    assert send(view(), origin="https://www.shop.example:8443")[0].status == 403
    assert send(view(), origin="https://www.shop.example.evil.example")[0].status == 403


def test_a_sandboxed_pixel_without_a_usable_origin_passes_on_the_key_alone_and_gets_no_cors_header():
    for origin in ("null", None):
        answer, _ = send(view(), origin=origin, user_agent="HeadlessChrome/120")
        assert answer.status == 202 and "Access-Control-Allow-Origin" not in answer.headers


def test_woocommerce_site_url_is_an_allowed_origin():
    parameters = Parameters(shop={"platform": "woocommerce", "site_url": "https://woo.example"}, settings={"storefront_url": "https://woo.example/shop"})
    assert tracking.allowed_origins(tracking.load_store_settings(parameters, STORE), parameters.shop(STORE)) == {"https://woo.example"}


def test_preflight_allows_a_json_post_from_the_store_only():
    answer, _ = send(None, method="OPTIONS", raw=b"", origin="https://demo-store.myshopify.com")
    assert answer.status == 204
    assert answer.headers == {
        "Access-Control-Allow-Origin": "https://demo-store.myshopify.com",
        "Vary": "Origin",
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Max-Age": "86400",
    }
    answer, _ = send(None, method="OPTIONS", raw=b"", origin="https://evil.example")
    assert answer.status == 403 and "Access-Control-Allow-Origin" not in answer.headers


# ---------------------------------------------------------------- bots
@pytest.mark.parametrize(
    "user_agent",
    [
        None,
        "",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
        "facebookexternalhit/1.1",
        "python-requests/2.32.3",
        "curl/8.5.0",
        "Mozilla/5.0 (compatible; AhrefsBot/7.0)",
    ],
)
def test_bots_get_the_same_202_and_nothing_is_recorded(user_agent):
    answer, publisher = send({"batch": [view(1), view(2)]}, user_agent=user_agent)
    assert (answer.status, answer.body) == (202, {"accepted": 2}) and publisher.published == []


@pytest.mark.parametrize(
    "user_agent",
    [FIREFOX, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"],
)
def test_a_shoppers_browser_is_not_a_bot(user_agent):
    assert not tracking.is_bot(user_agent)
    with pytest.raises(AssertionError, match="past the gate"):
        send(view(), user_agent=user_agent)  # it reaches the rate limiter: the gate let it through


# ---------------------------------------------------------------- the document agrees with the code
def test_the_openapi_examples_are_valid_and_accepted_and_an_order_is_not():
    from pathlib import Path

    import yaml
    from jsonschema import Draft202012Validator

    document = yaml.safe_load((Path(__file__).parents[2] / "docs" / "openapi.yaml").read_text())
    validator = Draft202012Validator({"$ref": "#/components/schemas/BrowserRequest", "components": document["components"]})
    examples = document["paths"]["/v1/t/{public_key}"]["post"]["requestBody"]["content"]["text/plain"]["examples"]
    for name, example in examples.items():
        validator.validate(example["value"])
        assert tracking.parse_events(example["value"]), name
    order = {"type": "track", "event": "Order Completed", "messageId": "o1", "anonymousId": VISITOR}
    assert not validator.is_valid(order)
    with pytest.raises(tracking.Forbidden):
        tracking.parse_events(order)
