"""Who joins and leaves the retargeting audience (``encore.audiences.change_membership``), on
the in-memory customer records, with the webhook POST recorded instead of sent. The POST
itself (signature, retries, redirects refused) is covered by tests/scenarios/test_browse_abandonment.py."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from encore import audiences
from encore.models import Customer, customer_key
from encore.storage.fakes import InMemoryCustomerRecords
from encore.stores import StoreSettings

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
STORE = StoreSettings.from_dict("shop", {"postal_address": "1 Main St", "browse_abandonment": {"retargeting_webhook_url": "https://hooks.example/audiences"}})
NO_HOOK = StoreSettings.from_dict("shop", {"postal_address": "1 Main St"})
OLENA_SHA256 = audiences.email_sha256("olena@example.com")


@pytest.fixture
def posted(monkeypatch) -> list[tuple[str, str, audiences.AudienceChange]]:
    sent: list = []
    monkeypatch.setattr(audiences, "post_change", lambda url, secret, change: sent.append((url, secret, change)) or 204)
    return sent


def _customers(*, email: str | None = " Olena@Example.com ", consent: bool = True) -> InMemoryCustomerRecords:
    customers = InMemoryCustomerRecords()
    customers.add(Customer(customer_key("shop", "c-1"), Customer.sort_key(), store_id="shop", customer_id="c-1", email=email, accepts_email_marketing=consent))
    return customers


def _change(store, action, *, customers, secret="secret", email_hash=None):
    return audiences.change_membership(store, "c-1", action, secret=secret, now=NOW, email_hash=email_hash, customers=customers)


def test_a_consenting_customer_is_added_by_the_hash_of_their_normalised_address_and_the_journey_keeps_it(posted):
    outcome = _change(STORE, "add", customers=_customers())
    assert outcome == audiences.MembershipOutcome(True, "added", OLENA_SHA256)
    assert [(url, secret, change.action, change.email_sha256, change.store_id, change.occurred_at) for url, secret, change in posted] == [
        ("https://hooks.example/audiences", "secret", "add", OLENA_SHA256, "shop", NOW)
    ]


def test_a_removal_goes_out_without_consent_and_keeps_no_hash(posted):
    outcome = _change(STORE, "remove", customers=_customers(consent=False))
    assert outcome == audiences.MembershipOutcome(False, "removed", None)
    assert [change.action for _, _, change in posted] == ["remove"]


def test_an_erased_customer_is_removed_by_the_hash_the_journey_kept(posted):
    outcome = _change(STORE, "remove", customers=InMemoryCustomerRecords(), email_hash=OLENA_SHA256)
    assert outcome == audiences.MembershipOutcome(False, "removed")
    assert [(change.action, change.email_sha256) for _, _, change in posted] == [("remove", OLENA_SHA256)]
    # Without the secret the removal cannot go out: the journey still holds the hash.
    assert _change(STORE, "remove", customers=InMemoryCustomerRecords(), email_hash=OLENA_SHA256, secret=None) == audiences.MembershipOutcome(
        True, "no_webhook_secret", OLENA_SHA256
    )


@pytest.mark.parametrize(
    ("store", "customers", "secret", "expected"),
    [
        (NO_HOOK, lambda: _customers(), "secret", audiences.MembershipOutcome(False, "off")),
        (STORE, InMemoryCustomerRecords, "secret", audiences.MembershipOutcome(False, "no_email_address")),  # no profile (erased)
        (STORE, lambda: _customers(email=None), "secret", audiences.MembershipOutcome(False, "no_email_address")),
        (STORE, lambda: _customers(consent=False), "secret", audiences.MembershipOutcome(False, "no_marketing_consent")),
        (STORE, lambda: _customers(), None, audiences.MembershipOutcome(False, "no_webhook_secret")),
    ],
)
def test_nobody_is_added_without_a_hook_an_address_consent_or_a_secret(posted, store, customers, secret, expected):
    assert _change(store, "add", customers=customers(), secret=secret) == expected
    assert posted == []
