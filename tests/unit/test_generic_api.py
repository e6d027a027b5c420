"""The generic events API's mapping, message by message (no AWS involved)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml

from encore.errors import InvalidPayload, PayloadTooLarge
from encore.events import Consent, canonical_event
from encore.ingest import WebhookRequest
from encore.platforms import generic
from encore.platforms.generic import GENERIC_API, parse_message, to_canonical
from encore.signatures import sign_hex
from tests.conftest import load_event

STORE = "demo-store"
AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def canonical(payload: dict):
    return to_canonical(parse_message(payload), store_id=STORE)


def parse(payload: dict):
    return GENERIC_API.parse(WebhookRequest(headers={}, body=b""), payload, STORE)


def problems(payload: dict) -> dict[str, str]:
    with pytest.raises(InvalidPayload) as caught:
        parse(payload)
    return {problem["field"]: problem["problem"] for problem in caught.value.problems}


def fixture(name: str, **changes) -> dict:
    payload = copy.deepcopy(load_event(name))
    payload.update(changes)
    return payload


def message(**fields) -> dict:
    return {"messageId": "m-1", "timestamp": "2026-11-02T09:30:00Z", **fields}


# ------------------------------------------------------------------------ identify
def test_identify_maps_every_trait_onto_the_customer():
    event = canonical(load_event("generic_identify"))
    assert (event.type, event.event_id, event.store_id, event.source, event.registered) == (
        "customer_updated",
        "msg-identify-1001",
        STORE,
        "api:identify",
        False,
    )
    assert event.occurred_at == AT
    customer = event.customer
    assert customer.customer_id == "user-1001"
    assert customer.anonymous_id == "visitor-8f3a"  # the visitor merges into the customer
    assert (customer.email, customer.first_name, customer.last_name) == ("tomas@example.com", "Tomas", "Novak")
    assert customer.phone == "+15551234567"  # separators removed: E.164
    assert customer.birthday == date(1990, 5, 17)
    assert customer.country == "US"
    assert customer.tags == ["coffee", "vip"]
    assert (customer.locale, customer.time_zone) == ("en-US", "America/New_York")
    assert customer.email_consent == Consent(granted=True, source="api:identify", updated_at=AT)
    assert customer.sms_consent == Consent(granted=False, source="api:identify", updated_at=AT)
    assert customer.accepts_email_marketing is True
    assert canonical_event.validate_json(event.model_dump_json()) == event  # what the bus carries


def test_identify_reads_segment_camel_case_names_and_a_comma_separated_tag_list():
    event = canonical(message(type="identify", userId="u-1", traits={"firstName": "Olena", "lastName": "Shevchenko", "tags": "vip, , wholesale "}))
    assert (event.customer.first_name, event.customer.last_name) == ("Olena", "Shevchenko")
    assert event.customer.tags == ["vip", "wholesale"]


def test_identify_traits_win_over_context_traits_and_a_trait_locale_over_the_context_locale():
    event = canonical(
        message(
            type="identify",
            userId="u-1",
            context={"locale": "en-US", "traits": {"email": "old@example.com", "first_name": "Tom", "locale": "cs-CZ"}},
            traits={"email": "new@example.com"},
        )
    )
    assert (event.customer.email, event.customer.first_name, event.customer.locale) == ("new@example.com", "Tom", "cs-CZ")


def test_identify_that_says_nothing_about_consent_leaves_consent_unknown():
    customer = canonical(message(type="identify", userId="u-1", traits={"email": "a@example.com"})).customer
    assert (customer.email_consent, customer.sms_consent, customer.accepts_email_marketing) == (None, None, False)
    assert customer.tags is None  # not sent: the profile's tags stay as they are
    assert customer.anonymous_id is None


def test_an_empty_tag_list_is_sent_on_to_clear_the_tags_but_a_blank_string_says_nothing():
    assert canonical(message(type="identify", userId="u-1", traits={"tags": []})).customer.tags == []
    assert canonical(message(type="identify", userId="u-1", traits={"tags": " "})).customer.tags is None
    assert canonical(message(type="identify", userId="u-1", traits={"tags": " , "})).customer.tags == []


def test_the_older_accepts_email_marketing_trait_still_counts_and_email_consent_wins_over_it():
    legacy = canonical(message(type="identify", userId="u-1", traits={"accepts_email_marketing": True})).customer
    assert (legacy.accepts_email_marketing, legacy.email_consent) == (True, None)
    both = canonical(message(type="identify", userId="u-1", traits={"accepts_email_marketing": True, "email_consent": False})).customer
    assert both.accepts_email_marketing is False
    assert both.email_consent.granted is False


def test_blank_traits_are_the_same_as_absent_ones():
    customer = canonical(message(type="identify", userId="u-1", traits={"email": "", "phone": " ", "birthday": "", "country": None})).customer
    assert (customer.email, customer.phone, customer.birthday, customer.country) == (None, None, None, None)


def test_integer_ids_become_strings():
    event = canonical(message(type="identify", userId=1001, anonymousId=7.0))
    assert (event.customer.customer_id, event.customer.anonymous_id) == ("1001", "7")


def test_identify_needs_a_user_id():
    assert set(problems(message(type="identify", anonymousId="visitor-1"))) == {"userId"}
    assert set(problems(message(type="identify", userId=" "))) == {"userId"}
    assert set(problems(message(type="identify", userId=True))) == {"userId"}


@pytest.mark.parametrize(
    ("trait", "value"),
    [
        ("email", "not-an-email"),
        ("phone", "555-0100"),  # no country code
        ("phone", "+0 555 0100"),
        ("phone", "+1 555 ٣٣٣ 0100"),  # digits other than 0-9
        ("birthday", "17/05/1990"),
        ("birthday", "1990-02-30"),
        ("birthday", "1850-01-01"),
        ("birthday", 19900517),
        ("country", "Ukraine"),
        ("tags", [""]),
        ("tags", ["x" * 101]),
        ("tags", ["t"] * 101),
        ("email_consent", "yes"),
        ("sms_consent", 1),
        ("first_name", "x" * 501),
    ],
)
def test_an_invalid_trait_is_400_naming_it(trait, value):
    found = problems(message(type="identify", userId="u-1", traits={trait: value}))
    assert [field.split(".")[:2] for field in found] == [["traits", trait]]


@pytest.mark.parametrize(
    ("field", "value"),
    [("timezone", "Mars/Olympus_Mons"), ("timezone", "../../etc/passwd"), ("locale", "English (US)")],
)
def test_an_invalid_context_value_is_400_naming_it(field, value):
    assert set(problems(message(type="identify", userId="u-1", context={field: value}))) == {f"context.{field}"}


# ------------------------------------------------------------------------ product viewed
def test_product_viewed_by_an_anonymous_visitor():
    event = canonical(load_event("generic_product_viewed"))
    assert event.type == "product_viewed"
    assert (event.customer, event.anonymous_id) == (None, "visitor-8f3a")
    assert (event.product_id, event.title, event.category, event.price_cents) == ("sku-espresso-beans-1kg", "Espresso beans 1 kg", "Coffee", 2450)
    assert (event.url, event.dwell_seconds, event.source) == ("https://shop.example/p/espresso-beans", 45, "api:Product Viewed")


def test_product_viewed_by_a_known_customer_names_the_customer():
    payload = fixture("generic_product_viewed", userId="user-1001", context={"traits": {"email": "tomas@example.com"}})
    event = canonical(payload)
    assert event.customer.customer_id == "user-1001"
    assert event.customer.email == "tomas@example.com"
    assert event.customer.anonymous_id == event.anonymous_id == "visitor-8f3a"


def test_product_viewed_needs_only_a_product_id():
    event = canonical(message(type="track", event="Product Viewed", userId="u-1", properties={"product_id": 17}))
    assert (event.product_id, event.title, event.price_cents, event.dwell_seconds) == ("17", None, None, None)


def test_product_viewed_by_nobody_is_400():
    payload = fixture("generic_product_viewed")
    del payload["anonymousId"]
    assert problems(payload) == {"userId": "Product Viewed needs a userId or an anonymousId"}


@pytest.mark.parametrize("dwell", [-1, 86_401, 1.5, "45", True])
def test_an_invalid_dwell_time_is_400(dwell):
    payload = fixture("generic_product_viewed")
    payload["properties"]["dwell_seconds"] = dwell
    assert set(problems(payload)) == {"properties.dwell_seconds"}


# ------------------------------------------------------------------------ cart events
@pytest.mark.parametrize("name", ["Product Added", "Product Removed", "Cart Viewed", "Cart Updated", "Checkout Started"])
def test_every_cart_event_becomes_the_whole_cart(name):
    event = canonical(fixture("generic_product_added", event=name))
    assert (event.type, event.source, event.cart_id, event.currency) == ("cart_updated", f"api:{name}", "cart-5521", "USD")
    assert [(line.product_id, line.title, line.quantity, line.price_cents) for line in event.lines] == [
        ("sku-espresso-beans-1kg", "Espresso beans 1 kg", 2, 2450),
        ("sku-milk-frother", "Milk frother", 1, 3990),
    ]
    assert event.lines[0].url == "https://shop.example/p/espresso-beans"
    assert event.total_cents == 8890
    assert event.recovery_url == "https://shop.example/cart/cart-5521"
    assert event.customer.customer_id == "user-1001"
    assert (event.customer.email, event.customer.locale, event.customer.accepts_email_marketing) == ("tomas@example.com", "en-US", True)


def test_the_cart_fixtures_map_as_their_names_say():
    removed = canonical(load_event("generic_product_removed"))
    assert [line.product_id for line in removed.lines] == ["sku-espresso-beans-1kg"]
    viewed = canonical(load_event("generic_cart_viewed"))
    assert (viewed.total_cents, viewed.recovery_url) == (8890, None)
    checkout = canonical(load_event("generic_checkout_started"))
    assert (checkout.currency, checkout.recovery_url) == ("USD", "https://shop.example/checkout/cart-5521")
    assert checkout.customer.email_consent == Consent(granted=True, source="api:Checkout Started", updated_at=checkout.occurred_at)


def test_a_cart_without_a_currency_keeps_the_one_it_had_and_an_empty_cart_has_no_lines():
    payload = fixture("generic_product_removed")
    del payload["properties"]["currency"]
    payload["properties"]["products"] = []
    event = canonical(payload)
    assert (event.currency, event.lines, event.total_cents) == (None, [], 0)


def test_a_product_quantity_defaults_to_one_and_amounts_may_be_strings_or_numbers():
    payload = fixture("generic_product_added")
    payload["properties"]["products"] = [
        {"product_id": 42, "name": "Mug", "price": "12.5"},
        {"product_id": "p-2", "name": "Spoon", "price": 3, "quantity": 4.0},
    ]
    lines = canonical(payload).lines
    assert [(line.product_id, line.quantity, line.price_cents) for line in lines] == [("42", 1, 1250), ("p-2", 4, 300)]


# The Segment e-commerce spec's single-product form: the product's fields, no products.
SPEC_PRODUCT_ADDED = message(
    type="track",
    event="Product Added",
    userId="user-1001",
    properties={
        "cart_id": "cart-5521",
        "product_id": "sku-milk-frother",
        "sku": "MF-01",
        "name": "Milk frother",
        "price": "39.90",
        "quantity": 2,
        "url": "https://shop.example/p/milk-frother",
        "image_url": "https://shop.example/i/mf.jpg",
        "position": 3,
    },
)


@pytest.mark.parametrize(("name", "action"), [("Product Added", "add"), ("Product Removed", "remove")])
def test_a_single_product_added_or_removed_is_a_change_of_that_line(name, action):
    event = canonical({**SPEC_PRODUCT_ADDED, "event": name})
    assert (event.type, event.source, event.cart_id, event.lines, event.customer.customer_id) == ("cart_updated", f"api:{name}", "cart-5521", [], "user-1001")
    change = event.change
    assert (change.action, change.product_id, change.quantity, change.title, change.price_cents) == (action, "sku-milk-frother", 2, "Milk frother", 3990)
    assert (change.url, change.image_url, change.to_open_cart) == ("https://shop.example/p/milk-frother", "https://shop.example/i/mf.jpg", False)
    _validator(_openapi(), "EventsRequest").validate({**SPEC_PRODUCT_ADDED, "event": name})


def test_a_single_product_change_names_its_line_by_sku_without_a_product_id_and_its_cart_may_be_left_out():
    payload = copy.deepcopy(SPEC_PRODUCT_ADDED)
    for field in ("product_id", "cart_id", "quantity", "name", "price"):
        del payload["properties"][field]
    event = canonical(payload)
    assert (event.cart_id, event.change.product_id, event.change.quantity, event.change.title, event.change.price_cents, event.change.to_open_cart) == (
        "m-1",
        "MF-01",
        None,
        None,
        None,
        True,
    )
    _validator(_openapi(), "EventsRequest").validate(payload)


@pytest.mark.parametrize(
    ("properties", "field"),
    [
        ({"name": "Milk frother"}, "properties.product_id"),
        ({"product_id": "p", "quantity": 0}, "properties.quantity"),
        ({"product_id": "p", "price": -1}, "properties.price"),
        ({"product_id": ""}, "properties.product_id"),
    ],
)
def test_a_single_product_change_the_code_refuses_the_document_refuses(properties, field):
    payload = {**SPEC_PRODUCT_ADDED, "properties": properties}
    assert set(problems(payload)) == {field}
    assert not _validator(_openapi(), "EventsRequest").is_valid(payload)


def test_a_single_product_change_needs_a_user_id_on_the_generic_api():
    payload = {key: value for key, value in SPEC_PRODUCT_ADDED.items() if key != "userId"}
    assert set(problems({**payload, "anonymousId": "visitor-1"})) == {"userId"}


def test_a_cart_event_needs_a_user_id_and_names_what_is_missing():
    payload = fixture("generic_product_added")
    del payload["userId"]
    payload["anonymousId"] = "visitor-1"
    del payload["properties"]["cart_id"]
    found = problems(payload)
    assert set(found) == {"userId", "properties.cart_id"}
    assert "Product Added" in found["userId"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("price", "abc"),
        ("price", -1),
        ("price", "NaN"),
        ("price", 1e10),
        ("price", True),
        ("price", None),
        ("quantity", 0),
        ("quantity", 10_001),
        ("quantity", "2"),
        ("quantity", True),
        ("product_id", ""),
        ("product_id", "x" * 129),
        ("name", None),
    ],
)
def test_an_invalid_product_is_400_naming_the_field(field, value):
    payload = fixture("generic_product_added")
    payload["properties"]["products"][1][field] = value
    assert set(problems(payload)) == {f"properties.products.1.{field}"}


def test_an_invalid_currency_is_400():
    payload = fixture("generic_product_added")
    payload["properties"]["currency"] = "dollars"
    assert set(problems(payload)) == {"properties.currency"}


# ------------------------------------------------------------------------ orders
def test_order_completed_becomes_an_order_placed():
    payload = fixture("generic_order_completed")
    payload["properties"]["coupon"] = "WELCOME10"
    event = canonical(payload)
    assert (event.type, event.order_id, event.cart_id, event.currency, event.total_cents) == ("order_placed", "order-90017", "cart-5521", "USD", 8890)
    assert [(line.product_id, line.quantity, line.price_cents) for line in event.lines] == [("sku-espresso-beans-1kg", 2, 2450), ("sku-milk-frother", 1, 3990)]
    assert event.coupon_codes == ["WELCOME10"]
    assert (event.customer.customer_id, event.customer.first_name) == ("user-1001", "Tomas")


def test_order_completed_needs_only_an_order_id_and_a_total():
    event = canonical(message(type="track", event="Order Completed", userId=5, properties={"order_id": 100000123, "total": "0"}))
    assert (event.order_id, event.cart_id, event.currency, event.total_cents, event.lines, event.coupon_codes) == ("100000123", None, "USD", 0, [], [])


def test_order_cancelled_becomes_an_order_status_change():
    event = canonical(load_event("generic_order_cancelled"))
    assert (event.type, event.order_id, event.refunded_cents, event.source) == ("order_cancelled", "order-90017", None, "api:Order Cancelled")
    assert event.customer.customer_id == "user-1001"


def test_order_refunded_carries_the_amount_refunded():
    event = canonical(load_event("generic_order_refunded"))
    assert (event.type, event.order_id, event.refunded_cents) == ("order_refunded", "order-90017", 3990)
    without_total = canonical(message(type="track", event="Order Refunded", userId="u", properties={"order_id": "o-1"}))
    assert without_total.refunded_cents is None


@pytest.mark.parametrize("name", ["Order Completed", "Order Cancelled", "Order Refunded"])
def test_an_order_event_needs_a_user_id_and_an_order_id(name):
    assert set(problems(message(type="track", event=name, anonymousId="v", properties={}))) >= {"userId", "properties.order_id"}


# ------------------------------------------------------------------------ signed up
def test_signed_up_registers_the_customer_with_traits_from_properties_over_context():
    event = canonical(load_event("generic_signed_up"))
    assert (event.type, event.registered, event.source) == ("customer_updated", True, "api:Signed Up")
    customer = event.customer
    assert (customer.customer_id, customer.anonymous_id) == ("user-1002", "visitor-22c1")
    assert (customer.email, customer.first_name, customer.last_name, customer.country) == ("olena@example.com", "Olena", "Shevchenko", "UA")
    assert (customer.locale, customer.time_zone) == ("uk-UA", "Europe/Kyiv")
    assert customer.email_consent == Consent(granted=True, source="api:Signed Up", updated_at=event.occurred_at)


def test_signed_up_needs_a_user_id_and_checks_its_traits():
    assert set(problems(message(type="track", event="Signed Up", anonymousId="v", properties={"email": "nope"}))) == {"userId", "properties.email"}


# ------------------------------------------------------------------------ everything else
def test_an_unknown_event_is_ignored_whatever_its_properties():
    assert canonical(message(type="track", event="Product Shared", properties={"share_via": "email"})) is None
    parsed = parse(message(type="track", event="Page Scrolled"))
    assert (parsed.events, parsed.ignored) == ([], ["m-1"])


def test_event_names_are_matched_exactly():
    assert canonical(message(type="track", event="order completed", userId="u", properties={})) is None


def test_the_existing_track_message_shapes_still_parse():
    for name in ("generic_product_added", "generic_order_completed"):
        message_ = generic.TrackMessage.model_validate(load_event(name))
        assert generic.to_canonical(message_, store_id="s").event_id == load_event(name)["messageId"]


@pytest.mark.parametrize(
    ("timestamp", "problem"),
    [
        ("2026-11-02T09:30:00", "timezone"),
        (1793611800, "ISO-8601"),
        ("0001-01-01T00:00:00+05:00", "1970-01-01"),
        ("9999-12-31T23:00:00-05:00", "1970-01-01"),
        ("1969-12-31T23:59:59Z", "1970-01-01"),
        ("yesterday", "datetime"),
    ],
)
def test_a_timestamp_needs_an_offset_and_a_plausible_date(timestamp, problem):
    found = problems(message(type="identify", userId="u", timestamp=timestamp))
    assert set(found) == {"timestamp"}
    assert problem in found["timestamp"]


def test_a_timestamp_keeps_its_offset_and_2099_is_fine():
    event = canonical(message(type="identify", userId="u", timestamp="2099-12-31T23:59:59+05:00"))
    assert event.occurred_at.utcoffset().total_seconds() == 5 * 3600


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (message(type="page", userId="u"), {"type": "must be 'identify' or 'track'"}),
        (message(userId="u"), {"type": "must be 'identify' or 'track'"}),
        ({"batch": []}, {"batch": "must be a non-empty list"}),
        ({"batch": {"type": "track"}}, {"batch": "must be a non-empty list"}),
        ({"batch": [message(type="track", event="x")] * 101}, {"batch": "holds at most 100 messages"}),
        ({"batch": ["not an object"]}, {"batch.0": "a message must be a JSON object"}),
    ],
)
def test_envelope_problems_name_the_field(payload, expected):
    assert problems(payload) == expected


def test_every_invalid_message_of_a_batch_is_named_at_once():
    good = message(type="track", event="Something", messageId="ok")
    found = problems(
        {"batch": [good, message(type="identify"), good, message(type="track", event="Order Completed", userId="u", properties={"order_id": "o"})]}
    )
    assert set(found) == {"batch.1.userId", "batch.3.properties.total"}


def test_a_batch_keeps_the_messages_in_order_and_lists_ignored_ones():
    parsed = parse(load_event("generic_batch"))
    assert [(event.type, event.event_id) for event in parsed.events] == [
        ("product_viewed", "msg-batch-viewed"),
        ("customer_updated", "msg-batch-identify"),
        ("cart_updated", "msg-batch-added"),
        ("customer_updated", "msg-batch-identify"),  # the duplicate: dedupe happens on the bus side of ingest
    ]
    assert parsed.ignored == ["msg-batch-shared"]


def test_text_that_is_not_valid_unicode_is_400_naming_where():
    payload = json.loads(json.dumps(message(type="identify", userId="u", traits={"first_name": "\ud800"})))
    assert set(problems(payload)) == {"traits.first_name"}
    assert set(problems({"batch": [message(type="track", event="x", properties={"\udcff": 1})]})) == {"batch.0.properties.\\udcff"}


def test_a_message_too_large_for_one_event_is_413_naming_it():
    products = [{"product_id": f"p-{i}", "name": "n" * 500, "price": 1, "url": "u" * 2048} for i in range(200)]
    payload = {"batch": [message(type="track", event="Cart Viewed", userId="u", properties={"cart_id": "c", "products": products})]}
    with pytest.raises(PayloadTooLarge) as caught:
        parse(payload)
    assert caught.value.status == 413
    assert [problem["field"] for problem in caught.value.problems] == ["batch.0"]


# ------------------------------------------------------------------------ store and signature
class _Parameters:
    def store_for_api_key(self, api_key: str) -> str | None:
        return STORE if api_key == "enc_key" else None


@pytest.mark.parametrize(
    ("authorization", "store"),
    [("Bearer enc_key", STORE), ("bearer  enc_key ", STORE), ("Bearer enc_other", None), ("Basic enc_key", None), ("Bearer ", None), (None, None)],
)
def test_the_api_key_names_the_store(authorization, store):
    headers = {"authorization": authorization} if authorization is not None else {}
    assert GENERIC_API.store_id(WebhookRequest(headers=headers, body=b"{}"), _Parameters()) == store


def test_the_signature_is_the_hex_hmac_of_the_raw_body():
    from encore.errors import SignatureMismatch

    body = json.dumps(load_event("generic_identify")).encode()
    GENERIC_API.verify(WebhookRequest(headers={"x-encore-signature": sign_hex("secret", body)}, body=body), "secret")
    with pytest.raises(SignatureMismatch):
        GENERIC_API.verify(WebhookRequest(headers={"x-encore-signature": sign_hex("secret", body + b" ")}, body=body), "secret")


# ------------------------------------------------------------------------ the documents agree with the code
DOCS = Path(__file__).parents[2] / "docs"


def _openapi() -> dict:
    return yaml.safe_load((DOCS / "openapi.yaml").read_text())


def _validator(document: dict, name: str):
    from jsonschema import Draft202012Validator

    return Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": document["components"]})


def test_every_request_example_in_the_openapi_document_is_valid_and_accepted():
    document = _openapi()
    body = document["paths"]["/v1/events"]["post"]["requestBody"]["content"]["application/json"]
    validator = _validator(document, "EventsRequest")
    for name, example in body["examples"].items():
        validator.validate(example["value"])
        assert parse(example["value"]).events, name


def test_every_fixture_is_valid_by_the_openapi_document():
    validator = _validator(_openapi(), "EventsRequest")
    for path in sorted((Path(__file__).parents[1] / "events").glob("generic_*.json")):
        errors = [error.message for error in validator.iter_errors(json.loads(path.read_text()))]
        assert errors == [], path.name


def test_the_openapi_document_rejects_what_the_code_rejects():
    validator = _validator(_openapi(), "EventsRequest")
    cart_without_user = fixture("generic_product_added")
    del cart_without_user["userId"]
    viewed_by_nobody = fixture("generic_product_viewed")
    del viewed_by_nobody["anonymousId"]
    for payload in (cart_without_user, viewed_by_nobody, {"batch": []}, message(type="page"), fixture("generic_identify", userId="")):
        assert not validator.is_valid(payload)
        with pytest.raises(InvalidPayload):
            parse(payload)


def test_the_responses_the_code_gives_match_the_openapi_schemas():
    from encore.ingest import IngestResult

    document = _openapi()
    _validator(document, "Accepted").validate(IngestResult(accepted=["a"], duplicates=["b"], ignored=["c"]).as_body())
    with pytest.raises(InvalidPayload) as caught:
        parse({"batch": [message(type="identify")]})
    error = caught.value
    _validator(document, "Problem").validate({"title": error.reason, "status": error.status, "invalid_fields": error.problems})


def test_the_magento_worked_example_is_an_order_completed():
    text = (DOCS / "magento.md").read_text()
    block = text.split("<!-- example: magento order completed -->", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    payload = json.loads(block)
    _validator(_openapi(), "EventsRequest").validate(payload)
    event = canonical(payload)
    assert (event.type, event.order_id, event.cart_id, event.total_cents, event.currency) == ("order_placed", "000000123", "5521", 8890, "USD")
    assert [(line.product_id, line.quantity, line.price_cents) for line in event.lines] == [("ESPRESSO-1KG", 2, 2450), ("MILK-FROTHER", 1, 3990)]
    assert event.customer.customer_id == "guest:tomas@example.com"
