"""Segment's request shapes, byte by byte (no AWS involved): gzip, HTTP Basic write keys,
the body's writeKey, Segment's size limits, timestamps and the per-route ``type``."""

from __future__ import annotations

import base64
import gzip
import json
import zlib
from datetime import UTC, datetime, timedelta

import pytest

from encore.errors import InvalidPayload, MalformedPayload, PayloadTooLarge, UnknownStore, UnsupportedMediaType
from encore.ingest import IngestResult, WebhookRequest
from encore.platforms import segment
from encore.platforms.segment import SEGMENT_CALLS, decoded, gunzip, write_key

STORE = "demo-store"
KEY = "enc_the-store-key"


def basic(user: str, password: str = "") -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def request(body: bytes | dict = b"{}", **headers) -> WebhookRequest:
    raw = json.dumps(body).encode() if isinstance(body, dict) else body
    return WebhookRequest(headers={name.replace("_", "-"): value for name, value in headers.items()}, body=raw)


def message(**fields) -> dict:
    return {"messageId": "m-1", "userId": "1001", "timestamp": "2026-11-02T09:30:00Z", **fields}


def parse(call: str, payload: dict):
    return SEGMENT_CALLS[call].parse(request(payload), payload, STORE)


class Keys:
    def store_for_api_key(self, api_key: str) -> str | None:
        return STORE if api_key == KEY else None


# ------------------------------------------------------------------------ gzip
def test_gzip_bodies_are_decompressed_and_the_header_dropped():
    body = json.dumps({"batch": [message(type="identify")]}).encode()
    plain = decoded(request(gzip.compress(body), content_encoding="gzip", content_type="application/json"), "batch")
    assert plain.body == body
    assert plain.header("content-encoding") is None and plain.media_type == "application/json"


def test_several_gzip_members_are_one_body():
    assert gunzip(gzip.compress(b'{"a":') + gzip.compress(b"1}"), 100) == b'{"a":1}'


def test_a_zip_bomb_is_413_after_inflating_at_most_the_limit():
    bomb = gzip.compress(b"0" * (64 * 1024 * 1024))
    assert len(bomb) < 100 * 1024
    with pytest.raises(PayloadTooLarge) as caught:
        decoded(request(bomb, content_encoding="gzip"), "batch")
    assert "500 KB" in caught.value.reason and caught.value.status == 413
    with pytest.raises(PayloadTooLarge) as caught:
        decoded(request(gzip.compress(b"0" * (40 * 1024)), content_encoding="gzip"), "track")
    assert "32 KB" in caught.value.reason


def test_exactly_the_limit_decompressed_is_accepted_and_one_byte_more_is_not():
    assert len(gunzip(gzip.compress(b"x" * 1000), 1000)) == 1000
    with pytest.raises(PayloadTooLarge):
        gunzip(gzip.compress(b"x" * 1001), 1000)


@pytest.mark.parametrize(
    "body",
    [b'{"batch": []}', gzip.compress(b'{"batch": []}')[:-6], gzip.compress(b"{}") + b"trailing", zlib.compress(b"{}")],
    ids=["not-gzip", "truncated", "trailing-garbage", "zlib-not-gzip"],
)
def test_a_body_that_is_not_whole_gzip_is_400(body):
    with pytest.raises(MalformedPayload) as caught:
        decoded(request(body, content_encoding="gzip"), "batch")
    assert caught.value.status == 400 and "gzip" in caught.value.reason


def test_other_content_encodings_are_415():
    with pytest.raises(UnsupportedMediaType):
        decoded(request(b"{}", content_encoding="br"), "batch")


def test_a_plain_body_over_segments_limits_is_413():
    with pytest.raises(PayloadTooLarge, match="500 KB"):
        decoded(request(b" " * (500 * 1024 + 1)), "batch")
    with pytest.raises(PayloadTooLarge, match="32 KB"):
        decoded(request(b" " * (32 * 1024 + 1)), "identify")
    assert decoded(request(b" " * (32 * 1024)), "identify").body == b" " * (32 * 1024)


# ------------------------------------------------------------------------ the write key
def test_the_write_key_is_the_basic_user_name_with_an_empty_password():
    assert write_key(request(authorization=basic(KEY))) == KEY
    assert write_key(request(authorization=basic(KEY, "ignored"))) == KEY  # some clients repeat the key as password


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (f"Bearer {KEY}", "HTTP Basic"),
        ("Basic !!!not-base64", "base64"),
        (basic(""), "empty"),
        ("Basic " + base64.b64encode(b"\xff\xfe:").decode(), "base64"),
    ],
)
def test_an_authorization_header_that_is_not_a_basic_write_key_is_401(header, reason):
    with pytest.raises(UnknownStore) as caught:
        write_key(request(authorization=header))
    assert caught.value.status == 401 and reason in caught.value.reason


def test_the_write_key_may_come_in_the_body_alone_or_agree_with_the_header():
    assert write_key(request({"batch": [], "writeKey": KEY})) == KEY
    assert write_key(request({"batch": [], "writeKey": KEY}, authorization=basic(KEY))) == KEY
    with pytest.raises(UnknownStore, match="not the write key of the Authorization header"):
        write_key(request({"batch": [], "writeKey": "enc_other"}, authorization=basic(KEY)))


def test_no_key_and_an_unknown_key_are_401_with_their_reason():
    api = SEGMENT_CALLS["batch"]
    assert api.store_id(request(authorization=basic(KEY)), Keys()) == STORE
    with pytest.raises(UnknownStore, match="no write key"):
        api.store_id(request({"batch": []}), Keys())
    with pytest.raises(UnknownStore, match="not the API key of any store"):
        api.store_id(request(authorization=basic("pk_public-browser-key")), Keys())


def test_a_body_that_is_not_json_names_no_key_rather_than_failing():
    assert write_key(request(b"\xb4,")) is None
    assert write_key(request(b"[" * 100_000)) is None


# ------------------------------------------------------------------------ the messages
def test_track_and_identify_take_the_message_without_its_type():
    parsed = parse("track", message(event="Product Viewed", properties={"product_id": "p-1"}))
    assert [event.type for event in parsed.events] == ["product_viewed"]
    parsed = parse("identify", message(traits={"email": "ada@example.com"}))
    assert parsed.events[0].customer.email == "ada@example.com"


@pytest.mark.parametrize("event", [{"name": "Product Added"}, ["Product Added"], 7, None])
def test_an_event_name_that_is_not_a_string_is_400_naming_event_not_a_server_error(event):
    # Found by `make fuzz`: a dict here once reached a set look-up and answered 500.
    with pytest.raises(InvalidPayload) as caught:
        parse("track", message(event=event, properties={"product_id": "1"}))
    assert "event" in [problem["field"] for problem in caught.value.problems]


def test_a_message_of_another_type_on_a_single_route_is_400_naming_type():
    with pytest.raises(InvalidPayload) as caught:
        parse("identify", message(type="track", event="Product Viewed"))
    assert [problem["field"] for problem in caught.value.problems] == ["type"]


def test_a_batch_acknowledges_page_screen_alias_and_group_and_validates_the_rest():
    batch = {"batch": [message(type="page", messageId="p"), message(type="alias", messageId="a", previousId="x"), message(type="identify", messageId="i")]}
    parsed = parse("batch", batch)
    assert parsed.ignored == ["p", "a"] and [event.event_id for event in parsed.events] == ["i"]
    with pytest.raises(InvalidPayload) as caught:
        parse("batch", {"batch": [message(type="page"), message(type="track", event="Order Completed")]})
    assert {problem["field"] for problem in caught.value.problems} == {"batch.1.properties.order_id", "batch.1.properties.total"}


def test_the_single_page_route_acknowledges_without_validating_the_call():
    assert parse("page", message(messageId="p-1", name="Home")).ignored == ["p-1"]


def test_an_unknown_type_in_a_batch_is_400_naming_it():
    with pytest.raises(InvalidPayload) as caught:
        parse("batch", {"batch": [message(type="pageview")]})
    assert [problem["field"] for problem in caught.value.problems] == ["batch.0.type"]


def test_a_message_over_32_kb_is_413_naming_its_place_in_the_batch():
    big = message(type="identify", messageId="big", traits={"notes": "x" * (32 * 1024)})
    with pytest.raises(PayloadTooLarge) as caught:
        parse("batch", {"batch": [message(type="identify"), big]})
    assert [problem["field"] for problem in caught.value.problems] == ["batch.1"]
    # Measured as UTF-8 bytes: 10 000 Cyrillic letters (20 000 bytes) are within the limit.
    assert parse("batch", {"batch": [message(type="identify", traits={"first_name": "Ж" * 400, "notes": "Ж" * 10_000})]}).events


def test_the_batch_context_is_merged_under_each_messages_own():
    batch = {"context": {"locale": "uk-UA", "timezone": "Europe/Kyiv"}, "batch": [message(type="identify", context={"locale": "en-US"})]}
    customer = parse("batch", batch).events[0].customer
    assert (customer.locale, customer.time_zone) == ("en-US", "Europe/Kyiv")


def test_without_timestamp_the_original_timestamp_is_corrected_for_the_senders_clock_skew(monkeypatch):
    received = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    monkeypatch.setattr(segment, "utcnow", lambda: received)
    # The sender's clock is 5 minutes fast: it says it sent at 10:05 what happened at 10:03.
    skewed = {k: v for k, v in message(type="identify").items() if k != "timestamp"}
    skewed.update(originalTimestamp="2026-11-02T10:03:00Z")
    event = parse("batch", {"sentAt": "2026-11-02T10:05:00Z", "batch": [skewed]}).events[0]
    assert event.occurred_at == received - timedelta(minutes=2)
    # Neither: the time received.
    bare = {k: v for k, v in message(type="identify").items() if k != "timestamp"}
    assert parse("identify", bare).events[0].occurred_at == received


def test_an_explicit_timestamp_is_taken_as_sent():
    event = parse("batch", {"sentAt": "2030-01-01T00:00:00Z", "batch": [message(type="identify", originalTimestamp="2020-01-01T00:00:00Z")]}).events[0]
    assert event.occurred_at == datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


# ------------------------------------------------------------------------ the answer
def test_accepted_is_200_and_a_message_in_progress_elsewhere_is_a_retryable_503():
    assert segment.answer(IngestResult(accepted=["a"])) == (200, {})
    assert segment.answer(IngestResult(ignored=["a"], status=200)) == (200, {})
    assert segment.answer(IngestResult(in_progress=["a"], status=409)) == (503, {"Retry-After": "5"})


def test_error_bodies_carry_segments_code_and_message():
    body = segment.problem(UnknownStore("the write key is not the API key of any store"))
    assert body == {
        "title": "the write key is not the API key of any store",
        "status": 401,
        "invalid_fields": [],
        "code": "unauthorized",
        "message": "the write key is not the API key of any store",
    }


# ------------------------------------------------------------------------ the e-commerce spec's own shapes
SPEC_PRODUCT = {
    "product_id": "507f1f77bcf86cd799439011",
    "sku": "G-32",
    "category": "Games",
    "name": "Monopoly: 3rd Edition",
    "brand": "Hasbro",
    "variant": "200 pieces",
    "price": 18.99,
    "quantity": 1,
    "coupon": "MAYDEALS",
    "position": 3,
    "url": "https://www.example.com/product/path",
    "image_url": "https://www.example.com/product/path.jpg",
}


def test_the_specs_single_product_added_and_removed_change_that_line_of_the_cart():
    batch = {
        "batch": [
            message(type="track", messageId="added", event="Product Added", properties={"cart_id": "skdjsidjsdkdj29j", **SPEC_PRODUCT, "quantity": 2}),
            message(type="track", messageId="removed", event="Product Removed", properties={"cart_id": "skdjsidjsdkdj29j", **SPEC_PRODUCT}),
            message(
                type="track",
                messageId="order",
                event="Order Completed",
                properties={"order_id": "50314b8e9bcf000000000000", "total": 27.5, "products": [SPEC_PRODUCT]},
            ),
        ]
    }
    parsed = parse("batch", batch)
    assert parsed.ignored == []
    added, removed, order = parsed.events
    assert (added.type, added.cart_id, added.lines, removed.cart_id, order.type) == ("cart_updated", "skdjsidjsdkdj29j", [], "skdjsidjsdkdj29j", "order_placed")
    assert (added.change.action, added.change.product_id, added.change.quantity, added.change.title, added.change.price_cents) == (
        "add",
        "507f1f77bcf86cd799439011",
        2,
        "Monopoly: 3rd Edition",
        1899,
    )
    assert (added.change.url, added.change.image_url, added.change.to_open_cart) == (SPEC_PRODUCT["url"], SPEC_PRODUCT["image_url"], False)
    assert (removed.change.action, removed.change.product_id, removed.change.quantity) == ("remove", "507f1f77bcf86cd799439011", 1)
    # With the whole cart in products they replace the cart, as on /v1/events.
    whole = parse("track", message(event="Product Added", properties={"cart_id": "c-1", "products": [SPEC_PRODUCT]}))
    assert [(event.type, event.cart_id, event.change, len(event.lines)) for event in whole.events] == [("cart_updated", "c-1", None, 1)]


def test_a_single_product_change_of_a_visitor_alone_is_acknowledged_not_a_400_that_drops_the_batch():
    visitor = message(type="track", messageId="visitor-added", event="Product Added", properties=SPEC_PRODUCT, anonymousId="v-1")
    del visitor["userId"]
    parsed = parse("batch", {"batch": [visitor, message(type="identify", messageId="who")]})
    assert parsed.ignored == ["visitor-added"] and [event.type for event in parsed.events] == ["customer_updated"]


def test_a_single_product_change_without_a_cart_id_goes_to_the_open_cart_and_needs_a_product():
    event = parse("track", message(event="Product Removed", properties={"sku": "G-32"})).events[0]
    assert (event.cart_id, event.change.product_id, event.change.quantity, event.change.to_open_cart) == ("m-1", "G-32", None, True)
    with pytest.raises(InvalidPayload) as caught:
        parse("track", message(event="Product Added", properties={"name": "Monopoly", "price": 18.99}))
    assert [problem["field"] for problem in caught.value.problems] == ["properties.product_id"]


def test_the_specs_checkout_started_names_its_cart_by_the_order_id():
    spec = {
        "order_id": "50314b8e9bcf000000000000",
        "value": 30,
        "revenue": 25,
        "shipping": 3,
        "tax": 2,
        "discount": 2.5,
        "coupon": "hasbros",
        "currency": "USD",
        "products": [SPEC_PRODUCT],
    }
    event = parse("track", message(event="Checkout Started", properties=spec)).events[0]
    assert (event.type, event.cart_id, event.total_cents) == ("cart_updated", "50314b8e9bcf000000000000", 1899)


def test_the_specs_order_completed_with_revenue_only_takes_it_as_the_total():
    event = parse("track", message(event="Order Completed", properties={"order_id": "o-1", "revenue": 25.0, "currency": "USD"})).events[0]
    assert (event.type, event.total_cents, event.cart_id) == ("order_placed", 2500, None)


# ------------------------------------------------------------------------ the document agrees with the code
def _openapi() -> dict:
    from pathlib import Path

    import yaml

    return yaml.safe_load((Path(__file__).parents[2] / "docs" / "openapi.yaml").read_text())


def _validator(document: dict, schema: dict):
    from jsonschema import Draft202012Validator

    return Draft202012Validator({**schema, "components": document["components"]})


@pytest.mark.parametrize("call", ["batch", "track", "identify"])
def test_every_segment_example_in_the_openapi_document_is_valid_and_taken(call):
    document = _openapi()
    body = document["paths"][f"/v1/{call}"]["post"]["requestBody"]["content"]["application/json"]
    validator = _validator(document, body["schema"])
    for name, example in body["examples"].items():
        validator.validate(example["value"])
        parsed = parse(call, example["value"])
        assert parsed.events, name


def test_the_spec_shaped_product_added_example_is_documented_as_a_change_and_is():
    example = _openapi()["paths"]["/v1/batch"]["post"]["requestBody"]["content"]["application/json"]["examples"]["productAdded"]["value"]
    spec, whole = parse("batch", example).events
    assert (spec.event_id, spec.change.action, spec.change.product_id, spec.lines) == ("product-added-spec-1", "add", "sku-milk-frother", [])
    assert (whole.event_id, whole.change, [line.product_id for line in whole.lines]) == ("product-added-cart-1", None, ["sku-milk-frother"])


@pytest.mark.parametrize(
    ("call", "payload"),
    [
        ("track", message(event="Order Completed", properties={"order_id": "o-1", "total": 10})),
        ("track", message(event="Product Added", properties={"product_id": "p-1", "name": "Mug", "price": 12})),
        ("track", message(event="Checkout Started", properties={"order_id": "o-1", "products": [SPEC_PRODUCT]})),
        ("track", message(event="Scrolled")),
        ("identify", message(traits={"email": "tomas@example.com"})),
    ],
)
def test_the_single_call_routes_document_type_as_optional_as_the_code_takes_it(call, payload):
    document = _openapi()
    validator = _validator(document, document["paths"][f"/v1/{call}"]["post"]["requestBody"]["content"]["application/json"]["schema"])
    assert "type" not in payload
    validator.validate(payload)
    assert parse(call, payload).events or parse(call, payload).ignored
    # The route's own type may be sent; another is refused by both.
    validator.validate({**payload, "type": call})
    other = "identify" if call == "track" else "track"
    assert not validator.is_valid({**payload, "type": other})
    with pytest.raises(InvalidPayload):
        parse(call, {**payload, "type": other})


def test_in_a_batch_every_message_has_a_type_by_the_document_as_by_the_code():
    document = _openapi()
    validator = _validator(document, {"$ref": "#/components/schemas/SegmentBatchRequest"})
    for untyped in (
        message(event="Order Completed", properties={"order_id": "o-1", "total": 10}),
        message(event="Checkout Started", properties={"order_id": "o-1", "products": [SPEC_PRODUCT]}),
    ):
        assert not validator.is_valid({"batch": [untyped]})
        with pytest.raises(InvalidPayload):
            parse("batch", {"batch": [untyped]})
        validator.validate({"batch": [{**untyped, "type": "track"}]})


def test_the_segment_error_and_answer_bodies_match_the_openapi_schemas():
    document = _openapi()
    for error in (UnknownStore("no write key"), PayloadTooLarge("too big", [{"field": "batch.1", "problem": "is 40000 bytes"}]), UnsupportedMediaType("br")):
        _validator(document, {"$ref": "#/components/schemas/SegmentProblem"}).validate(segment.problem(error))
    documented = set(document["paths"]["/v1/batch"]["post"]["responses"])
    assert {"200", "400", "401", "413", "415", "503"} <= documented
    assert all(str(status) in documented for status in (segment.answer(IngestResult(in_progress=["a"]))[0], segment.answer(IngestResult())[0]))


def test_the_document_lists_every_segment_route_the_code_serves():
    # /v1/events is the signed generic API, /v1/t/{public_key} the browser endpoint (encore.tracking).
    assert {path for path in _openapi()["paths"] if path not in ("/v1/events", "/v1/t/{public_key}")} == {f"/v1/{call}" for call in segment.CALLS}
