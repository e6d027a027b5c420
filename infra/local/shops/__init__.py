"""Faithful local fakes of the shops' admin APIs, served over HTTP on 127.0.0.1.

- ``FakeShopify``: the Shopify Admin GraphQL API (a schema subset executed by graphql-core,
  the leaky-bucket cost limit, access tokens and scopes).
- ``FakeWooCommerce``: the WooCommerce REST API v3 (Basic auth with REST keys and their
  permissions, WordPress REST errors, pagination headers).

Each runs in a daemon thread (``start()`` / ``stop()``, or as a context manager) and has
fault knobs for tests: failed deliveries (Shopify deletes an API-created subscription after
8 in a row, WooCommerce disables a webhook after 5), a drained bucket, a request log. Point a
store at one with ``"admin_base_url": fake.url`` in its shop document.
"""

from infra.local.shops.shopify import FakeShopify
from infra.local.shops.woocommerce import FakeWooCommerce

__all__ = ["FakeShopify", "FakeWooCommerce"]
