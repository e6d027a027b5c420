"""One-click unsubscribe (RFC 8058) from a cart reminder stops the rest of the journey's
marketing; a forged link changes nothing; transactional email carries no such link."""

from __future__ import annotations

import re
import urllib.request
from datetime import timedelta

from tests.conftest import STORE_ID

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def _page(url: str, *, post: bool = False, accept_language: str | None = None) -> tuple[int, str]:
    """(status, page) of a GET, or of the confirmation button's POST, as a browser sends them."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if post else {}
    if accept_language:
        headers["Accept-Language"] = accept_language
    request = urllib.request.Request(url, data=b"" if post else None, method="POST" if post else "GET", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _language(page: str) -> tuple[str, str]:
    root = re.search(r"<html\b([^>]*)>", page).group(1)
    attributes = dict(re.findall(r'([\w-]+)="([^"]*)"', root))
    return attributes["lang"], attributes["dir"]


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
    skipped = harness.item(
        f"STORE#{STORE_ID}#CUSTOMER#603851970716743426", next(item["sk"]["S"] for item in harness.table_items() if item["sk"]["S"].endswith("#reminder_2"))
    )
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


def test_the_unsubscribe_pages_speak_the_customer_s_language(harness):
    harness.checkout(customer_locale="uk")
    harness.run_until(2 * HOUR)
    (reminder,) = harness.emails()
    url = reminder["List-Unsubscribe"].strip("<>")

    status, page = _page(url, accept_language="en-US,en;q=0.9")  # the customer's language wins over the browser's
    assert (status, _language(page)) == (200, ("uk", "ltr"))
    assert "Більше не надсилати рекламних листів?" in page and "Відписатися</button>" in page
    assert harness.profile("603851970716743426")["accepts_email_marketing"] is True

    status, page = _page(url, post=True)  # the page's own button
    assert (status, _language(page)) == (200, ("uk", "ltr"))
    assert "Ви більше не отримуватимете від нас рекламних листів." in page
    assert harness.profile("603851970716743426")["accepts_email_marketing"] is False


def test_the_unsubscribe_pages_of_a_hebrew_customer_are_right_to_left(harness):
    harness.checkout(customer_locale="he-IL")
    harness.run_until(2 * HOUR)
    url = harness.emails()[0]["List-Unsubscribe"].strip("<>")
    status, page = _page(url)
    assert (status, _language(page)) == (200, ("he", "rtl")) and "להפסיק לקבל מיילים שיווקיים?" in page
    assert _post(url) == 200


def test_an_invalid_link_s_page_is_in_the_browser_s_language(harness):
    status, page = _page(harness.client.api_url + "/unsubscribe/not-a-token", accept_language="lt-LT,lt;q=0.9,en;q=0.5")
    assert (status, _language(page)) == (404, ("lt", "ltr")) and "Ši nuoroda negalioja" in page
    status, page = _page(harness.client.api_url + "/unsubscribe/not-a-token")
    assert (status, _language(page)) == (404, ("en", "ltr")) and "This link is not valid" in page
