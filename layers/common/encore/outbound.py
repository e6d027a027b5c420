"""Where Encore may send a request a store configured (the retargeting audience webhook).

A store's settings must not turn Encore's functions into a way into the AWS network: only
``https://`` to a host whose every address is public. Private, loopback, link-local (the
instance metadata service at 169.254.169.254 among them), shared, multicast and reserved
addresses are refused, when the settings are loaded and again just before each request (a
name can be re-pointed after it was checked).

The local stack alone serves its test receivers on 127.0.0.1 over plain HTTP: it sets
``ENCORE_LOCAL_STACK=1``, which nothing deployed sets.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from urllib.parse import urlsplit


class UnsafeDestination(ValueError):
    """The URL is not https, or it names a host that is not on the public internet."""


def _local_stack() -> bool:
    return os.environ.get("ENCORE_LOCAL_STACK") == "1"


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.is_global and not ip.is_multicast


def check_url(url: str) -> str:
    """The URL's host, when the URL may be configured; raises ``UnsafeDestination``."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if _local_stack() and parts.scheme in ("http", "https") and host in ("127.0.0.1", "localhost"):
        return host
    if parts.scheme != "https":
        raise UnsafeDestination("must be an https:// URL")
    if not host or host == "localhost" or host.endswith((".localhost", ".internal", ".local")):
        raise UnsafeDestination(f"{host or 'no host'} is not a public host")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        return host  # a name: resolved and checked before each request
    if not _public(str(literal)):
        raise UnsafeDestination(f"{host} is not a public address")
    return host


def check_before_request(url: str) -> None:
    """Resolve the URL's host now and refuse it unless every address is public."""
    host = check_url(url)
    if _local_stack() and host in ("127.0.0.1", "localhost"):
        return
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, urlsplit(url).port or 443, proto=socket.IPPROTO_TCP)}
    except socket.gaierror as error:
        raise UnsafeDestination(f"{host} does not resolve") from error
    private = sorted(address for address in addresses if not _public(address))
    if private:
        raise UnsafeDestination(f"{host} resolves to a non-public address ({private[0]})")
