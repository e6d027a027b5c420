"""A single-product Product Added / Removed applied to a cart's lines (no AWS involved):
``encore.carts.changed_lines`` is what the cart_updated function writes back."""

from __future__ import annotations

from encore.carts import changed_lines
from encore.events import MAX_LINES, MAX_QUANTITY, CartChange, Line
from encore.models import Product

BEANS = Line(product_id="beans", title="Espresso beans 1 kg", quantity=2, price_cents=2450, url="https://shop.example/p/beans")
FROTHER = Line(product_id="frother", title="Milk frother", quantity=1, price_cents=3990)


def add(product_id: str, **fields) -> CartChange:
    return CartChange(action="add", product_id=product_id, **fields)


def remove(product_id: str, quantity: int | None = None) -> CartChange:
    return CartChange(action="remove", product_id=product_id, quantity=quantity)


def test_a_new_product_is_a_new_line_with_the_events_fields_and_one_by_default():
    lines = changed_lines([BEANS], add("frother", title="Milk frother", price_cents=3990, image_url="https://shop.example/i/f.jpg"))
    assert lines[0] == BEANS
    assert (lines[1].product_id, lines[1].title, lines[1].quantity, lines[1].price_cents, lines[1].image_url) == (
        "frother",
        "Milk frother",
        1,
        3990,
        "https://shop.example/i/f.jpg",
    )


def test_a_product_already_in_the_cart_gets_the_quantity_added_and_keeps_what_the_event_leaves_out():
    lines = changed_lines([BEANS, FROTHER], add("beans", quantity=3, price_cents=2300))
    assert [(line.product_id, line.quantity, line.price_cents, line.title, line.url) for line in lines] == [
        ("beans", 5, 2300, "Espresso beans 1 kg", "https://shop.example/p/beans"),
        ("frother", 1, 3990, "Milk frother", None),
    ]


def test_a_new_product_without_name_or_price_takes_them_from_the_catalogue_else_its_id_and_no_price():
    catalogued = Product("pk", "sk", store_id="s", product_id="mug", title="Stoneware mug", price_cents=1250, url="https://shop.example/p/mug")
    [line] = changed_lines([], add("mug", quantity=2), catalogued)
    assert (line.title, line.price_cents, line.url, line.quantity) == ("Stoneware mug", 1250, "https://shop.example/p/mug", 2)
    [given] = changed_lines([], add("mug", title="Mug (event)", price_cents=999), catalogued)
    assert (given.title, given.price_cents) == ("Mug (event)", 999)
    [unknown] = changed_lines([], add("mug"))
    assert (unknown.title, unknown.price_cents) == ("mug", 0)


def test_a_removal_takes_away_the_quantity_removed_or_the_whole_line():
    assert changed_lines([BEANS, FROTHER], remove("beans", 1)) == [BEANS.model_copy(update={"quantity": 1}), FROTHER]
    assert changed_lines([BEANS, FROTHER], remove("beans")) == [FROTHER]
    assert changed_lines([BEANS, FROTHER], remove("beans", 5)) == [FROTHER]
    assert changed_lines([FROTHER], remove("frother")) == []


def test_removing_a_product_the_cart_does_not_hold_changes_nothing():
    assert changed_lines([BEANS], remove("frother")) == [BEANS]
    assert changed_lines([], remove("frother")) == []


def test_the_limits_of_a_whole_cart_hold_for_changes_too():
    full = [Line(product_id=f"p-{index}", title="P", quantity=1, price_cents=100) for index in range(MAX_LINES)]
    assert changed_lines(full, add("one-more", title="One more", price_cents=1)) == full
    [line] = changed_lines([BEANS.model_copy(update={"quantity": MAX_QUANTITY - 1})], add("beans", quantity=5))
    assert line.quantity == MAX_QUANTITY
