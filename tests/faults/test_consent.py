"""An opt-out made in Encore is undone only by an explicit, dated consent given after it."""

from __future__ import annotations

import urllib.request
from datetime import timedelta

from tests.conftest import iso

OLENA = "603851970716743426"
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def _unsubscribe_from_the_first_reminder(harness) -> None:
    harness.checkout()
    harness.run_until(2 * HOUR)
    (reminder,) = harness.emails()
    url = reminder["List-Unsubscribe"].strip("<>")
    request = urllib.request.Request(url, data=b"List-Unsubscribe=One-Click", method="POST", headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
    assert harness.profile(OLENA)["accepts_email_marketing"] is False


def _shop_reports_subscribed(harness, *, consent_updated_at: str | None, webhook_id: str):
    consent = {"state": "subscribed", "opt_in_level": "single_opt_in", "consent_updated_at": consent_updated_at}
    reply = harness.shopify(
        "customers/update",
        "shopify_customers_update",
        webhook_id=webhook_id,
        id=int(OLENA),
        email="olena@example.com",
        updated_at=iso(harness.now()),
        email_marketing_consent=consent,
    )
    assert reply.status == 202


def test_an_undated_subscribed_state_from_the_shop_does_not_undo_a_one_click_unsubscribe(harness):
    _unsubscribe_from_the_first_reminder(harness)
    harness.run_until(3 * HOUR)
    _shop_reports_subscribed(harness, consent_updated_at=None, webhook_id="customer-update-undated")

    profile = harness.profile(OLENA)
    assert (profile["accepts_email_marketing"], profile["email_consent"]["source"]) == (False, "email:one-click-unsubscribe")
    harness.run_until(11 * DAY)
    assert len(harness.emails()) == 1  # reminder 1, before the unsubscribe; nothing after


def test_a_stale_dated_subscription_does_not_undo_it_either(harness):
    _unsubscribe_from_the_first_reminder(harness)
    _shop_reports_subscribed(harness, consent_updated_at=iso(harness.at(timedelta(minutes=-5))), webhook_id="customer-update-stale")
    assert harness.profile(OLENA)["accepts_email_marketing"] is False


def test_a_later_explicit_subscription_in_the_shop_does(harness):
    _unsubscribe_from_the_first_reminder(harness)
    harness.run_until(5 * HOUR)
    _shop_reports_subscribed(harness, consent_updated_at=iso(harness.now()), webhook_id="customer-update-dated")
    assert harness.profile(OLENA)["accepts_email_marketing"] is True
