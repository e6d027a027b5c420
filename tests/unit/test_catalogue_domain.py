"""The catalogue's writes (``encore.catalogue``) on the in-memory products
(``storage.fakes_products``): a product webhook applied unless stale, a catalogue file
validated whole and written with its reverse relations. The conditions themselves are held
to DynamoDB by tests/contracts/test_products.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from encore.catalogue import MAX_SIMILAR, apply_product_updated, get_product, import_catalogue
from encore.events import ProductUpdated
from encore.storage.fakes_products import InMemoryProducts

STORE_ID = "corner-shop"
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _updated(at: datetime, **fields) -> ProductUpdated:
    return ProductUpdated(
        **{
            "event_id": f"p-{at.isoformat()}",
            "store_id": STORE_ID,
            "occurred_at": at,
            "source": "shopify:products/update",
            "product_id": "mug",
            "title": "Mug",
            **fields,
        }
    )


def test_catalogue_import_writes_relations_and_rejects_a_bad_file_whole():
    # Moved from tests/integration/test_operations.py: it checks only what is stored.
    storage = InMemoryProducts()
    entries = [
        {"product_id": "phone-64", "title": "Phone 64 GB", "category": "phones", "price_cents": 49900},
        {"product_id": "phone-256", "title": "Phone 256 GB", "category": "phones", "price_cents": 59900, "upgrade_of": ["phone-64"]},
        {"product_id": "coffee-100", "title": "100 capsules", "category": "coffee", "daily_usage": 1, "complements": ["frother"]},
    ]
    assert import_catalogue(STORE_ID, entries, imported_at=START, storage=storage) == 3
    assert get_product(STORE_ID, "phone-256", storage=storage).upgrade_of == ["phone-64"]
    assert get_product(STORE_ID, "coffee-100", storage=storage).daily_usage == 1
    with pytest.raises(ValidationError):
        import_catalogue(STORE_ID, [{"product_id": "x", "title": "X"}, {"product_id": "y"}], imported_at=START, storage=storage)
    assert get_product(STORE_ID, "x", storage=storage) is None


def test_each_product_gets_its_upgrades_and_similar_products_in_the_files_order():
    storage = InMemoryProducts()
    entries = [
        {"product_id": "phone-64", "title": "Phone 64 GB", "category": "phones"},
        {"product_id": "phone-256", "title": "Phone 256 GB", "category": "phones", "upgrade_of": ["phone-64"]},
        {"product_id": "phone-512", "title": "Phone 512 GB", "category": "phones", "upgrade_of": ["phone-64", "phone-256"]},
        {"product_id": "frother", "title": "Frother"},
    ]
    import_catalogue(STORE_ID, entries, imported_at=START, storage=storage)
    base = get_product(STORE_ID, "phone-64", storage=storage)
    assert (base.upgrades, base.similar, base.store_id, base.updated_at) == (["phone-256", "phone-512"], ["phone-256", "phone-512"], STORE_ID, START)
    assert get_product(STORE_ID, "phone-256", storage=storage).upgrades == ["phone-512"]
    frother = get_product(STORE_ID, "frother", storage=storage)
    assert (frother.upgrades, frother.similar, frother.category) == (None, None, None)


def test_similar_products_stay_few_however_big_the_category():
    storage = InMemoryProducts()
    entries = [{"product_id": f"tea-{number}", "title": f"Tea {number}", "category": "tea"} for number in range(MAX_SIMILAR + 3)]
    import_catalogue(STORE_ID, entries, imported_at=START, storage=storage)
    assert get_product(STORE_ID, "tea-0", storage=storage).similar == [f"tea-{number}" for number in range(1, MAX_SIMILAR + 1)]


def test_an_upgrade_of_a_product_known_from_webhooks_only_is_written_onto_it_and_none_is_invented():
    storage = InMemoryProducts()
    apply_product_updated(_updated(START, product_id="phone-64", price_cents=49900), storage=storage)
    entries = [{"product_id": "phone-256", "title": "Phone 256 GB", "upgrade_of": ["phone-64", "phone-unknown"]}]
    import_catalogue(STORE_ID, entries, imported_at=START + timedelta(hours=1), storage=storage)
    known = get_product(STORE_ID, "phone-64", storage=storage)
    assert (known.upgrades, known.price_cents, known.updated_at) == (["phone-256"], 49900, START)
    assert get_product(STORE_ID, "phone-unknown", storage=storage) is None


def test_a_product_webhook_keeps_the_product_current_and_a_stale_one_is_ignored():
    storage = InMemoryProducts()
    assert apply_product_updated(_updated(START, price_cents=1250, in_stock=True), storage=storage)
    assert apply_product_updated(_updated(START + timedelta(hours=2), title="Big mug", in_stock=False), storage=storage)
    assert not apply_product_updated(_updated(START + timedelta(hours=1), title="Old mug", deleted=True), storage=storage)
    mug = get_product(STORE_ID, "mug", storage=storage)
    assert (mug.title, mug.price_cents, mug.in_stock, mug.deleted, mug.updated_at) == ("Big mug", 1250, False, False, START + timedelta(hours=2))
