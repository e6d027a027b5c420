"""What the scenarios started by views and carts ask about a customer's shopping: what is in
their open carts, what they have bought, and whether a journey may start again (a durable
record of the last one, claimed with a conditional write so racing events start one)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist, PutError

from encore.catalogue import sellable
from encore.models import Cart, JourneyRecord, Product, PurchasedProduct, condition_failed


def products_in_open_carts(pk: str) -> set[str]:
    found: set[str] = set()
    for cart in Cart.query(pk, Cart.sk.startswith("CART#"), filter_condition=Cart.status == "open"):
        found.update(line.product_id for line in cart.lines or ())
    return found


def bought_any(pk: str, product_ids: Iterable[str]) -> bool:
    for product_id in product_ids:
        try:
            PurchasedProduct.get(pk, PurchasedProduct.sort_key(product_id))
            return True
        except DoesNotExist:
            continue
    return False


def available_products(store_id: str, product_ids: Iterable[str], *, limit: int | None = None) -> list[Product]:
    """The catalogue entries that can be bought, in the order asked (deleted, sold-out and
    unknown ones are left out), at most ``limit``. One GetItem each, stopping at the limit:
    the lists are short, and the cart function may not batch-read."""
    found: list[Product] = []
    for product_id in dict.fromkeys(product_ids):
        if limit is not None and len(found) >= limit:
            break
        try:
            product = Product.get(*Product.key(store_id, product_id))
        except DoesNotExist:
            continue
        if sellable(product):
            found.append(product)
    return found


def claim_journey(pk: str, scenario: str, subject: str, journey: str, *, now: datetime, cooldown: timedelta | None) -> bool:
    """Record ``journey`` as the scenario's latest for this customer and subject, if allowed:
    no earlier journey, or (with a ``cooldown``) the last one started at least that long ago.
    ``cooldown=None`` means once ever. Claiming the journey already recorded succeeds, so a
    retried event still starts the journey a failed attempt had claimed."""
    sk = JourneyRecord.sort_key(scenario, subject)
    try:
        if JourneyRecord.get(pk, sk, consistent_read=True).journey == journey:
            return True
    except DoesNotExist:
        pass
    condition = JourneyRecord.pk.does_not_exist()
    if cooldown is not None:
        condition |= JourneyRecord.started_at <= now - cooldown
    try:
        JourneyRecord(pk, sk, journey=journey, started_at=now).save(condition=condition)
    except PutError as error:
        if not condition_failed(error):
            raise
        return False
    return True
