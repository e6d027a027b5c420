"""The catalogue's rules that need no table: which products a message may offer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from encore.catalogue import sellable
from encore.models import Product


def _product(**fields) -> Product:
    pk, sk = Product.key("corner-shop", "p-1")
    return Product(pk, sk, store_id="corner-shop", product_id="p-1", title="Linen shirt", updated_at=datetime(2026, 11, 2, tzinfo=UTC), **fields)


@pytest.mark.parametrize(
    ("fields", "offered"),
    [
        ({"in_stock": True}, True),
        ({}, True),  # stock never reported: most shops do not track it
        ({"in_stock": False}, False),
        ({"deleted": True}, False),
        ({"deleted": True, "in_stock": True}, False),
    ],
)
def test_a_message_offers_only_a_product_that_is_for_sale(fields, offered):
    assert sellable(_product(**fields)) is offered


def test_a_product_the_catalogue_does_not_know_is_not_offered():
    assert sellable(None) is False
