"""Email templates in every language: catalogues, fallback, money and dates, direction,
storefront links with UTM parameters and CSS inlined for email clients."""

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from encore import rendering
from encore.rendering import (
    available_locales,
    catalogue_path,
    compile_catalogue,
    email_templates,
    format_day,
    is_translated,
    money,
    render_email,
    resolve_locale,
    with_utm,
)
from encore.stores import StoreSettings
from infra.preview import SAMPLE_CONTEXT
from tests.unit.test_journey_settings_and_rendering import SAMPLE

LOCALES = available_locales()
TRANSLATED = [locale for locale in LOCALES if locale != "en"]
NBSP = "\u00a0"
NARROW_NBSP = "\u202f"  # CLDR keeps "2026 р." together with it


def sample(locale: str, **changes) -> dict:
    return {**SAMPLE, "locale": locale, **changes}


def element(markup: str, tag: str, css_class: str | None = None) -> dict[str, str]:
    """The attributes of the first ``tag`` (with ``css_class``), whatever their order."""
    for match in re.finditer(rf"<{tag}\b([^>]*)>", markup):
        attributes = dict(re.findall(r'([\w-]+)="([^"]*)"', match.group(1)))
        if css_class is None or css_class in attributes.get("class", "").split():
            return attributes
    raise AssertionError(f"no <{tag} class={css_class!r}>")


def language_of(markup: str) -> tuple[str, str]:
    root = element(markup, "html")
    return root["lang"], root["dir"]


def test_the_issue_s_languages_are_all_available():
    assert set(LOCALES) >= {"en", "uk", "ru", "lt", "he"}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("template", email_templates())
def test_every_template_renders_in_every_locale_without_undefined_variables(template, locale):
    rendered = render_email(template, sample(locale))  # StrictUndefined: a missing key raises
    assert rendered.subject and "\n" not in rendered.subject
    sent_in = locale if is_translated(template, locale) else "en"  # else the whole email in English
    direction = "rtl" if sent_in == "he" else "ltr"
    assert language_of(rendered.html) == (sent_in, direction)
    assert "&lt;b&gt;Ann&lt;/b&gt;" in rendered.html and "<b>Ann</b>" not in rendered.html  # escaped in every language
    assert rendered.text.strip()


def test_the_test_sample_is_the_preview_sample():
    assert set(SAMPLE) >= set(SAMPLE_CONTEXT)


# ---------------------------------------------------------------- language and direction


def test_the_hebrew_email_is_right_to_left_and_mirrored():
    rendered = render_email("cart_reminder_1", sample("he"))
    assert language_of(rendered.html) == ("he", "rtl") and 'dir="rtl"' in rendered.html
    assert element(rendered.html, "table", "card")["dir"] == "rtl"  # for clients that drop <html>
    assert "חזרה לעגלה" in rendered.html  # the button, in Hebrew
    assert "text-align: right" in element(rendered.html, "td", "content")["style"]
    amount = element(rendered.html, "td", "amount")
    assert amount["align"] == "left" and "text-align: left" in amount["style"]  # money on the other side

    english = render_email("cart_reminder_1", sample("en"))
    assert language_of(english.html) == ("en", "ltr") and "text-align: left" in element(english.html, "td", "content")["style"]


def test_an_unknown_locale_falls_back_to_the_store_default_then_english():
    ukrainian_store = StoreSettings(store_id="s", postal_address="1 Main St", name="Shop & Co", locale="uk", currency="UAH")
    rendered = render_email("order_confirmation", sample("fr", store=ukrainian_store))
    assert rendered.subject == "Замовлення #1001 підтверджено"  # the shop's own order name, as Shopify shows it
    assert language_of(rendered.html) == ("uk", "ltr")

    unknown_store = StoreSettings(store_id="s", postal_address="1 Main St", name="Shop & Co", locale="de")
    assert render_email("order_confirmation", sample("fr", store=unknown_store)).subject == "Order #1001 confirmed"
    assert render_email("order_confirmation", sample(None, store=ukrainian_store)).subject.startswith("Замовлення")


def test_region_tags_from_platforms_pick_the_language():
    assert resolve_locale("uk-UA") == "uk"
    assert resolve_locale("he_IL") == "he"
    assert resolve_locale("iw-IL") == "he"  # Android's old code for Hebrew
    assert resolve_locale("LT") == "lt"
    assert resolve_locale("pt-BR", "ru") == "ru"
    assert resolve_locale("", None) == "en"


@pytest.mark.parametrize(
    ("locale", "count", "expected"),
    [
        ("uk", 1, "1 товар."),
        ("uk", 3, "3 товари."),
        ("uk", 5, "5 товарів."),
        ("uk", 21, "21 товар."),
        ("ru", 2, "2 товара."),
        ("ru", 11, "11 товаров."),
        ("lt", 1, "1 prekę."),
        ("lt", 2, "2 prekes."),
        ("lt", 10, "10 prekių."),
        ("he", 1, "פריט אחד"),
        ("he", 4, "4 פריטים"),
        ("en", 1, "1 item in"),
        ("en", 4, "4 items in"),
    ],
)
def test_counts_use_the_language_s_plural_forms(locale, count, expected):
    cart = {**SAMPLE["cart"], "lines": [{**SAMPLE["cart"]["lines"][0], "quantity": count}]}
    assert expected in render_email("cart_reminder_1", sample(locale, cart=cart)).text


# ---------------------------------------------------------------- money and dates


def test_money_is_written_the_locale_s_way():
    assert money(2500, "USD", "en") == "$25.00"
    assert money(2500, "USD", "uk") == f"25,00{NBSP}USD"
    assert money(2500, "UAH", "uk") == f"25,00{NBSP}₴"
    assert money(2500, "EUR", "lt") == f"25,00{NBSP}€"
    assert money(123456, "EUR", "ru") == f"1{NBSP}234,56{NBSP}€"
    assert money(199900, "JPY", "en") == "¥1,999"  # hundredths in, the currency's own digits out


def test_dates_are_written_the_locale_s_way_in_the_store_s_time_zone():
    assert format_day(date(2026, 11, 9), "uk") == f"9 листопада 2026{NARROW_NBSP}р."
    assert format_day(date(2026, 11, 9), "lt") == "2026 m. lapkričio 9 d."
    assert format_day(date(2026, 11, 9), "en") == "November 9, 2026"
    late_evening_utc = datetime(2026, 11, 9, 23, 0, tzinfo=UTC)
    assert format_day(late_evening_utc, "uk", "Europe/Kyiv") == f"10 листопада 2026{NARROW_NBSP}р."
    assert format_day("2026-11-09", "ru") == f"9 ноября 2026{NARROW_NBSP}г."
    assert format_day("9 November 2026", "ru") == "9 November 2026"  # already written upstream


def test_ukrainian_and_lithuanian_emails_show_local_money_and_dates():
    ukrainian = render_email("cart_reminder_3", sample("uk"))
    assert f"Разом: 25,00{NBSP}USD" in ukrainian.text
    assert f"Код діє до 9 листопада 2026{NARROW_NBSP}р." in ukrainian.text
    assert "р.." not in ukrainian.text  # the date's own full stop ends the sentence
    assert "25,00&nbsp;USD" in ukrainian.html  # the inliner writes the no-break space as an entity

    euro_store = StoreSettings(store_id="s", postal_address="1 Main St", name="Parduotuvė", currency="EUR")
    cart = {**SAMPLE["cart"], "currency": "EUR"}
    lithuanian = render_email("cart_reminder_3", sample("lt", store=euro_store, cart=cart))
    assert f"Iš viso: 25,00{NBSP}€" in lithuanian.text
    assert "Kodas galioja iki 2026 m. lapkričio 9 d." in lithuanian.text
    assert f"10{NBSP}% nuolaida" in lithuanian.subject


# ---------------------------------------------------------------- catalogues


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_message_of_every_catalogue_is_translated(locale):
    with catalogue_path(locale).open("rb") as po:
        catalogue = read_po(po, locale=locale)
    untranslated = [
        message.id
        for message in catalogue
        if message.id and (message.fuzzy or not (all(message.string) if isinstance(message.string, tuple) else message.string))
    ]
    assert untranslated == [], f"{locale}: translate these (or unmark fuzzy) in {catalogue_path(locale)}"
    problems = [(message.id, [str(error) for error in errors]) for message, errors in catalogue.check()]
    assert problems == []  # placeholders and plural forms match the English
    assert catalogue.num_plurals == len(next(m for m in catalogue if isinstance(m.id, tuple)).string)


@pytest.mark.parametrize("locale", TRANSLATED)
def test_catalogues_know_every_message_of_the_pot(locale):
    with (catalogue_path(locale).parents[2] / "messages.pot").open("rb") as pot:
        template_ids = {message.id for message in read_po(pot) if message.id}
    with catalogue_path(locale).open("rb") as po:
        ids = {message.id for message in read_po(po, locale=locale) if message.id}
    assert template_ids <= ids, "run `make messages`"


def test_an_untranslated_or_fuzzy_message_is_sent_in_english(tmp_path: Path):
    po = tmp_path / "messages.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n'
        '"Plural-Forms: nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);\\n"\n\n'
        'msgid "Total"\nmsgstr "Разом"\n\n'
        'msgid "Not yet"\nmsgstr ""\n\n'
        '#, fuzzy\nmsgid "Guessed"\nmsgstr "Вгадано"\n',
        encoding="utf-8",
    )
    compiled = compile_catalogue(po, "uk")
    translations = compiled.translations
    assert compiled.translated == {"Total"}
    assert translations.gettext("Total") == "Разом"
    assert translations.gettext("Not yet") == "Not yet"
    assert translations.gettext("Guessed") == "Guessed"
    assert translations.ngettext("%(n)s day", "%(n)s days", 5) == "%(n)s days"  # English plural rule for English text


TRANSLATED_TEMPLATES = [
    "cart_reminder_1", "cart_reminder_2", "cart_reminder_3", "cart_thank_you", "order_confirmation",
    "shipping_notice", "delivery_notice", "payment_reminder_1", "payment_reminder_2",
]  # fmt: skip


@pytest.mark.parametrize("locale", TRANSLATED)
@pytest.mark.parametrize("template", TRANSLATED_TEMPLATES)
def test_the_cart_order_and_payment_emails_are_sent_in_every_language(template, locale):
    assert is_translated(template, locale)
    rendered = render_email(template, sample(locale))
    assert language_of(rendered.html)[0] == locale
    assert "Hi " not in rendered.text and "Total" not in rendered.text


@pytest.fixture
def new_templates(tmp_path: Path, monkeypatch):
    """Templates a new scenario adds, before its copy is in the catalogues."""
    (tmp_path / "email").mkdir()

    def add(name: str, subject: str, body: str) -> str:
        (tmp_path / "email" / f"{name}.subject.txt").write_text(subject, encoding="utf-8")
        (tmp_path / "email" / f"{name}.html").write_text(f'{{% extends "email/base.html" %}}{{% block content %}}{body}{{% endblock %}}', encoding="utf-8")
        (tmp_path / "email" / f"{name}.txt").write_text(body, encoding="utf-8")
        return name

    monkeypatch.setattr(rendering._loader(), "searchpath", [str(tmp_path), *rendering._loader().searchpath])
    yield add
    for cached in (rendering._own_messages, rendering.template_messages):
        cached.cache_clear()


def test_a_template_not_translated_yet_is_sent_wholly_in_english(new_templates):
    half = new_templates(
        "test_new_offer",
        "{% trans %}A brand new offer{% endtrans %}",
        '<p>{{ _("Hi %(name)s,", name=customer.first_name) }}</p><p>{% trans %}Nobody has translated this yet.{% endtrans %}</p>',
    )
    rendered = render_email(half, sample("uk"))
    assert rendered.subject == "A brand new offer"
    assert language_of(rendered.html) == ("en", "ltr")
    assert "Hi <b>Ann</b>," in rendered.text  # not a Ukrainian greeting on an English email
    assert "You receive this email because you shopped at Shop &amp; Co." in rendered.html
    assert is_translated(half, "uk") is False


def test_a_template_with_no_marked_copy_is_english_only(new_templates):
    plain = new_templates("test_plain", "Plain English subject", "<p>Plain English body, {{ 2500 | money }}.</p>")
    rendered = render_email(plain, sample("he"))
    assert language_of(rendered.html) == ("en", "ltr") and "$25.00" in rendered.html


def test_a_new_template_made_of_translated_messages_is_sent_in_the_customer_s_language(new_templates):
    reused = new_templates("test_reused", '{{ _("You left something in your cart") }}', '<p>{{ _("Hi there,") }}</p><p>{{ _("Return to your cart") }}</p>')
    assert render_email(reused, sample("ru")).subject == "Вы кое-что оставили в корзине"
    assert (
        render_email(reused, sample("fr", store=StoreSettings(store_id="s", postal_address="1 Main St", locale="lt"))).subject == "Krepšelyje kai ką palikote"
    )


# ---------------------------------------------------------------- links


def test_storefront_links_get_utm_parameters_and_others_do_not():
    rendered = render_email("shipping_notice", sample("en", utm_campaign="post-purchase"))
    assert 'href="https://carrier.example/track/1Z2345"' in rendered.html  # the carrier's page: untouched
    assert "carrier.example/track/1Z2345\n" in rendered.text

    cart = render_email("cart_reminder_1", sample("en", utm_campaign="cart-abandonment"))
    expected = "https://shop.example/cart?utm_source=encore&amp;utm_medium=email&amp;utm_campaign=cart-abandonment&amp;utm_content=cart_reminder_1"
    assert f'href="{expected}"' in cart.html
    assert expected.replace("&amp;", "&") in cart.text
    assert "https://shop.example/p/mug?utm_source=encore" in cart.html.replace("&amp;", "&")  # product links too
    assert "utm_campaign=cart_reminder_1" in render_email("cart_reminder_1", sample("en")).text  # default: the template


def test_utm_parameters_keep_the_existing_query_and_fragment():
    tagged = with_utm("https://www.Shop.example/p/mug?variant=2&ref=a%20b#reviews", "shop.example", "welcome-series", "welcome_1")
    assert (
        tagged
        == "https://www.Shop.example/p/mug?variant=2&ref=a%20b&utm_source=encore&utm_medium=email&utm_campaign=welcome-series&utm_content=welcome_1#reviews"
    )
    assert with_utm("https://shop.example", "shop.example", "c", "t") == "https://shop.example/?utm_source=encore&utm_medium=email&utm_campaign=c&utm_content=t"
    assert with_utm("https://shop.example/?utm_source=partner", "shop.example", "c", "t") == (
        "https://shop.example/?utm_source=partner&utm_medium=email&utm_campaign=c&utm_content=t"
    )
    for untouched in (
        "https://api.encore.example/unsubscribe?token=x",
        "https://shop.example/unsubscribe?token=x",
        "https://carrier.example/track/1",
        "https://shop.example.evil.example/p",
        "mailto:hello@shop.example",
    ):
        assert with_utm(untouched, "shop.example", "c", "t") == untouched


# ---------------------------------------------------------------- CSS


@pytest.mark.parametrize("locale", ["en", "he"])
def test_styles_are_inlined_for_email_clients(locale):
    rendered = render_email("cart_reminder_3", sample(locale))
    assert "<style" not in rendered.html  # clients that strip <style> lose nothing
    button = element(rendered.html, "a", "button")["style"]
    assert "background: #18181b" in button and "color: #ffffff" in button
    assert "font-weight: bold" in element(rendered.html, "p", "code")["style"]
    assert "font-family" in element(rendered.html, "body")["style"]


# ---------------------------------------------------------------- the unsubscribe link's pages
UNSUBSCRIBE_STAGES = {
    "confirm": ("Stop marketing emails?", "You will still get emails about your orders.", "Unsubscribe"),
    "done": ("You are unsubscribed", "You will get no more marketing emails from us."),
    "invalid": ("This link is not valid",),
}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("stage", sorted(UNSUBSCRIBE_STAGES))
def test_the_unsubscribe_pages_are_in_the_customer_s_language_right_to_left_for_hebrew(stage, locale):
    page = rendering.render_page("unsubscribe", {"stage": stage, "locale": locale})
    assert language_of(page) == (locale, "rtl" if locale == "he" else "ltr")
    translations = rendering.translations(locale)
    for english in UNSUBSCRIBE_STAGES[stage]:
        assert translations.gettext(english) in page, (stage, locale, english)
        if locale != "en":
            assert english not in page, (stage, locale, english)
    # The confirmation asks first: its button posts back to the same link; the others have no form.
    assert ('<form method="post">' in page) == (stage == "confirm")


def test_an_unsubscribe_page_in_a_language_without_a_catalogue_is_english():
    page = rendering.render_page("unsubscribe", {"stage": "done", "locale": "de-DE"})
    assert language_of(page) == ("en", "ltr") and "You are unsubscribed" in page


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("uk-UA,uk;q=0.9,en-US;q=0.8,en;q=0.7", "uk"),
        ("de-DE,de;q=0.9,he;q=0.8", "he"),  # the first language there is a catalogue for
        ("en;q=0.5, lt;q=0.9", "lt"),  # by preference, not by position
        ("ru;q=0, en", "en"),  # q=0: "not this one"
        ("*", None),
        ("de", None),
        ("", None),
        (None, None),
        ("uk;q=abc, ;;, lt", "lt"),  # garbled parts are passed over
    ],
)
def test_a_page_whose_customer_is_unknown_takes_the_browser_s_language(header, expected):
    from encore.unsubscribe import browser_language

    assert browser_language(header, LOCALES) == expected
