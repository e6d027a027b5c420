"""A store's audience webhook may only point at a public https host."""

from __future__ import annotations

import socket

import pytest
from pydantic import ValidationError

from encore.outbound import UnsafeDestination, check_before_request, check_url
from encore.stores import StoreSettings


@pytest.mark.parametrize(
    "url",
    [
        "http://ads.example.com/hook",  # not https
        "https://127.0.0.1/hook",
        "https://10.0.0.8/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data/",  # the instance metadata service
        "https://[::1]/hook",
        "https://[fd00::1]/hook",
        "https://100.64.0.1/hook",  # carrier-grade NAT, shared space
        "https://localhost/hook",
        "https://metadata.google.internal/",
        "ftp://ads.example.com/hook",
    ],
)
def test_a_private_or_plain_http_destination_is_refused_in_the_settings(url, monkeypatch):
    monkeypatch.delenv("ENCORE_LOCAL_STACK", raising=False)
    with pytest.raises(UnsafeDestination):
        check_url(url)
    with pytest.raises(ValidationError, match="retargeting_webhook_url"):
        StoreSettings.from_dict("s", {"postal_address": "1 Main St", "browse_abandonment": {"retargeting_webhook_url": url}})


def test_a_public_https_destination_is_accepted(monkeypatch):
    monkeypatch.delenv("ENCORE_LOCAL_STACK", raising=False)
    assert check_url("https://hooks.ads.example.com/audience") == "hooks.ads.example.com"
    assert check_url("https://93.184.215.14/audience") == "93.184.215.14"


def test_a_name_that_resolves_to_a_private_address_is_refused_before_the_request(monkeypatch):
    monkeypatch.delenv("ENCORE_LOCAL_STACK", raising=False)
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: [(0, 0, 0, "", ("10.1.2.3", 443))])
    with pytest.raises(UnsafeDestination, match="10.1.2.3"):
        check_before_request("https://rebound.example.com/hook")
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: [(0, 0, 0, "", ("93.184.215.14", 443))])
    check_before_request("https://hooks.ads.example.com/hook")


def test_only_the_local_stack_may_use_its_loopback_receivers(monkeypatch):
    monkeypatch.setenv("ENCORE_LOCAL_STACK", "1")
    assert check_url("http://127.0.0.1:8123/hook") == "127.0.0.1"
    with pytest.raises(UnsafeDestination):
        check_url("http://10.0.0.8/hook")
