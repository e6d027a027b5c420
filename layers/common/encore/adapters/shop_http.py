"""What the shop admin API clients share: their errors and one HTTPS request with a timeout.

Every error a shop's admin API can cause is one of the exceptions below, each with a one-line
message an operator can act on (what the shop said, and what to check). Callers decide what
to do with them: the CLI prints the line and exits non-zero; a Lambda records the reason and
retries or goes on without the shop (coupons, consent).

Standard library only (``urllib.request``): the layer gains no dependency for two small
JSON clients, and urllib verifies TLS certificates against the system store by default.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlsplit

DEFAULT_TIMEOUT = 10.0  # seconds per request: an admin API answers in well under a second
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})  # the local fakes, served over plain HTTP
USER_AGENT = "Encore-marketing-automation/0.1"  # shops log it: say who is calling


class ShopAdminError(Exception):
    """Base of every shop admin API failure; ``str(error)`` is one line fit for an operator."""

    def __init__(self, message: str):
        super().__init__(" ".join(message.split()))  # one line, whatever the shop sent


class ShopAuthRefused(ShopAdminError):
    """The shop refused the credentials (wrong or revoked token/keys, missing scope or permission)."""


class ShopRefused(ShopAdminError):
    """The shop understood the request and refused it: ``code`` is the shop's error code (a
    WooCommerce ``code``, a GraphQL ``extensions.code``), ``field`` the input field it names."""

    def __init__(self, message: str, *, code: str = "", field: str = ""):
        super().__init__(message)
        self.code = code
        self.field = field


class ShopThrottled(ShopAdminError):
    """Still throttled after the bounded number of waits and retries."""


class ShopUnreachable(ShopAdminError):
    """No answer (DNS, connection, TLS, timeout) or a server error (5xx)."""


class ShopMisconfigured(ShopAdminError):
    """The shop document itself is unusable (e.g. a WooCommerce site URL without https://)."""


@dataclass
class Response:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes
    data: object = field(default=None)  # parsed JSON, or None when the body is not JSON

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def require_https(url: str, what: str) -> None:
    """Credentials travel in headers: only HTTPS, except for the local fakes on this machine."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in LOCAL_HOSTS:
        return
    raise ShopMisconfigured(f"{what} must be an https:// URL (got {url!r}): admin credentials are never sent over plain HTTP")


def send(method: str, url: str, *, headers: dict[str, str], body: bytes | None = None, timeout: float = DEFAULT_TIMEOUT, shop: str) -> Response:
    """One HTTP request. Any HTTP status comes back as a Response (the clients read the
    shop's own error body); only a failure to get an answer raises ShopUnreachable."""
    request = urllib.request.Request(url, data=body, method=method, headers={"User-Agent": USER_AGENT, "Accept": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            status, raw_headers, payload = answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        status, raw_headers, payload = error.code, error.headers, error.read()
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise ShopUnreachable(f"{shop} did not answer {method} {_without_query(url)}: {reason}") from error
    response = Response(status=status, headers={name.lower(): value for name, value in raw_headers.items()}, body=payload)
    try:
        response.data = json.loads(payload) if payload else None
    except ValueError:
        response.data = None
    return response


def _without_query(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"
