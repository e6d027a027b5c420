"""Jinja2 rendering of message templates (subject, HTML and text) in the customer's language.

Templates are written in English and mark their copy for translation (``{% trans %}`` and
``_()``, Jinja2's i18n extension with new-style gettext, so ``%`` formatting is safe and
variables are autoescaped). Translations are gettext catalogues,
``templates/locales/<lang>/LC_MESSAGES/messages.po``, kept up to date with ``make messages``
(pybabel extract/update, see ``babel.cfg``). The ``.po`` files are read directly: each
locale's catalogue is parsed with Babel and compiled in memory the first time a message in
that language is rendered, so the layer needs no build step and no compiled ``.mo`` files
that could drift from their sources. Fuzzy and empty translations are left out, and an email
is sent in the customer's language only when its template is wholly translated: a template
that is not yet (a new scenario's) goes out in the store's default language or in English,
never half translated (``choose_locale``).

After rendering, links to the store's storefront get UTM parameters and the HTML's one
``<style>`` block (in ``email/base.html``) is inlined into ``style`` attributes, because many
email clients drop ``<style>``.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from gettext import GNUTranslations, NullTranslations
from io import BytesIO
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from jinja2 import pass_context

from encore.clock import first_known_zone
from encore.footer import reason_for

TEMPLATES_DIR = Path(__file__).parent / "templates"
LOCALES_DIR = TEMPLATES_DIR / "locales"
SOURCE_LOCALE = "en"  # the language templates are written in: it needs no catalogue


class TemplateRenderError(Exception):
    """A message template failed to render (a jinja2 error, a missing file). Not an outage:
    the same template fails the same way on every try, so no state retries it; the journey
    ends at its named failure ending, which records this name. The message names the
    template and the channel, never the context (it may hold personal data)."""

    def __init__(self, template: str, channel: str, error: Exception):
        line = getattr(error, "lineno", None)  # a syntax error knows its line
        super().__init__(f"{channel} template {template!r}: {type(error).__name__}" + (f" at line {line}" if line else ""))
        self.template = template
        self.channel = channel


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    html: str
    text: str


# ---------------------------------------------------------------- locales and catalogues


@cache
def available_locales() -> tuple[str, ...]:
    """English first, then every language that has a catalogue."""
    translated = sorted(path.parent.parent.name for path in LOCALES_DIR.glob("*/LC_MESSAGES/messages.po"))
    return (SOURCE_LOCALE, *translated)


# Old ISO 639 codes that Java and Android still send.
_LANGUAGE_ALIASES = {"iw": "he", "in": "id", "ji": "yi"}


def _supported(tag: str | None) -> str | None:
    """'uk', 'uk-UA' and 'uk_UA' all mean the Ukrainian catalogue (platforms send all three)."""
    if not tag:
        return None
    normalised = tag.strip().replace("-", "_")
    language = normalised.split("_")[0].lower()
    for candidate in (normalised, _LANGUAGE_ALIASES.get(language, language)):
        if candidate in available_locales():
            return candidate
    return None


def resolve_locale(requested: str | None, store_default: str | None = None) -> str:
    """The customer's language if we have it, else the store's default, else English."""
    return _supported(requested) or _supported(store_default) or SOURCE_LOCALE


def catalogue_path(locale: str) -> Path:
    return LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"


@dataclass(frozen=True)
class Catalogue:
    translations: NullTranslations
    translated: frozenset[str]  # msgids (a plural's singular) with every form translated


@cache
def catalogue(locale: str) -> Catalogue:
    """The locale's translations, compiled in memory from its ``.po`` once per process."""
    if locale == SOURCE_LOCALE:
        return Catalogue(NullTranslations(), frozenset())  # English plural rules, msgids as they are
    return compile_catalogue(catalogue_path(locale), locale)


def translations(locale: str) -> NullTranslations:
    return catalogue(locale).translations


def compile_catalogue(path: Path, locale: str) -> Catalogue:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with path.open("rb") as po:
        parsed = read_po(po, locale=locale)
    compiled = BytesIO()
    write_mo(compiled, parsed, use_fuzzy=False)  # leaves out fuzzy and empty translations
    compiled.seek(0)
    translated = frozenset(
        message.id if isinstance(message.id, str) else message.id[0]  # a plural's id is (singular, plural)
        for message in parsed
        if message.id and not message.fuzzy and (all(message.string) if isinstance(message.string, tuple) else message.string)
    )
    return Catalogue(GNUTranslations(compiled), translated)


@cache
def text_direction(locale: str) -> str:
    from babel import Locale

    return "rtl" if Locale.parse(locale).character_order == "right-to-left" else "ltr"


# ---------------------------------------------------------------- money and dates


def money(cents: int, currency: str | None = "USD", locale: str = SOURCE_LOCALE) -> str:
    """Minor units as the locale writes money: '$25.00' (en), '25,00 USD' (uk), '25,00 €' (lt).

    Amounts are hundredths whatever the currency (``events.to_cents``); Babel rounds to the
    currency's own digits (no decimals for yen)."""
    from babel.numbers import format_currency

    return format_currency(Decimal(int(cents)) / 100, currency or "USD", locale=locale)


def format_day(value: date | datetime | str, locale: str = SOURCE_LOCALE, time_zone: str = "UTC", format: str = "long") -> str:
    """A day as the locale writes it ('9 листопада 2026 р.'). A moment is first moved to the
    store's time zone (a coupon that ends at 23:00 UTC ends the next day in Kyiv). An ISO
    string is parsed; any other string is taken as already written for the reader."""
    from babel.dates import format_date

    if isinstance(value, str):
        written = value
        try:
            value = datetime.fromisoformat(written) if "T" in written else date.fromisoformat(written)
        except ValueError:
            return written
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(first_known_zone(time_zone))
        value = value.date()
    return format_date(value, format, locale=locale)


@pass_context
def _money_filter(context, cents: int, currency: str | None = None) -> str:
    store = context.get("store")
    return money(cents, currency or getattr(store, "currency", None), context["locale"])


@pass_context
def _date_filter(context, value, format: str = "long") -> str:
    store = context.get("store")
    return format_day(value, context["locale"], getattr(store, "time_zone", None) or "UTC", format)


# ---------------------------------------------------------------- environment


@cache
def _loader():
    from jinja2 import FileSystemLoader

    return FileSystemLoader(TEMPLATES_DIR)  # one for every language's environment


@cache
def _environment(locale: str):
    """One environment per language: its gettext functions are installed globals."""
    from jinja2 import Environment, StrictUndefined, select_autoescape

    environment = Environment(
        loader=_loader(),
        # HTML is escaped (customer names and product titles come from the store's data);
        # text and subject are not, they never reach a browser.
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,  # a missing variable is a bug, not an empty string
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    # {% trans %} blocks may wrap over several lines: the msgid is the text with its
    # whitespace collapsed (babel.cfg extracts with the same policy).
    environment.policies["ext.i18n.trimmed"] = True
    environment.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]  # added by the jinja2.ext.i18n extension at runtime
    environment.filters["money"] = _money_filter
    environment.filters["date"] = _date_filter
    return environment


# ---------------------------------------------------------------- which language a template is sent in

PARTS = ("subject.txt", "html", "txt")


@cache
def _own_messages(name: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """(msgids a template file asks for itself, the templates it extends or includes)."""
    from jinja2 import meta
    from jinja2.ext import extract_from_ast

    environment = _environment(SOURCE_LOCALE)
    tree = environment.parse(environment.loader.get_source(environment, name)[0])
    messages = frozenset(message[0] if isinstance(message, tuple) else message for _, _, message in extract_from_ast(tree))
    return frozenset(message for message in messages if message), tuple(filter(None, meta.find_referenced_templates(tree)))


def _all_messages(name: str) -> frozenset[str]:
    messages, referenced = _own_messages(name)
    return messages.union(*(_all_messages(other) for other in referenced))


# The layout every email shares: base.html (with the HTML footer) and the text footer that
# render_email appends to every text part.
LAYOUT = ("email/base.html", "email/_footer.txt")


@cache
def template_messages(template: str) -> tuple[frozenset[str], frozenset[str]]:
    """(the messages of the template's own three files, every message it needs)."""
    names = [f"email/{template}.{part}" for part in PARTS]
    own = frozenset().union(*(_own_messages(name)[0] for name in names))
    return own, frozenset().union(*(_all_messages(name) for name in (*names, *LAYOUT)))


def is_translated(template: str, locale: str) -> bool:
    """Whether every message of the template is translated into ``locale``. A template whose
    messages are only the shared layout's is English copy that was never prepared for
    translation (its own text, or that of the partial it is made of, is not marked)."""
    if locale == SOURCE_LOCALE:
        return True
    _, needed = template_messages(template)
    return bool(needed - frozenset().union(*map(_all_messages, LAYOUT))) and needed <= catalogue(locale).translated


def choose_locale(template: str, requested: str | None, store_default: str | None = None) -> str:
    """The customer's language, else the store's default, else English: the first of them
    that has this whole template translated. A half-translated email (an English body under
    a translated greeting) is worse than one consistent language, so a template that is not
    translated yet, a new scenario's, goes out in the next language of the chain."""
    for candidate in (_supported(requested), _supported(store_default)):
        if candidate and is_translated(template, candidate):
            return candidate
    return SOURCE_LOCALE


# ---------------------------------------------------------------- links and styles

UTM_SOURCE = "encore"
UTM_MEDIUM = "email"
_HREF = re.compile(r'(\bhref=")([^"]*)(")', re.IGNORECASE)
# A URL in plain text ends before whitespace and before punctuation that closes a sentence.
_TEXT_URL = re.compile(r"https?://[^\s<>\"']*[^\s<>\"'.,;:!?)\]]")


def _host(hostname: str | None) -> str:
    host = (hostname or "").lower()
    return host.removeprefix("www.")


def with_utm(url: str, storefront_host: str, campaign: str, content: str) -> str:
    """``url`` with UTM parameters when it points at the storefront; any other link (a
    carrier's tracking page, an unsubscribe link) is returned unchanged. The existing query
    string is kept byte for byte, and UTM keys already present are not overridden."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or _host(parts.hostname) != storefront_host:
        return url
    path = parts.path.lower()
    if "unsubscribe" in path or "/preferences/" in path:  # never tracked, even on the store's own host
        return url
    present = {key for key, _ in parse_qsl(parts.query, keep_blank_values=True)}
    wanted = {"utm_source": UTM_SOURCE, "utm_medium": UTM_MEDIUM, "utm_campaign": campaign, "utm_content": content}
    added = urlencode([(key, value) for key, value in wanted.items() if key not in present])
    if not added:
        return url
    query = f"{parts.query}&{added}" if parts.query else added
    return urlunsplit(parts._replace(path=parts.path or "/", query=query))


def _tag_html_links(markup: str, storefront_host: str, campaign: str, content: str) -> str:
    def tag(match: re.Match) -> str:
        url = html.unescape(match.group(2))
        tagged = with_utm(url, storefront_host, campaign, content)
        return match.group(0) if tagged == url else f"{match.group(1)}{html.escape(tagged, quote=True)}{match.group(3)}"

    return _HREF.sub(tag, markup)


def _tag_text_links(text: str, storefront_host: str, campaign: str, content: str) -> str:
    return _TEXT_URL.sub(lambda match: with_utm(match.group(0), storefront_host, campaign, content), text)


@cache
def _inliner():
    import css_inline

    # Our styles are all in base.html: never fetch a stylesheet from the network.
    return css_inline.CSSInliner(load_remote_stylesheets=False, keep_style_tags=False, keep_link_tags=False)


# ---------------------------------------------------------------- rendering


def render_email(template: str, context: dict) -> RenderedEmail:
    """Render ``email/<template>.{subject.txt,html,txt}``.

    The language is ``context["locale"]`` when the template is translated into it, else the
    store's default (``context["store"].locale``), else English (``choose_locale``).
    ``context["utm_campaign"]`` (optional, the journey's scenario) names the campaign in the
    storefront links; it defaults to the template's name."""
    store = context.get("store")
    locale = choose_locale(template, context.get("locale"), getattr(store, "locale", None))
    direction = text_direction(locale)
    context = {
        # The footer's sentence on why the customer gets this email (encore.footer).
        "why": reason_for(template),
        **context,
        "locale": locale,
        # base.html and the partials mirror their layout for right-to-left languages.
        "direction": direction,
        "align_start": "right" if direction == "rtl" else "left",
        "align_end": "left" if direction == "rtl" else "right",
    }
    environment = _environment(locale)
    subject = environment.get_template(f"email/{template}.subject.txt").render(context).strip()
    markup = environment.get_template(f"email/{template}.html").render(context)
    # Every text part ends with the footer (why, unsubscribe and preferences, postal address),
    # as every HTML part does through base.html.
    body = environment.get_template(f"email/{template}.txt").render(context).rstrip("\n")
    text = body + "\n" + environment.get_template("email/_footer.txt").render(context)

    storefront_url = getattr(store, "storefront_url", None)
    if storefront_url:
        host = _host(urlsplit(storefront_url).hostname)
        campaign = context.get("utm_campaign") or template
        markup = _tag_html_links(markup, host, campaign, template)
        text = _tag_text_links(text, host, campaign, template)
    return RenderedEmail(subject=subject, html=_inliner().inline(markup), text=text)


def email_templates() -> list[str]:
    """Every email template (partials, named with a leading underscore, are not templates)."""
    return sorted(path.name.removesuffix(".subject.txt") for path in (TEMPLATES_DIR / "email").glob("[!_]*.subject.txt"))


def render_page(name: str, context: dict) -> str:
    """A web page a link in an email opens (``templates/pages/<name>.html``: the preferences
    page), in the customer's language, with the email catalogues."""
    locale = resolve_locale(context.get("locale"))
    return _environment(locale).get_template(f"pages/{name}.html").render({**context, "locale": locale, "direction": text_direction(locale)})


def render_text(channel: str, template: str, context: dict) -> str:
    """A text-only channel's message (``templates/<channel>/<template>.txt``: SMS, push) in
    the customer's language, with the same context, environment and catalogues as email."""
    locale = resolve_locale(context.get("locale"), getattr(context.get("store"), "locale", None))
    return _environment(locale).get_template(f"{channel}/{template}.txt").render({**context, "locale": locale}).strip()
