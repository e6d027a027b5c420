"""Two stores side by side on one stack: a customer known to both is mailed, capped,
unsubscribed and erased per store; an SMS STOP is global per number (it is one phone
telling our one number to stop); and one store's credentials reach nothing of the other's."""

from __future__ import annotations

import copy
import json
import urllib.request
from datetime import timedelta

import boto3
import pytest

from infra.local.store_client import StoreClient
from tests.conftest import STORE_ID, iso, load_event, only_scenarios

HOUR = timedelta(hours=1)
OTHER = "corner-shop"
OLENA = str(load_event("shopify_checkouts_update")["customer"]["id"])
MARTA = load_event("shopify_customers_create")  # has a phone number


@pytest.fixture
def other(harness) -> StoreClient:
    """A second Shopify store on the same stack, with settings of its own."""
    settings = {**only_scenarios("cart_abandonment"), "name": "Corner shop", "cart_abandonment": {"coupon_percent_off": 15}}
    credentials = harness.stack.add_store(OTHER, settings=settings)
    return StoreClient(harness.client.api_url, credentials)


def _checkout(harness, client: StoreClient, webhook_id: str):
    payload = copy.deepcopy(load_event("shopify_checkouts_update"))
    payload["updated_at"] = iso(harness.now())
    return harness._settled(client.shopify("checkouts/update", payload, webhook_id=webhook_id))


def _profile(harness, store_id: str, customer_id: str) -> dict | None:
    return harness.item(f"STORE#{store_id}#CUSTOMER#{customer_id}", "PROFILE")


def _from(mail) -> str:
    return mail["From"].split("<")[0].strip()


def test_a_customer_of_both_stores_is_mailed_unsubscribed_and_erased_per_store(harness, other):
    harness.configure_store(only_scenarios("cart_abandonment"))
    assert _checkout(harness, harness.client, "checkout-a").status == 202
    assert _checkout(harness, other, "checkout-b").status == 202
    harness.run_until(2 * HOUR)

    # Each store's cap counts its own journeys: both first reminders go out, each from its store.
    first = harness.emails()
    assert sorted(_from(mail) for mail in first) == ["Corner shop", "Encore demo store"], [mail["From"] for mail in first]

    # Unsubscribing from one store's email leaves the other's consent alone.
    demo_reminder = next(mail for mail in first if _from(mail) == "Encore demo store")
    request = urllib.request.Request(demo_reminder["List-Unsubscribe"].strip("<>"), data=b"List-Unsubscribe=One-Click", method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
    harness.clock.settle()
    assert _profile(harness, STORE_ID, OLENA)["accepts_email_marketing"] is False
    assert _profile(harness, OTHER, OLENA)["accepts_email_marketing"] is True
    harness.run_until(26 * HOUR)
    second = harness.emails()[len(first) :]
    assert [_from(mail) for mail in second] == ["Corner shop"], [(mail["From"], mail["Subject"]) for mail in second]

    # Erasure at one store erases that store's customer only.
    assert harness.shopify("customers/redact", "shopify_customers_redact", webhook_id="redact-1").status == 202
    harness.clock.settle()
    assert _profile(harness, STORE_ID, OLENA) is None
    assert not [item for item in harness.table_items() if item["pk"]["S"] == f"STORE#{STORE_ID}#CUSTOMER#{OLENA}"]
    kept = [item["sk"]["S"] for item in harness.table_items() if item["pk"]["S"] == f"STORE#{OTHER}#CUSTOMER#{OLENA}"]
    assert "PROFILE" in kept and any(sk.startswith("MESSAGE#") for sk in kept), kept
    harness.run_until(73 * HOUR)
    third = harness.emails()[len(first) + len(second) :]
    assert [_from(mail) for mail in third] == ["Corner shop"]  # its reminder 3, with its own 15 %
    assert "15%" in third[0]["Subject"] or "15 %" in third[0]["Subject"], third[0]["Subject"]


def test_an_sms_stop_is_global_per_number(harness, other):
    for client in (harness.client, other):
        payload = dict(copy.deepcopy(MARTA), updated_at=iso(harness.now()))
        assert harness._settled(client.shopify("customers/create", payload, webhook_id=f"marta-{client.store_id}")).status == 202
    message = {
        "originationNumber": MARTA["phone"],
        "destinationNumber": "+18005550100",
        "messageKeyword": "KEYWORD_123456789012",
        "messageBody": "STOP",
        "inboundMessageId": "cae173d2-66b9-564c-8309-21f858e9fb84",
        "previousPublishedMessageId": "wJ0rAE9B7wJlYrZbtXaXsaGXz8cVnkXPFPcqOu6Elgo=",
    }
    boto3.client("sns").publish(TopicArn=harness.stack.physical("SmsRepliesTopic"), Message=json.dumps(message))
    harness.clock.settle()
    for store_id in (STORE_ID, OTHER):
        profile = _profile(harness, store_id, str(MARTA["id"]))
        assert profile["sms_suppressed_reason"] == "stop_keyword" and profile["sms_consent"]["granted"] is False, store_id


def test_one_stores_credentials_reach_nothing_of_the_other(harness, other):
    before = len(harness.table_items())
    payload = copy.deepcopy(load_event("shopify_checkouts_update"))
    payload["updated_at"] = iso(harness.now())
    # The demo store's secret, signing a webhook that claims to come from the other shop.
    forged = harness.client.shopify("checkouts/update", payload, webhook_id="forged-1", shop_domain=f"{OTHER}.myshopify.com")
    assert forged.status == 401, forged
    # The demo store's API key with the other store's secret: the key names the store, the
    # signature must then be that store's.
    message = {
        "type": "identify",
        "messageId": "cross-1",
        "userId": "someone",
        "timestamp": harness.now().isoformat(),
        "traits": {"email": "someone@example.com"},
    }
    body = json.dumps(message).encode()
    from encore.signatures import sign_hex

    crossed = harness.client.post(
        "/v1/events",
        body,
        {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {harness.client.credentials.api_key}",
            "X-Encore-Signature": sign_hex(other.secret, body),
        },
    )
    assert crossed.status == 401, crossed
    harness.clock.settle()
    assert len(harness.table_items()) == before
    assert harness.stack.executions("CartAbandonmentStateMachine") == []

    # Accepted with its own credentials, the event lands in its own store only.
    assert harness._settled(other.track(message)).status == 202
    assert _profile(harness, OTHER, "someone") is not None and _profile(harness, STORE_ID, "someone") is None
