"""HTTP API: one-click unsubscribe (RFC 8058 POST) and its confirmation page (GET); the
preferences page every marketing email links to (GET shows the choices, POST applies them)."""

import base64
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext

from encore.adapters.bus import EventBridgePublisher
from encore.adapters.secrets import SsmStoreParameters
from encore.clock import utcnow
from encore.observability import logger, tracer
from encore.runtime import HandlerSettings
from encore.unsubscribe import InvalidUnsubscribeLink, Preferences, browser_language, link_owner, preferences, set_preferences, unsubscribe

SETTINGS = HandlerSettings("event_bus_name")  # checked before each invocation

app = APIGatewayHttpResolver()


def _unsubscribe_page(status: int, stage: str, locale: str | None) -> Response:
    """The unsubscribe link's page at ``stage`` in the customer's language; where the link
    names no customer we know, in the browser's (Accept-Language), else English."""
    from encore.rendering import available_locales, render_page  # Jinja2 and Babel: only for the pages, not at cold start

    locale = locale or browser_language((app.current_event.headers or {}).get("accept-language"), available_locales())
    body = render_page("unsubscribe", {"stage": stage, "locale": locale})
    return Response(status_code=status, content_type=content_types.TEXT_HTML, body=body, headers={"Cache-Control": "no-store"})


@app.get("/unsubscribe/<token>")
def confirm_page(token: str) -> Response:
    owner = link_owner(token, SsmStoreParameters(SETTINGS.configure().parameters_prefix))  # 404 for a forged link
    return _unsubscribe_page(200, "confirm", owner.locale)


@app.post("/unsubscribe/<token>")
def one_click(token: str) -> Response:
    settings = SETTINGS.configure()
    owner = unsubscribe(token, parameters=SsmStoreParameters(settings.parameters_prefix), now=utcnow(), publisher=EventBridgePublisher(settings.event_bus_name))
    return _unsubscribe_page(200, "done", owner.locale)


def _preferences_page(choices: Preferences, *, saved: bool) -> Response:
    from encore.rendering import render_page  # Jinja2 and Babel: only for this page, not at cold start

    body = render_page(
        "preferences",
        {"locale": choices.locale, "email": choices.email, "sms": choices.sms, "has_phone": choices.has_phone, "saved": saved},
    )
    return Response(status_code=200, content_type=content_types.TEXT_HTML, body=body, headers={"Cache-Control": "no-store"})


def _form() -> dict[str, list[str]]:
    """The posted HTML form: a ticked box is sent as "on", an unticked one not at all. Bytes
    that are not UTF-8 are replaced, not a server error (the token decides what happens)."""
    event = app.current_event
    raw = event.body or ""
    if event.is_base64_encoded:
        raw = base64.b64decode(raw).decode("utf-8", errors="replace")
    return parse_qs(raw)


@app.get("/preferences/<token>")
def preferences_page(token: str) -> Response:
    return _preferences_page(preferences(token, parameters=SsmStoreParameters(SETTINGS.configure().parameters_prefix)), saved=False)


@app.post("/preferences/<token>")
def save_preferences(token: str) -> Response:
    form = _form()
    choices = set_preferences(
        token,
        email=form.get("email") == ["on"],
        sms=form.get("sms") == ["on"],
        parameters=SsmStoreParameters(SETTINGS.configure().parameters_prefix),
        now=utcnow(),
        publisher=EventBridgePublisher(SETTINGS.configure().event_bus_name),
    )
    logger.info("marketing preferences saved")
    return _preferences_page(choices, saved=True)


@app.exception_handler(InvalidUnsubscribeLink)
def unknown_link(error: InvalidUnsubscribeLink) -> Response:
    logger.info("unsubscribe link refused")
    return _unsubscribe_page(404, "invalid", None)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
