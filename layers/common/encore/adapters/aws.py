"""boto3 clients, created once per process and only when first needed (cold start)."""

from __future__ import annotations

from functools import cache


@cache
def client(service: str):
    import boto3  # imported on first use: most handlers never need every client

    return boto3.client(service)
