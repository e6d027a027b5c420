from datetime import UTC, datetime

import pytest

from encore.journeys import MAX_NAME, execution_name
from encore.rendering import email_templates, render_email
from encore.stores import StoreSettings
from infra.preview import SAMPLE_CONTEXT


def test_execution_name_is_deterministic_and_readable():
    name = execution_name("cart-abandonment", "demo-store", "603851970716743426", "eeafa272")
    assert name == "cart-abandonment-demo-store-603851970716743426-eeafa272"
    assert execution_name("cart-abandonment", "demo-store", "603851970716743426", "eeafa272") == name


def test_long_or_unsafe_keys_are_shortened_with_a_hash_that_keeps_them_apart():
    one = execution_name("cart-abandonment", "store", "customer@example.com", "x" * 100)
    two = execution_name("cart-abandonment", "store", "customer#example.com", "x" * 100)
    assert len(one) <= MAX_NAME and len(two) <= MAX_NAME
    assert one != two
    assert set(one) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def test_reminder_offsets_become_gaps_between_waits_and_stores_can_tune_them():
    defaults = StoreSettings(store_id="s", postal_address="1 Main St").cart_abandonment.execution_waits()
    assert defaults == {
        "first_reminder": 1,
        "before_reminder_1_seconds": 3600,
        "before_reminder_2_seconds": 23 * 3600,
        "before_reminder_3_seconds": 48 * 3600,
        "after_reminder_3_seconds": 7 * 86400,
    }
    tuned = StoreSettings.from_dict("s", {"postal_address": "1 Main St", "cart_abandonment": {"reminder_offsets_seconds": [1800, 7200, 86400]}})
    assert tuned.cart_abandonment.execution_waits()["before_reminder_2_seconds"] == 5400


# The canonical sample context lives with the preview command, so `make preview` and the
# tests render the same data: a key a new template needs goes there (infra/preview.py).
# Here the customer's name carries markup, to prove the HTML part escapes it.
SAMPLE = {**SAMPLE_CONTEXT, "customer": {"first_name": "<b>Ann</b>", "last_name": None}}


@pytest.mark.parametrize("template", email_templates())
def test_every_email_template_renders_html_and_text_without_undefined_variables(template):
    rendered = render_email(template, SAMPLE)
    assert rendered.subject and "\n" not in rendered.subject
    assert "<html" in rendered.html and "</html>" in rendered.html
    assert "&lt;b&gt;Ann&lt;/b&gt;" in rendered.html and "<b>Ann</b>" not in rendered.html  # autoescaped
    assert "<b>Ann</b>" in rendered.text  # the text part is not HTML


def test_templates_cover_the_cart_journey():
    assert {"cart_reminder_1", "cart_reminder_2", "cart_reminder_3", "cart_thank_you"} <= set(email_templates())
    assert "$25.00" in render_email("cart_reminder_1", SAMPLE).text
    assert "ABCD-EFGH-JKLM" in render_email("cart_reminder_3", SAMPLE).html


def test_the_committed_store_settings_schema_matches_the_model():
    from infra.settings_schema import main

    assert main(["--check"]) == 0, "run: make settings-schema"


def test_the_schema_accepts_the_demo_store_and_names_a_typo():
    import json

    import jsonschema

    from infra.settings_schema import OUTPUT, ROOT

    schema = json.loads(OUTPUT.read_text())
    demo = json.loads((ROOT / "infra" / "stores" / "demo-store.json").read_text())
    jsonschema.validate(demo, schema)  # a real settings file, as editors will check it
    typo = {**demo, "cart_abandonment": {**demo.get("cart_abandonment", {}), "reminder_ofsets_seconds": [60, 120, 180]}}
    with pytest.raises(jsonschema.ValidationError, match="reminder_ofsets_seconds"):
        jsonschema.validate(typo, schema)


def test_one_rule_for_too_old_to_start():
    from datetime import timedelta

    from encore.scenarios.spec import too_old_to_start

    now = datetime(2026, 1, 2, tzinfo=UTC)
    limit = timedelta(hours=24)
    assert not too_old_to_start(now - limit + timedelta(seconds=1), limit, now)
    assert too_old_to_start(now - limit, limit, now)  # at the limit the moment has passed
    assert too_old_to_start(now - limit - timedelta(days=30), limit, now)
