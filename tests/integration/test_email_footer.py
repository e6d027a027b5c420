"""Emails a store can send (issue 11, item 3): every marketing email, in every language,
shows a visible unsubscribe link whose href is its List-Unsubscribe URL, a link to the
preferences page, the store's postal address and why the customer gets it; transactional
email shows the address and no unsubscribe link. The preferences page behind the link shows
the customer's choices and applies them per channel.

Every email here goes the way a journey step sends it: the send-message Lambda on the local
stack (settings from SSM, the store's unsubscribe key, SES), read back as the raw MIME SES
accepted and parsed with the standard library."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser

import boto3

from encore.customers import upsert_customer
from encore.events import Consent, CustomerRef
from encore.journeys import SCENARIOS
from encore.messaging import is_marketing
from encore.models import Cart, CartLineAttribute, Order, bind_table, customer_key
from encore.rendering import email_templates
from tests.conftest import POSTAL_ADDRESS, STORE_ID

LOCALES = ("en", "uk", "ru", "lt", "he")
MARKETING = [template for template in email_templates() if is_marketing(template)]
ADDRESS_LINES = POSTAL_ADDRESS.splitlines()
TIPS = [{"title": f"Mug care, part {number}", "body": "Rinse it warm, dry it upside down."} for number in (1, 2, 3)]
CATALOGUE = [
    {"product_id": "mug", "title": "Mug", "category": "kitchen", "product_type": "home goods", "price_cents": 1250},
    {"product_id": "mug-xl", "title": "Mug XL", "category": "kitchen", "price_cents": 1900, "upgrade_of": ["mug"]},
]
# The scenario each template belongs to (the journey's name starts with it, as a real one does).
SCENARIO_OF = {
    "cart_reminder": "cart-abandonment",
    "cart_thank_you": "cart-abandonment",
    "cart_threshold_nudge": "cart-threshold-nudge",
    "browse_reminder": "browse-abandonment",
    "up_sell": "up-sell",
    "cross_sell": "cross-sell",
    "review": "review-request",
    "education_tip": "education-series",
    "welcome": "welcome-series",
}
COUPON = {"percent_off": 10, "valid_days": 7}
WITH_COUPON = {"cart_reminder_3", "welcome_1"}


class Page(HTMLParser):
    """The links (href, visible text, whether hidden by an inline style) and the text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[dict] = []
        self.text: list[str] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a":
            style = (attributes.get("style") or "").replace(" ", "").lower()
            self._open = {"href": attributes.get("href"), "text": "", "hidden": "display:none" in style or "visibility:hidden" in style}
        if tag == "br":
            self.text.append("\n")

    def handle_endtag(self, tag):
        if tag == "a" and self._open is not None:
            self.links.append(self._open)
            self._open = None

    def handle_data(self, data):
        self.text.append(data)
        if self._open is not None:
            self._open["text"] += data


def _parts(mail) -> tuple[str, str]:
    html = text = None
    for part in mail.walk():
        if part.get_content_type() == "text/html":
            html = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
        elif part.get_content_type() == "text/plain":
            text = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    assert html is not None and text is not None, mail.get_content_type()
    return html, text


def _customer(harness, locale: str, *, phone: str | None = None, sms: bool = False) -> str:
    """A customer writing in ``locale`` who accepts marketing email, with an open cart of
    4 mugs just below free delivery and an order."""
    customer_id = f"footer-{locale}" + ("-sms" if phone else "")
    now = harness.now()
    ref = CustomerRef(
        customer_id=customer_id,
        email=f"{customer_id}@example.com",
        first_name="Ann",
        locale=locale,
        phone=phone,
        email_consent=Consent(granted=True, source="test", updated_at=now),
        sms_consent=Consent(granted=sms, source="test", updated_at=now) if phone else None,
    )
    upsert_customer(STORE_ID, ref, now)
    pk = customer_key(STORE_ID, customer_id)
    line = CartLineAttribute(product_id="mug", title="Mug", quantity=3, price_cents=1250)
    Cart(
        pk,
        Cart.sort_key("cart-1"),
        store_id=STORE_ID,
        customer_id=customer_id,
        cart_id="cart-1",
        status="open",
        total_cents=3750,
        currency="USD",
        lines=[line],
        updated_at=now,
    ).save()
    Order(
        pk,
        Order.sort_key("order-1"),
        store_id=STORE_ID,
        customer_id=customer_id,
        order_id="order-1",
        placed_at=now,
        total_cents=3750,
        currency="USD",
        lines=[line],
    ).save()
    return customer_id


def _send(harness, customer_id: str, template: str) -> dict:
    scenario = next((name for prefix, name in SCENARIO_OF.items() if template.startswith(prefix)), "post-purchase")
    assert scenario in SCENARIOS
    request = {
        "store_id": STORE_ID,
        "customer_id": customer_id,
        "journey": f"{scenario}-{STORE_ID}-{customer_id}-{template}",
        "step": template,
        "template": template,
        "cart_id": "cart-1",
        "order_id": "order-1",
        "products": ["mug", "mug-xl"],
        "category": "kitchen",
        **({"coupon": COUPON} if template in WITH_COUPON else {}),
    }
    reply = boto3.client("lambda").invoke(FunctionName=harness.stack.physical("SendMessageFunction"), Payload=json.dumps(request))
    return json.loads(reply["Payload"].read())


def _configure(harness) -> None:
    harness.configure_store(
        {
            "locales": list(LOCALES),
            "delivery": {"max_journeys_per_window": 1000},  # one customer gets every template here
            "education_series": {"tips": {"kitchen": TIPS}},
        },
        CATALOGUE,
    )
    bind_table(harness.stack.physical("EncoreTable"))


def test_every_marketing_email_in_every_language_shows_the_unsubscribe_link_of_its_header_the_preferences_link_and_the_address(harness):
    _configure(harness)
    assert len(MARKETING) >= 20, MARKETING
    checked = 0
    for locale in LOCALES:
        customer_id = _customer(harness, locale)
        for template in MARKETING:
            reply = _send(harness, customer_id, template)
            assert reply["sent"] is True, (locale, template, reply)
            (mail,) = harness.stack.sent_emails()[-1:]
            where = f"{template} in {locale}"

            # The header: one-click (RFC 8058), a signed https link to this stack's API.
            header = mail["List-Unsubscribe"]
            assert header.startswith("<") and header.endswith(">"), where
            unsubscribe_url = header[1:-1]
            assert unsubscribe_url.startswith(harness.client.api_url + "/unsubscribe/"), where
            assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click", where
            token = unsubscribe_url.rsplit("/", 1)[1]
            preferences_url = f"{harness.client.api_url}/preferences/{token}"

            html, text = _parts(mail)
            page = Page()
            page.feed(html)
            links = {link["href"]: link for link in page.links}
            # A visible <a> whose href is exactly the header's URL (same token), with words on it.
            shown = links.get(unsubscribe_url)
            assert shown is not None, (where, [link["href"] for link in page.links])
            assert shown["text"].strip() and not shown["hidden"], (where, shown)
            assert preferences_url in links and links[preferences_url]["text"].strip(), where
            # The postal address, every line of it, in both parts.
            visible = "".join(page.text)
            for line in ADDRESS_LINES:
                assert line in visible, (where, line)
                assert line in text, (where, line)
            # The text part carries the same two links, each on its own labelled line (not
            # glued to the sentence before it).
            for url in (unsubscribe_url, preferences_url):
                (line,) = [line for line in text.splitlines() if url in line]
                label = line.removesuffix(f": {url}")
                assert label != line and label.strip() and "." not in label, (where, line)
            # Sent in the customer's language (every template is translated): the footer too.
            assert f'lang="{locale}"' in html, where
            if locale != "en":
                assert "You receive this email" not in text and "Unsubscribe:" not in text, (where, text[-400:])
            checked += 1
    assert checked == len(LOCALES) * len(MARKETING)


def test_the_footer_says_why_per_kind_of_message(harness):
    _configure(harness)
    customer_id = _customer(harness, "en")
    expected = {
        "cart_reminder_1": "because you left items in your cart at Encore demo store.",
        "browse_reminder_1": "because you looked at products at Encore demo store.",
        "welcome_2": "because you signed up at Encore demo store.",
        "cross_sell_offer": "because you ordered from Encore demo store.",
    }
    for template, sentence in expected.items():
        assert _send(harness, customer_id, template)["sent"] is True, template
        _, text = _parts(harness.stack.sent_emails()[-1])
        assert sentence in text, (template, text[-500:])


def test_a_transactional_email_shows_the_address_and_no_unsubscribe_link(harness):
    _configure(harness)
    customer_id = _customer(harness, "uk")
    assert _send(harness, customer_id, "order_confirmation")["sent"] is True
    (mail,) = harness.stack.sent_emails()[-1:]
    assert mail["List-Unsubscribe"] is None
    html, text = _parts(mail)
    page = Page()
    page.feed(html)
    assert not any("/unsubscribe/" in (link["href"] or "") or "/preferences/" in (link["href"] or "") for link in page.links)
    for line in ADDRESS_LINES:
        assert line in "".join(page.text) and line in text
    assert "/unsubscribe/" not in text


# ---------------------------------------------------------------- the preferences page


def _request(url: str, form: dict | None = None) -> tuple[int, str]:
    data = urllib.parse.urlencode(form, doseq=True).encode() if form is not None else None
    request = urllib.request.Request(
        url, data=data, method="POST" if form is not None else "GET", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


class Form(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.checkboxes: dict[str, bool] = {}
        self.forms: list[dict] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append(attributes)
        if tag == "input" and attributes.get("type") == "checkbox":
            self.checkboxes[attributes["name"]] = "checked" in attributes
        self._in_title = tag == "title"

    def handle_data(self, data):
        if self._in_title:
            self.title += data

    def handle_endtag(self, tag):
        self._in_title = False


def _page(body: str) -> Form:
    form = Form()
    form.feed(body)
    return form


def test_the_preferences_page_shows_the_choices_and_a_post_turns_sms_off_only(harness):
    _configure(harness)
    customer_id = _customer(harness, "uk", phone="+380671234567", sms=True)
    assert _send(harness, customer_id, "cart_reminder_1")["sent"] is True
    html, _ = _parts(harness.stack.sent_emails()[-1])
    preferences_url = next(link["href"] for link in _links(html) if "/preferences/" in link["href"])

    status, body = _request(preferences_url)  # GET changes nothing
    assert status == 200
    shown = _page(body)
    assert shown.checkboxes == {"email": True, "sms": True}
    assert shown.title == "Ваші налаштування розсилок"  # in the customer's language
    assert [form.get("method") for form in shown.forms] == ["post"] and "action" not in shown.forms[0]  # posts back to itself
    profile = harness.profile(customer_id)
    assert profile["accepts_email_marketing"] is True and profile["sms_consent"]["granted"] is True

    # The customer unticks SMS and saves: the browser sends the ticked boxes only.
    status, body = _request(preferences_url, {"form": "preferences", "email": "on"})
    assert status == 200
    assert "Ваш вибір збережено." in body
    profile = harness.profile(customer_id)
    assert profile["sms_consent"]["granted"] is False and profile["sms_consent"]["source"] == "email:preferences-page"
    assert profile["accepts_email_marketing"] is True and profile["email_consent"]["source"] == "test"
    assert _page(body).checkboxes == {"email": True}  # SMS is not offered back here (no texting opt-in by email link)

    # Email off, then on again: a dated opt-in of its own.
    _request(preferences_url, {"form": "preferences"})
    assert harness.profile(customer_id)["accepts_email_marketing"] is False
    _request(preferences_url, {"form": "preferences", "email": "on", "sms": "on"})
    profile = harness.profile(customer_id)
    assert profile["accepts_email_marketing"] is True and profile["email_consent"]["source"] == "email:preferences-page"
    assert profile["email_consent"]["updated_at"]
    assert profile["sms_consent"]["granted"] is False  # ticking SMS here never subscribes

    # A forged token: the invalid-link page, nothing changed.
    forged = preferences_url[:-3] + "AAA"
    assert _request(forged)[0] == 404
    assert _request(forged, {"form": "preferences"})[0] == 404
    assert harness.profile(customer_id)["accepts_email_marketing"] is True


def _links(html: str) -> list[dict]:
    page = Page()
    page.feed(html)
    return page.links
