"""HTTP API: one-click unsubscribe (RFC 8058 POST) and its confirmation page (GET); the
preferences page every marketing email links to (GET shows the choices, POST applies them)."""

import base64
import html
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext

from encore.adapters.bus import EventBridgePublisher
from encore.adapters.secrets import SsmStoreParameters
from encore.clock import utcnow
from encore.observability import logger, tracer
from encore.runtime import configure
from encore.unsubscribe import InvalidUnsubscribeLink, Preferences, preferences, read_token, set_preferences, unsubscribe

app = APIGatewayHttpResolver()

PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body style="font-family:Helvetica,Arial,sans-serif;max-width:480px;margin:48px auto;">{body}</body></html>"""


def _page(status: int, title: str, body: str) -> Response:
    return Response(status_code=status, content_type=content_types.TEXT_HTML, body=PAGE.format(title=html.escape(title), body=body))


@app.get("/unsubscribe/<token>")
def confirm_page(token: str) -> Response:
    read_token(token, SsmStoreParameters(configure().parameters_prefix))  # 404 for a forged link
    button = f'<form method="post" action="/unsubscribe/{html.escape(token)}"><button type="submit">Unsubscribe</button></form>'
    return _page(200, "Unsubscribe", f"<h1>Stop marketing emails?</h1><p>You will still get emails about your orders.</p>{button}")


@app.post("/unsubscribe/<token>")
def one_click(token: str) -> Response:
    settings = configure()
    unsubscribe(token, parameters=SsmStoreParameters(settings.parameters_prefix), now=utcnow(), publisher=EventBridgePublisher(settings.event_bus_name))
    return _page(200, "Unsubscribed", "<h1>You are unsubscribed</h1><p>You will get no more marketing emails from us.</p>")


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
    return _preferences_page(preferences(token, parameters=SsmStoreParameters(configure().parameters_prefix)), saved=False)


@app.post("/preferences/<token>")
def save_preferences(token: str) -> Response:
    form = _form()
    choices = set_preferences(
        token,
        email=form.get("email") == ["on"],
        sms=form.get("sms") == ["on"],
        parameters=SsmStoreParameters(configure().parameters_prefix),
        now=utcnow(),
        publisher=EventBridgePublisher(configure().event_bus_name),
    )
    logger.info("marketing preferences saved")
    return _preferences_page(choices, saved=True)


@app.exception_handler(InvalidUnsubscribeLink)
def unknown_link(error: InvalidUnsubscribeLink) -> Response:
    logger.info("unsubscribe link refused")
    return _page(404, "Link not found", "<h1>This link is not valid</h1>")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
