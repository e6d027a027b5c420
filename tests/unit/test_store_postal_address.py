"""A store whose settings lack a postal address cannot switch a marketing scenario on: the
settings are refused with an error naming the field. Settings with every marketing scenario
off load without one. Settings already in SSM from before (or none at all) keep transactional
email going and switch marketing off, with a warning, rather than stop every function."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from encore.footer import reason_for
from encore.messaging import TRANSACTIONAL_TEMPLATES, is_marketing
from encore.rendering import email_templates
from encore.stores import MARKETING_SCENARIOS, StoreSettings, load_store_settings, without_marketing


class Parameters:
    def __init__(self, raw: dict):
        self.raw = raw

    def store_settings(self, store_id: str) -> dict:
        return self.raw


def test_marketing_on_without_a_postal_address_is_refused_naming_the_field():
    with pytest.raises(ValidationError) as refused:
        StoreSettings.from_dict("s", {"cart_abandonment": {"enabled": True}})
    (problem,) = refused.value.errors()
    assert problem["loc"] == ("postal_address",)
    assert "postal address is required" in problem["msg"] and "cart_abandonment" in problem["msg"]


def test_one_marketing_scenario_on_is_enough_to_need_the_address():
    only_browse = {**without_marketing({}), "browse_abandonment": {"enabled": True}}
    with pytest.raises(ValidationError, match="postal_address"):
        StoreSettings.from_dict("s", only_browse)
    assert StoreSettings.from_dict("s", {**only_browse, "postal_address": "1 Main St"}).marketing_scenarios_on() == ["browse_abandonment"]


def test_every_marketing_scenario_off_loads_without_an_address_and_transactional_stays_on():
    settings = StoreSettings.from_dict("s", without_marketing({"version": 3}))
    assert settings.postal_address is None and settings.marketing_scenarios_on() == []
    assert settings.post_purchase.enabled and settings.unpaid_order.enabled
    assert set(MARKETING_SCENARIOS) == {
        "cart_abandonment",
        "welcome_series",
        "browse_abandonment",
        "up_sell",
        "cross_sell",
        "review_request",
        "education_series",
        "cart_threshold_nudge",
    }


def test_the_address_keeps_its_lines_and_a_blank_one_is_refused():
    settings = StoreSettings.from_dict("s", {"postal_address": "  12 Market Street \n\n Springfield, IL 62701\nUSA  "})
    assert settings.postal_address == "12 Market Street\nSpringfield, IL 62701\nUSA"
    with pytest.raises(ValidationError, match="postal_address"):
        StoreSettings.from_dict("s", {"postal_address": " \n "})


def test_settings_stored_without_an_address_switch_marketing_off_at_run_time():
    loaded = load_store_settings(Parameters({"version": 2, "name": "Old shop", "cart_abandonment": {"coupon_percent_off": 15}}), "s")
    assert loaded.marketing_scenarios_on() == [] and loaded.post_purchase.enabled
    assert loaded.name == "Old shop" and loaded.cart_abandonment.coupon_percent_off == 15  # the rest as stored
    assert load_store_settings(Parameters({}), "s").marketing_scenarios_on() == []  # no settings at all
    # Any other mistake still fails loudly.
    with pytest.raises(ValidationError, match="cart_abandonmnet"):
        load_store_settings(Parameters({"cart_abandonmnet": {}}), "s")


def test_every_template_has_a_reason_and_transactional_ones_speak_of_the_order_or_account():
    for template in email_templates():
        reason = reason_for(template)
        if is_marketing(template):
            assert reason in {"cart", "browsed", "signed_up", "ordered", "shopped"}, template
        else:
            assert template in TRANSACTIONAL_TEMPLATES and reason in {"order", "account"}, template
    assert reason_for("cart_reminder_2") == "cart" and reason_for("cart_thank_you") == "ordered"


def test_the_footer_links_are_never_tagged_even_on_the_storefront_host():
    from encore.rendering import with_utm

    for path in ("/unsubscribe/abc.def", "/preferences/abc.def"):
        assert with_utm(f"https://shop.example{path}", "shop.example", "cart-abandonment", "cart_reminder_1") == f"https://shop.example{path}"
    assert "utm_source=encore" in with_utm("https://shop.example/cart", "shop.example", "cart-abandonment", "cart_reminder_1")
