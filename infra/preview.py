"""``make preview``: every email template in every language, as files and screenshots.

Renders each template (every ``email/*.subject.txt``, so a new template is included without
listing it) in every locale that has a catalogue, with the sample context below, into
``<out>/<locale>/<template>.html`` and ``.txt`` (subject first), writes ``<out>/index.html``
linking them, and screenshots each HTML file with headless Chromium
(``<out>/<locale>/<template>.png``), so a reviewer sees the layout, the translations and the
right-to-left mirroring without sending anything.

    TZ=UTC PYTHONPATH=.:layers/common .venv/bin/python -m infra.preview [--out out/preview] [--no-screenshots]

Exits non-zero if a template fails to render (an undefined variable, a syntax error) or a
screenshot fails. ``SAMPLE_CONTEXT`` is also the unit tests' sample: a template that needs a
new context key gets it here, and both the tests and the previews render it.
"""

from __future__ import annotations

import argparse
import html
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from encore.rendering import available_locales, choose_locale, email_templates, render_email
from encore.stores import StoreSettings

CHROMIUM = "/usr/bin/chromium"
WINDOW = (800, 1400)

# What encore.delivery.content.template_context gives a template, filled in: a cart, a coupon, an order with
# tracking, catalogue products (one without image, URL or own currency).
SAMPLE_CONTEXT: dict = {
    "locale": "en",
    "store": StoreSettings(
        store_id="demo-store", name="Shop & Co", storefront_url="https://shop.example", postal_address="12 Market Street\nSpringfield, IL 62701\nUSA"
    ),
    "customer": {"first_name": "Ann", "last_name": "Lee"},
    "cart": {
        "lines": [{"title": "Mug", "quantity": 2, "price_cents": 1250, "url": "https://shop.example/p/mug", "image_url": None}],
        "total_cents": 2500,
        "currency": "USD",
        "recovery_url": "https://shop.example/cart",
    },
    "coupon": {"code": "ABCD-EFGH-JKLM", "percent_off": 10, "expires_on": date(2026, 11, 9)},
    # Encore's key for the order is the shop's id; what customers see is the shop's name for it.
    "order_id": "5836251463747",
    "order_name": "#1001",
    "products": [
        {
            "product_id": "mug-xl",
            "title": "Mug XL",
            "category": "kitchen",
            "price_cents": 1900,
            "currency": "USD",
            "url": "https://shop.example/p/mug-xl",
            "image_url": "https://cdn.example/mug-xl.jpg",
        },
        {"product_id": "spoon", "title": "Spoon", "category": "kitchen", "price_cents": 450, "currency": None, "url": None, "image_url": None},
    ],
    "category": "kitchen",
    "order": {
        "order_id": "5836251463747",
        "name": "#1001",
        "lines": [{"title": "Mug", "quantity": 2, "price_cents": 1250, "url": None, "image_url": None}],
        "total_cents": 2500,
        "currency": "USD",
        "tracking_url": "https://carrier.example/track/1Z2345",
        "tracking_number": "1Z2345",
        "payment_url": "https://shop.example/orders/1001/pay",
    },
    # The footer's links (encore.delivery.content.footer): marketing email only, see sample_links.
    "unsubscribe_url": "https://api.example/unsubscribe/c2FtcGxl.YW5u.k1.c2lnbmF0dXJl",
    "preferences_url": "https://api.example/preferences/c2FtcGxl.YW5u.k1.c2lnbmF0dXJl",
}


def sample_links(template: str) -> dict:
    """Transactional email has no unsubscribe or preferences link (encore.delivery.content.footer)."""
    from encore.messaging import is_marketing

    return {} if is_marketing(template) else {"unsubscribe_url": None, "preferences_url": None}


@dataclass
class Preview:
    locale: str
    template: str
    subject: str = ""
    sent_in: str = ""  # the locale asked for, or the fallback while the template is not translated
    error: str | None = None
    screenshot_error: str | None = None

    def path(self, out: Path, suffix: str) -> Path:
        return out / self.locale / f"{self.template}{suffix}"


def render_all(out: Path, templates: list[str], locales: list[str]) -> list[Preview]:
    previews = []
    for locale in locales:
        (out / locale).mkdir(parents=True, exist_ok=True)
        for template in templates:
            preview = Preview(locale, template, sent_in=choose_locale(template, locale, SAMPLE_CONTEXT["store"].locale))
            try:
                rendered = render_email(template, {**SAMPLE_CONTEXT, "locale": locale, **sample_links(template)})
            except Exception as error:  # report every broken template, not only the first
                preview.error = f"{type(error).__name__}: {error}"
            else:
                preview.subject = rendered.subject
                preview.path(out, ".html").write_text(rendered.html, encoding="utf-8")
                preview.path(out, ".txt").write_text(f"Subject: {rendered.subject}\n\n{rendered.text}", encoding="utf-8")
            previews.append(preview)
    return previews


def screenshot(html_file: Path, png: Path) -> str | None:
    """One headless Chromium per page (its --screenshot mode takes one URL); a fresh profile
    each time, and every host resolved to nothing so a preview never reaches the network
    (images from the store's CDN show as their alt text)."""
    with tempfile.TemporaryDirectory(prefix="encore-chromium-") as profile:
        command = [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--user-data-dir={profile}",
            f"--screenshot={png}",
            f"--window-size={WINDOW[0]},{WINDOW[1]}",
            html_file.resolve().as_uri(),
        ]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        except subprocess.TimeoutExpired:
            return "chromium timed out"
    if result.returncode != 0 or not png.is_file():
        return f"chromium exited {result.returncode}: {result.stderr.strip()[-300:]}"
    return None


def screenshot_all(out: Path, previews: list[Preview], jobs: int) -> None:
    rendered = [preview for preview in previews if preview.error is None]

    def take(preview: Preview) -> None:
        preview.screenshot_error = screenshot(preview.path(out, ".html"), preview.path(out, ".png"))

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(take, rendered))


def write_index(out: Path, previews: list[Preview], locales: list[str], screenshots: bool) -> Path:
    by_key = {(preview.template, preview.locale): preview for preview in previews}
    templates = sorted({preview.template for preview in previews})
    rows = []
    for template in templates:
        cells = [f"<th>{html.escape(template)}</th>"]
        for locale in locales:
            preview = by_key[(template, locale)]
            if preview.error:
                cells.append(f'<td class="error">{html.escape(preview.error)}</td>')
                continue
            links = [f'<a href="{locale}/{template}.html">HTML</a>', f'<a href="{locale}/{template}.txt">text</a>']
            if screenshots and preview.screenshot_error is None:
                links.append(f'<a href="{locale}/{template}.png">PNG</a>')
            if preview.sent_in != locale:
                links.append(f"<em>not translated: sent in {html.escape(preview.sent_in)}</em>")
            cells.append(f'<td><div dir="auto">{html.escape(preview.subject)}</div><small>{" · ".join(links)}</small></td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    head = "".join(f"<th>{html.escape(locale)}</th>" for locale in locales)
    index = out / "index.html"
    index.write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Encore email previews</title>'
        "<style>body{font-family:sans-serif;margin:24px}table{border-collapse:collapse}"
        "th,td{border:1px solid #ddd;padding:6px 8px;vertical-align:top;text-align:start}"
        "td.error{color:#b91c1c}small{color:#555}</style></head><body>"
        f"<h1>Email previews</h1><p>{len(templates)} templates × {len(locales)} locales, sample context from infra/preview.py.</p>"
        f"<table><tr><th>template</th>{head}</tr>{''.join(rows)}</table></body></html>\n",
        encoding="utf-8",
    )
    return index


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("out/preview"))
    parser.add_argument("--locale", action="append", help="only this locale (repeatable)")
    parser.add_argument("--template", action="append", help="only this template (repeatable)")
    parser.add_argument("--no-screenshots", action="store_true")
    parser.add_argument("--jobs", type=int, default=max(1, min(4, (os.cpu_count() or 2))), help="Chromiums at a time")
    args = parser.parse_args(argv)

    locales = args.locale or list(available_locales())
    templates = args.template or email_templates()
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)

    started = time.perf_counter()
    previews = render_all(args.out, templates, locales)
    render_seconds = time.perf_counter() - started
    failed = [preview for preview in previews if preview.error]
    print(f"rendered {len(templates)} templates x {len(locales)} locales = {len(previews) - len(failed)} of {len(previews)} emails in {render_seconds:.2f} s")
    untranslated = sorted({preview.template for preview in previews if preview.sent_in != preview.locale})
    if untranslated:
        print(f"not translated yet, so sent in English: {', '.join(untranslated)} (make messages, then translate)")

    screenshots = not args.no_screenshots
    if screenshots:
        if not Path(CHROMIUM).is_file():
            print(f"{CHROMIUM} is missing: `make preview` installs Debian's chromium package", file=sys.stderr)
            return 2
        started = time.perf_counter()
        screenshot_all(args.out, previews, args.jobs)
        shot_seconds = time.perf_counter() - started
        shot_failed = [preview for preview in previews if preview.screenshot_error]
        taken = len(previews) - len(failed) - len(shot_failed)
        print(f"took {taken} screenshots ({WINDOW[0]}x{WINDOW[1]}, {args.jobs} at a time) in {shot_seconds:.1f} s")
        for preview in shot_failed:
            print(f"screenshot failed: {preview.locale}/{preview.template}: {preview.screenshot_error}", file=sys.stderr)
        failed += shot_failed

    for preview in previews:
        if preview.error:
            print(f"render failed: {preview.locale}/{preview.template}: {preview.error}", file=sys.stderr)
    print(f"index: {write_index(args.out, previews, locales, screenshots)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
