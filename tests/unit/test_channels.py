"""Channel choice per journey step: preference order, the store's switches, reach and consent."""

from __future__ import annotations

import pytest

from encore.channels import CustomerCapabilities, choose_channels, enabled_channels
from encore.stores import StoreSettings

EVERYTHING = CustomerCapabilities(email_address=True, phone=True, push_token=True, marketing_consent=frozenset({"email", "sms", "push"}))
ALL_CHANNELS = {"email", "sms", "push"}


def test_push_first_with_email_as_its_fallback_when_everything_allows_push():
    assert choose_channels(["push", "email"], EVERYTHING, ALL_CHANNELS) == ["push", "email"]


@pytest.mark.parametrize(
    ("customer", "store_channels"),
    [
        (CustomerCapabilities(email_address=True, push_token=False, marketing_consent=frozenset({"email", "push"})), ALL_CHANNELS),  # no device token
        (CustomerCapabilities(email_address=True, push_token=True, marketing_consent=frozenset({"email"})), ALL_CHANNELS),  # no push consent
        (EVERYTHING, {"email"}),  # the store has not switched push on
    ],
    ids=["no device token", "no push consent", "push off in the store"],
)
def test_push_falls_back_to_email(customer, store_channels):
    assert choose_channels(["push", "email"], customer, store_channels) == ["email"]


def test_nothing_when_no_preferred_channel_reaches_the_customer():
    customer = CustomerCapabilities(email_address=True, phone=True, marketing_consent=frozenset({"email"}))
    assert choose_channels(["sms", "push"], customer, ALL_CHANNELS) == []
    assert choose_channels(["email"], CustomerCapabilities(email_address=False, marketing_consent=frozenset({"email"})), ALL_CHANNELS) == []


def test_a_transactional_message_needs_an_address_but_no_marketing_consent():
    customer = CustomerCapabilities(email_address=True, phone=True)
    assert choose_channels(["sms", "email"], customer, ALL_CHANNELS) == []
    assert choose_channels(["sms", "email"], customer, ALL_CHANNELS, marketing=False) == ["sms", "email"]
    # A number that replied STOP has no reach at all: STOP ends transactional texts too.
    assert choose_channels(["sms"], CustomerCapabilities(phone=False), ALL_CHANNELS, marketing=False) == []


def test_the_step_order_is_kept_and_repeats_are_dropped():
    assert choose_channels(["sms", "email", "sms", "push"], EVERYTHING, ALL_CHANNELS) == ["sms", "email", "push"]


def test_an_unknown_channel_name_is_a_bug_and_says_so():
    with pytest.raises(ValueError, match="whatsapp"):
        choose_channels(["whatsapp", "email"], EVERYTHING, ALL_CHANNELS)


def test_the_store_switches_come_from_its_settings():
    assert enabled_channels(StoreSettings(store_id="s", postal_address="1 Main St").channels) == {"email"}
    store = StoreSettings.from_dict("s", {"postal_address": "1 Main St", "channels": {"email": True, "sms": True, "push": True}})
    assert enabled_channels(store.channels) == ALL_CHANNELS
