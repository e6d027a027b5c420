"""An opt-out made in Encore reaches the shop: the one-click unsubscribe link and an SMS STOP
become Shopify marketing consent updates on the fake Admin API (encore.consent_sync); a
bounce, a consent that came from Shopify itself and a WooCommerce store write nothing."""

from __future__ import annotations

import copy
import json
import urllib.request
from datetime import timedelta

import boto3
import pytest

from infra.local.shops import FakeShopify
from tests.conftest import STORE_ID, iso, load_event

HOUR = timedelta(hours=1)
TOKEN = "shpat_consent_sync"
OLENA = load_event("shopify_checkouts_update")["customer"]["id"]  # the cart shopper
MARTA = load_event("shopify_customers_create")  # a customer with a phone number
CONSENT_MUTATIONS = ("customerEmailMarketingConsentUpdate", "customerSmsMarketingConsentUpdate")


def _shop_customer(customer_id: int, email: str, phone: str | None = None) -> dict:
    """The customer as the shop holds it: subscribed on both channels."""
    subscribed = {"state": "subscribed", "opt_in_level": "single_opt_in", "consent_updated_at": "2026-10-01T12:00:00+00:00"}
    return {
        "id": customer_id,
        "email": email,
        "phone": phone,
        "updated_at": "2026-10-01T12:00:00+00:00",
        "email_marketing_consent": dict(subscribed),
        "sms_marketing_consent": dict(subscribed, consent_collected_from="SHOPIFY") if phone else None,
    }


@pytest.fixture
def shop(harness):
    """The store's Shopify admin API (the fake), with the two customers and a token."""
    with FakeShopify(shop_domain=f"{STORE_ID}.myshopify.com", access_token=TOKEN) as fake:
        fake.add_customer(_shop_customer(OLENA, "olena@example.com"))
        fake.add_customer(_shop_customer(MARTA["id"], MARTA["email"], MARTA["phone"]))
        ssm = boto3.client("ssm")
        name = f"/encore/stores/{STORE_ID}/shop"
        document = json.loads(ssm.get_parameter(Name=name)["Parameter"]["Value"])
        ssm.put_parameter(Name=name, Value=json.dumps({**document, "admin_base_url": fake.url}), Type="String", Overwrite=True)
        ssm.put_parameter(Name=f"/encore/secrets/{STORE_ID}/admin-api", Value=json.dumps({"access_token": TOKEN}), Type="SecureString", Overwrite=True)
        yield fake


def _consent_calls(fake: FakeShopify) -> list[str]:
    return [operation for operation in fake.operations if operation in CONSENT_MUTATIONS]


def _one_click(url: str) -> int:
    request = urllib.request.Request(url, data=b"List-Unsubscribe=One-Click", method="POST", headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


def _stop(harness, number: str) -> None:
    message = {
        "originationNumber": number,
        "destinationNumber": "+18005550100",
        "messageKeyword": "KEYWORD_123456789012",
        "messageBody": "STOP",
        "inboundMessageId": "cae173d2-66b9-564c-8309-21f858e9fb84",
        "previousPublishedMessageId": "wJ0rAE9B7wJlYrZbtXaXsaGXz8cVnkXPFPcqOu6Elgo=",
    }
    boto3.client("sns").publish(TopicArn=harness.stack.physical("SmsRepliesTopic"), Message=json.dumps(message))
    harness.clock.settle()


def _write_backs(harness) -> list:
    """The consent_sync function's invocations (each a consent_withdrawn event)."""
    return [i for i in harness.stack.lambdas.invocations if "ConsentSync" in i.function]


def test_the_one_click_unsubscribe_reaches_shopify_as_an_email_consent_update(harness, shop):
    harness.checkout()
    harness.run_until(2 * HOUR)
    (reminder,) = harness.emails()
    assert shop.marketing_consent(OLENA)["email"]["state"] == "subscribed"

    assert _one_click(reminder["List-Unsubscribe"].strip("<>")) == 200
    harness.clock.settle()

    consent = shop.marketing_consent(OLENA)["email"]
    assert consent["state"] == "unsubscribed"
    # The moment of the customer's click, not of the call: a later consent at the shop wins.
    assert consent["consent_updated_at"] == harness.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _consent_calls(shop) == ["customerEmailMarketingConsentUpdate"]
    assert shop.marketing_consent(MARTA["id"])["email"]["state"] == "subscribed"  # nobody else

    # The mail client posts again: Encore and the shop end up the same, nothing breaks.
    assert _one_click(reminder["List-Unsubscribe"].strip("<>")) == 200
    harness.clock.settle()
    assert shop.marketing_consent(OLENA)["email"]["state"] == "unsubscribed"
    assert len(_write_backs(harness)) == 2 and _consent_calls(shop) == ["customerEmailMarketingConsentUpdate"] * 2


def test_an_sms_stop_reaches_shopify_as_an_sms_consent_update(harness, shop):
    harness.shopify("customers/create", "shopify_customers_create", webhook_id="marta", updated_at=iso(harness.now()))
    _stop(harness, MARTA["phone"])

    assert harness.profile(str(MARTA["id"]))["sms_consent"]["granted"] is False
    consent = shop.marketing_consent(MARTA["id"])
    assert consent["sms"]["state"] == "unsubscribed"
    assert consent["email"]["state"] == "subscribed"  # STOP is about texts only
    assert _consent_calls(shop) == ["customerSmsMarketingConsentUpdate"]


def test_a_bounce_and_a_consent_change_from_shopify_itself_are_not_written_back(harness, shop):
    harness.shopify("customers/create", "shopify_customers_create", webhook_id="marta", updated_at=iso(harness.now()))
    # Encore's own suppression after a hard bounce is about sending, not the customer's consent.
    detail = {
        "eventType": "Bounce",
        "mail": {
            "timestamp": harness.now().isoformat(),
            "messageId": "0100019a-bounce",
            "tags": {"store": [STORE_ID], "customer": [str(MARTA["id"])], "journey": ["welcome-series-x"], "step": ["welcome"]},
        },
        "bounce": {"bounceType": "Permanent", "bounceSubType": "General", "timestamp": harness.now().isoformat(), "bouncedRecipients": []},
    }
    boto3.client("events").put_events(Entries=[{"Source": "aws.ses", "DetailType": "Email Bounced", "Detail": json.dumps(detail)}])
    harness.clock.settle()
    assert harness.profile(str(MARTA["id"]))["email_suppressed_reason"]
    # The merchant unsubscribes her in the Shopify admin: the webhook tells Encore, and Encore
    # must not echo it back.
    harness.clock.advance(HOUR)
    update = copy.deepcopy(MARTA)
    update["email_marketing_consent"] = {"state": "unsubscribed", "opt_in_level": "confirmed_opt_in", "consent_updated_at": iso(harness.now())}
    update["updated_at"] = iso(harness.now())
    harness.client.shopify("customers/update", update, webhook_id="marta-update")
    harness.clock.settle()
    assert harness.profile(str(MARTA["id"]))["accepts_email_marketing"] is False

    assert _consent_calls(shop) == []
    assert _write_backs(harness) == []  # nothing was even announced


def test_a_replayed_withdrawal_does_not_undo_a_later_subscription(harness, shop):
    """A replay or a redrive of an old consent_withdrawn finds the customer subscribed again
    (she did so in the shop later): nothing is written."""
    harness.checkout()
    harness.run_until(2 * HOUR)
    url = harness.emails()[0]["List-Unsubscribe"].strip("<>")
    assert _one_click(url) == 200
    harness.clock.settle()
    (delivered,) = _write_backs(harness)
    withdrawal = json.loads(delivered.event) if isinstance(delivered.event, str) else delivered.event
    harness.clock.advance(HOUR)
    with shop.lock:  # she subscribes again at the shop, which tells Encore by webhook
        shop.resources["customers"][OLENA]["email_marketing_consent"].update(state="subscribed", consent_updated_at=iso(harness.now()))
    resubscribed = copy.deepcopy(load_event("shopify_customers_update"))
    resubscribed.update(id=OLENA, email="olena@example.com", updated_at=iso(harness.now()))
    resubscribed["email_marketing_consent"] = {"state": "subscribed", "opt_in_level": "single_opt_in", "consent_updated_at": iso(harness.now())}
    harness.client.shopify("customers/update", resubscribed, webhook_id="olena-again")
    harness.clock.settle()
    assert harness.profile(str(OLENA))["accepts_email_marketing"] is True

    boto3.client("events").put_events(
        Entries=[
            {
                "Source": "encore.ingest",
                "DetailType": "consent_withdrawn",
                "Detail": json.dumps(withdrawal["detail"]),
                "EventBusName": harness.stack.physical("EventBus"),
            }
        ]
    )
    harness.clock.settle()
    assert len(_write_backs(harness)) == 2  # the replay was delivered ...
    assert _consent_calls(shop) == ["customerEmailMarketingConsentUpdate"]  # ... and wrote nothing
    assert shop.marketing_consent(OLENA)["email"]["state"] == "subscribed"


def test_a_customer_the_shop_does_not_know_is_refused_once_and_not_retried(harness, shop):
    with shop.lock:
        shop.resources["customers"].pop(OLENA)  # deleted in the shop since
    harness.checkout()
    harness.run_until(2 * HOUR)
    assert _one_click(harness.emails()[0]["List-Unsubscribe"].strip("<>")) == 200
    harness.clock.settle()
    # Refused with userErrors: final, so one call and no handler error (no retry, nothing parked).
    assert len(_write_backs(harness)) == 1 and _consent_calls(shop) == ["customerEmailMarketingConsentUpdate"]
    assert harness.profile(str(OLENA))["accepts_email_marketing"] is False  # Encore's opt-out stands


def test_an_opt_out_on_the_preferences_page_reaches_shopify_too(harness, shop):
    harness.checkout()
    harness.run_until(2 * HOUR)
    (reminder,) = harness.emails()
    page = reminder["List-Unsubscribe"].strip("<>").replace("/unsubscribe/", "/preferences/", 1)
    request = urllib.request.Request(page, data=b"form=preferences", method="POST", headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=30) as response:  # no box ticked: email off
        assert response.status == 200
    harness.clock.settle()

    assert _consent_calls(shop) == ["customerEmailMarketingConsentUpdate"]
    assert shop.marketing_consent(OLENA)["email"]["state"] == "unsubscribed"
