"""Jinja2 rendering of message templates (HTML + text + subject) from files in the layer."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

TEMPLATES_DIR = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    html: str
    text: str


def money(cents: int, currency: str = "USD") -> str:
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency)
    amount = f"{int(cents) / 100:,.2f}"
    return f"{symbol}{amount}" if symbol else f"{amount} {currency}"


@cache
def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        # HTML is escaped (customer names and product titles come from the store's data);
        # text and subject are not, they never reach a browser.
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,  # a missing variable is a bug, not an empty string
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["money"] = money
    return environment


def render_email(template: str, context: dict) -> RenderedEmail:
    environment = _environment()
    return RenderedEmail(
        subject=environment.get_template(f"email/{template}.subject.txt").render(context).strip(),
        html=environment.get_template(f"email/{template}.html").render(context),
        text=environment.get_template(f"email/{template}.txt").render(context),
    )


def email_templates() -> list[str]:
    return sorted(path.name.removesuffix(".subject.txt") for path in (TEMPLATES_DIR / "email").glob("*.subject.txt"))
