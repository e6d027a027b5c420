"""The generic API's ``Product Reviewed`` becomes the canonical ``ReviewSubmitted`` (no AWS
involved); the review-request settings that time and shape the journey."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from encore.errors import InvalidPayload
from encore.events import canonical_event
from encore.ingest import WebhookRequest
from encore.platforms.generic import GENERIC_API
from encore.stores import DAY, StoreSettings
from tests.conftest import load_event

STORE = "demo-store"


def _reviewed(**properties) -> dict:
    payload = copy.deepcopy(load_event("generic_product_reviewed"))
    payload["properties"].update(properties)
    return payload


def _parse(payload: dict):
    return GENERIC_API.parse(WebhookRequest(headers={}, body=b""), payload, STORE)


def _problems(payload: dict) -> dict[str, str]:
    with pytest.raises(InvalidPayload) as caught:
        _parse(payload)
    return {problem["field"]: problem["problem"] for problem in caught.value.problems}


def test_product_reviewed_becomes_a_review_submitted_event():
    (event,) = _parse(load_event("generic_product_reviewed")).events
    assert (event.type, event.event_id, event.source) == ("review_submitted", "msg-product-reviewed-1", "api:Product Reviewed")
    assert (event.customer.customer_id, event.product_id, event.order_id, event.rating, event.review_id) == (
        "user-1001",
        "sku-milk-frother",
        "order-90017",
        5,
        "review-5521",
    )
    assert (event.title, event.body) == ("Silky foam every morning", "Froths oat milk in under a minute and is easy to rinse. Worth every cent.")
    assert event.occurred_at == datetime(2026, 11, 20, 18, 45, tzinfo=UTC)
    # What goes on the bus comes back as the same event.
    assert canonical_event.validate_json(event.model_dump_json()) == event


def test_only_the_ids_and_the_rating_are_required():
    payload = load_event("generic_product_reviewed")
    payload["properties"] = {"product_id": 632910392, "review_id": "r-9", "rating": 4.0, "review_body": "  "}
    (event,) = _parse(payload).events
    assert (event.product_id, event.rating, event.order_id, event.title, event.body) == ("632910392", 4, None, None, None)


@pytest.mark.parametrize(
    ("properties", "field", "problem"),
    [
        ({"rating": 7}, "properties.rating", "Input should be less than or equal to 5"),
        ({"rating": 0}, "properties.rating", "Input should be greater than or equal to 1"),
        ({"rating": 4.5}, "properties.rating", "Input should be a valid integer"),
        ({"rating": "5"}, "properties.rating", "Input should be a valid integer"),
        ({"review_id": ""}, "properties.review_id", "at least 1"),
    ],
)
def test_a_review_with_a_bad_rating_or_id_is_refused_naming_the_field(properties, field, problem):
    problems = _problems(_reviewed(**properties))
    assert list(problems) == [field]
    assert problem in problems[field]


def test_a_review_needs_the_customer_and_the_product():
    payload = _reviewed()
    del payload["userId"], payload["properties"]["product_id"]
    payload["anonymousId"] = "visitor-1"
    assert set(_problems(payload)) == {"userId", "properties.product_id"}


def test_the_canonical_event_keeps_the_rating_between_one_and_five():
    event = load_event("generic_product_reviewed")
    (parsed,) = _parse(event).events
    with pytest.raises(ValidationError):
        canonical_event.validate_python({**parsed.model_dump(), "rating": 6})


# ------------------------------------------------------------------------ review-request settings
def test_the_delay_follows_the_product_type_and_the_longest_wins():
    settings = StoreSettings(store_id="s", postal_address="1 Main St").review_request
    assert settings.delay_days(["Apparel"]) == 10
    assert settings.delay_days(["cosmetics", "jewellery", "shoes"]) == 10
    assert settings.delay_days(["apparel", "furniture"]) == 21
    assert settings.delay_days(["kitchen", None]) == settings.default_delay_days == 14
    assert settings.execution_waits(5 * DAY) == {"before_request_seconds": 5 * DAY, "review_seconds": 3 * DAY, "after_reminder_seconds": 4 * DAY}


def test_incentives_are_off_until_a_store_turns_them_on():
    assert StoreSettings(store_id="s", postal_address="1 Main St").review_request.incentive() is None
    tuned = StoreSettings.from_dict(
        "s", {"postal_address": "1 Main St", "review_request": {"incentive_percent_off": 15, "delay_days_by_product_type": {"bikes": 30}}}
    )
    assert tuned.review_request.incentive() == {"percent_off": 15, "valid_days": 30}
    assert tuned.review_request.delay_days(["bikes", "apparel"]) == 30  # a store's own map replaces the default one


def test_ratings_must_leave_room_between_negative_and_positive():
    with pytest.raises(ValidationError):
        StoreSettings.from_dict("s", {"postal_address": "1 Main St", "review_request": {"positive_from": 3, "negative_up_to": 3}})
