"""One-click unsubscribe (RFC 8058) from a cart reminder stops the rest of the journey's
marketing; a forged link changes nothing; transactional email carries no such link."""

from __future__ import annotations

import urllib.request
from datetime import timedelta

from tests.conftest import STORE_ID

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def _post(url: str) -> int:
    request = urllib.request.Request(url, data=b"List-Unsubscribe=One-Click", method="POST", headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_one_click_unsubscribe_from_reminder_1_stops_reminders_2_and_3(harness):
    harness.checkout()
    harness.run_until(2 * HOUR)
    (reminder,) = harness.emails()
    assert reminder["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = reminder["List-Unsubscribe"].strip("<>")
    assert url.startswith(harness.client.api_url + "/unsubscribe/")

    with urllib.request.urlopen(url, timeout=30) as page:  # the confirmation page (GET) changes nothing
        assert page.status == 200 and b"Unsubscribe" in page.read()
    assert harness.profile("603851970716743426")["accepts_email_marketing"] is True

    assert _post(url) == 200
    profile = harness.profile("603851970716743426")
    assert profile["accepts_email_marketing"] is False
    assert profile["email_consent"]["source"] == "email:one-click-unsubscribe"

    harness.run_until(11 * DAY)
    assert len(harness.emails()) == 1
    skipped = harness.item(f"STORE#{STORE_ID}#CUSTOMER#603851970716743426", next(
        item["sk"]["S"] for item in harness.table_items() if item["sk"]["S"].endswith("#reminder_2")
    ))
    assert (skipped["status"], skipped["reason"]) == ("skipped", "no_marketing_consent")


def test_a_forged_or_altered_link_is_404_and_changes_nothing(harness):
    harness.checkout()
    harness.run_until(2 * HOUR)
    url = harness.emails()[0]["List-Unsubscribe"].strip("<>")
    assert _post(url[:-3] + "AAA") == 404
    assert _post(harness.client.api_url + "/unsubscribe/not-a-token") == 404
    assert harness.profile("603851970716743426")["accepts_email_marketing"] is True


def test_transactional_email_has_no_unsubscribe_link(harness):
    harness.order()
    harness.run_until(HOUR)
    (confirmation,) = harness.emails("post-purchase")
    assert confirmation["Subject"].endswith("confirmed")
    assert confirmation["List-Unsubscribe"] is None
