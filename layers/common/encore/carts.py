"""Carts, and the cart-abandonment journey's control points.

The journey waits for its cart's order (or emptying) or next update in a wait record like
every other journey's (``encore.waits``): it parks its token, then reads the cart; the order
marks the cart ordered, then takes the token. Whichever comes second sees the first (both the
read and the take are consistent), and only one of them takes the token, so an order always
reaches the journey at once, exactly once, and never at the next timer. A cart update takes
the token to move the pending reminder's timer (the journey then parks again).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from encore import waits
from encore.adapters.workflows import Workflows
from encore.catalogue import get_product
from encore.clock import iso, utcnow
from encore.customers import upsert_customer
from encore.events import MAX_LINES, MAX_QUANTITY, CartChange, CartUpdated, Line, OrderPlaced
from encore.journeys import Journeys, execution_name
from encore.observability import logger
from encore.scenarios import cart_abandonment
from encore.scenarios.cart_abandonment import NAME as CART_ABANDONMENT
from encore.storage import shopping_state
from encore.storage.carts import CartAsRead, CartState
from encore.storage.records import Cart, Product
from encore.storage.shopping_state import ShoppingStorage
from encore.storage.waits import Wait, WaitStore
from encore.stores import StoreSettings

OUTCOME_ORDERED = "ordered"
OUTCOME_EMPTIED = "cart_emptied"
OUTCOME_CART_CHANGED = "cart_changed"
# Each move costs the journey about a dozen history events: past this many a cart update no
# longer moves the timer (Step Functions keeps at most 25,000 events per execution).
MAX_TIMER_MOVES = 50


def _resolve_customer(event: CartUpdated, storage: ShoppingStorage) -> str | None:
    if event.customer:
        if event.link_cart_to_customer:
            storage.carts.link(event.store_id, event.cart_id, event.customer.customer_id)
        return event.customer.customer_id
    return storage.carts.owner(event.store_id, event.cart_id)


@dataclass(frozen=True)
class CartOutcome:
    customer_id: str | None
    journey: str | None = None
    journey_started: bool = False
    stale: bool = False  # the cart was ordered, newer, or (``as_read``) changed since it was read: not written


def apply_cart_updated(
    event: CartUpdated,
    *,
    store: StoreSettings,
    journeys: Journeys,
    as_read: CartAsRead | None = None,
    wait_store: WaitStore | None = None,
    storage: ShoppingStorage | None = None,
) -> CartOutcome:
    """``as_read``: the cart the update was computed from (a single-product change); it is
    written only if the stored cart is still that one."""
    storage = storage or shopping_state.on_dynamodb()
    wait_store = wait_store or storage.waits
    customer_id = _resolve_customer(event, storage)
    if customer_id is None:
        logger.info("cart of an unknown visitor kept no state", extra={"source": event.source})
        return CartOutcome(customer_id=None)
    if event.customer:
        upsert_customer(event.store_id, event.customer, event.occurred_at, storage=storage.customers)
    status: Literal["open", "empty"] = "open" if event.lines else "empty"
    state = CartState(
        store_id=event.store_id,
        customer_id=customer_id,
        cart_id=event.cart_id,
        status=status,
        total_cents=event.total_cents,
        lines=tuple(line.model_dump() for line in event.lines),
        updated_at=event.occurred_at,
        event_id=event.event_id,
        currency=event.currency,
        recovery_url=event.recovery_url,
    )
    # Refused when the cart is ordered (late or reordered cart webhooks must not reopen it) or
    # newer; a write of ours applied and answered as failed (the SDK's retry of a request
    # whose answer was lost meets its own effect) counts as written.
    if not storage.carts.record_update(state, as_read=as_read):
        logger.info("stale or already ordered cart update ignored")
        return CartOutcome(customer_id=customer_id, stale=True)
    if status == "empty":
        _release_cart_journey(event.store_id, customer_id, event.cart_id, {"outcome": OUTCOME_EMPTIED}, journeys.workflows, wait_store)
        return CartOutcome(customer_id=customer_id)
    if not store.cart_abandonment.enabled:
        return CartOutcome(customer_id=customer_id)
    last_order_at = storage.orders.last_order_at(event.store_id, customer_id)
    if last_order_at is not None and last_order_at >= event.occurred_at:
        # An order placed after this cart changed, delivered before it (an order that names
        # no cart): the customer bought; close the cart rather than remind them of it.
        storage.carts.close_open_cart(event.store_id, customer_id, event.cart_id)
        logger.info("cart ordered since it changed: no journey")
        return CartOutcome(customer_id=customer_id)
    if _move_journey_timer(event, customer_id, store, journeys.workflows, wait_store):
        return CartOutcome(customer_id=customer_id, journey=journeys.name(CART_ABANDONMENT, event.store_id, customer_id, event.cart_id))
    waits = cart_abandonment.journey_waits(event, store)
    if waits is None:
        return CartOutcome(customer_id=customer_id)
    name = journeys.name(CART_ABANDONMENT, event.store_id, customer_id, event.cart_id)
    started = cart_abandonment.start_journey(event, customer_id, store, journeys, waits)
    return CartOutcome(customer_id=customer_id, journey=name, journey_started=started)


def _cart_journey(store_id: str, customer_id: str, cart_id: str) -> str:
    """The execution name of the cart's abandonment journey (one per cart), its wait's key."""
    return execution_name(CART_ABANDONMENT, store_id, customer_id, cart_id)


def _move_journey_timer(event: CartUpdated, customer_id: str, store: StoreSettings, workflows: Workflows, wait_store: WaitStore) -> bool:
    """The README's promise: reminders count from the cart's *last* update. If the journey
    waits for a reminder, take its token (atomically, so only one update moves it) and
    release it with the new time; the journey loops back into the same wait. Reminders
    already sent stay sent (the journey never goes back a step). True if a timer moved."""
    journey = _cart_journey(event.store_id, customer_id, event.cart_id)
    taken = wait_store.take_to_move(event.store_id, customer_id, journey, max_moves=MAX_TIMER_MOVES, taker=event.event_id)
    if taken is not None:
        token, reminder = taken.task_token, taken.reminder
    else:
        legacy = wait_store.take_legacy_cart_token(event.store_id, customer_id, event.cart_id, max_moves=MAX_TIMER_MOVES)
        if legacy is None:
            return False  # no journey waiting for a reminder (or the cap is reached)
        token, reminder = legacy.task_token, legacy.reminder
    if reminder is None:  # both takes hold only a wait that leads to a reminder
        raise ValueError("a timer move took a wait that leads to no reminder")
    seconds = store.cart_abandonment.seconds_until_reminder(int(reminder.rsplit("_", 1)[1]), event.occurred_at, utcnow())
    released = workflows.release(token, {"outcome": OUTCOME_CART_CHANGED, "reminder": reminder, "seconds": seconds, "updated_at": iso(event.occurred_at)})
    logger.info("cart changed: reminder timer moved", extra={"reminder": reminder, "seconds": seconds, "released": released})
    return True


def _release_cart_journey(store_id: str, customer_id: str, cart_id: str, outcome: dict, workflows: Workflows, wait_store: WaitStore) -> bool:
    """Release the journey waiting on the cart, if one is parked and this call takes it."""
    journey = _cart_journey(store_id, customer_id, cart_id)
    if waits.take_and_release(store_id, customer_id, journey, outcome, workflows=workflows, wait_store=wait_store):
        return True
    legacy = wait_store.take_legacy_cart_token(store_id, customer_id, cart_id)
    return legacy is not None and workflows.release(legacy.task_token, outcome)


def close_carts_for_order(event: OrderPlaced, *, workflows: Workflows, wait_store: WaitStore | None = None, storage: ShoppingStorage | None = None) -> int:
    """Mark the order's cart (or, when the order names none, the customer's open carts from
    before the order) ordered, and release the journeys waiting on them at once. A cart this
    order closed on an earlier run counts as closed by it, so a retried order still releases."""
    storage = storage or shopping_state.on_dynamodb()
    wait_store = wait_store or storage.waits
    store_id, customer_id = event.store_id, event.customer.customer_id
    ordered = {"outcome": OUTCOME_ORDERED, "order_id": event.order_id, "ordered_at": iso(event.occurred_at)}
    closed: list[str] = []
    # The order's own cart is closed even if its checkout has not arrived yet (webhooks
    # come in any order): a late checkout finds it ordered and starts no journey.
    if event.cart_id and storage.carts.close_for_order(store_id, customer_id, event.cart_id, event.order_id, event.occurred_at):
        closed.append(event.cart_id)
    # Carts this order closed on an earlier run are found again: their journeys are released.
    for cart in storage.carts.carts_for_order(store_id, customer_id, event.order_id):
        if cart.cart_id == event.cart_id:
            continue  # closed above
        if event.cart_id and cart.cart_id != event.cart_id and cart.updated_at > event.occurred_at:
            continue  # a cart started after this order is a new shopping trip
        if storage.carts.close_open_cart(store_id, customer_id, cart.cart_id, order_id=event.order_id):
            closed.append(cart.cart_id)
    return sum(_release_cart_journey(store_id, customer_id, cart_id, ordered, workflows, wait_store) for cart_id in closed)


def park_cart_journey(
    store_id: str,
    customer_id: str,
    cart_id: str,
    task_token: str,
    *,
    now: datetime,
    workflows: Workflows,
    reminder: str | None = None,
    wait_store: WaitStore | None = None,
    storage: ShoppingStorage | None = None,
) -> str:
    """Called by the journey's "wait for an order" step: park its token until the cart's
    order or next update, with the reminder the wait leads to (None: the last wait, for a
    late order), so that a cart update can move that reminder's timer.

    If the cart is no longer open the order (or emptying) already happened: the wait is
    released at once with that outcome."""
    wait = Wait(
        store_id,
        customer_id,
        _cart_journey(store_id, customer_id, cart_id),
        frozenset({waits.CART_ORDER_OR_UPDATE}),
        task_token,
        now,
        key=cart_id,
        reminder=reminder,
    )
    storage = storage or shopping_state.on_dynamodb()
    ended = waits.park_until(
        wait, lambda: _cart_closed(storage.carts.cart(store_id, customer_id, cart_id)), workflows=workflows, wait_store=wait_store or storage.waits
    )
    return ended["outcome"] if ended else "waiting"


def _cart_closed(current: Cart | None) -> dict | None:
    """How the cart's journey ends if the cart (read consistently) is no longer open (None: it is open)."""
    if current is not None and current.status == "open":
        return None
    if current is not None and current.status == "ordered":
        return {"outcome": OUTCOME_ORDERED, "order_id": current.order_id}
    return {"outcome": OUTCOME_EMPTIED}


# ---------------------------------------------------------------------------- single-product changes
MAX_CHANGE_ATTEMPTS = 5  # concurrent changes of one cart each retry on the cart the other wrote


def apply_cart_change(
    event: CartUpdated, *, store: StoreSettings, journeys: Journeys, storage: ShoppingStorage | None = None
) -> tuple[CartOutcome, CartUpdated | None]:
    """A single-product Product Added / Removed (``event.change``) applied to the cart as
    stored, then everything a whole-cart update does (``apply_cart_updated``). Returns the
    outcome and the whole-cart event that was applied (None when nothing changed).

    Read, change, write only if the cart is still as read: two changes of one cart at once
    (two add-to-cart clicks) both count, the second retrying on the cart the first wrote. A
    change older than the cart's last update, or to an ordered cart, is ignored like any stale
    cart update (the newer state already counts it, or the cart is bought); removing a product
    the cart does not hold changes nothing."""
    change = event.change
    if change is None:  # triggers.cart_updated sends only change events here
        raise ValueError("apply_cart_change needs an event with a change")
    storage = storage or shopping_state.on_dynamodb()
    customer_id = _resolve_customer(event, storage)
    if customer_id is None:
        logger.info("cart change of an unknown visitor kept no state", extra={"source": event.source})
        return CartOutcome(customer_id=None), None
    for _attempt in range(MAX_CHANGE_ATTEMPTS):
        current = _cart_to_change(storage, customer_id, event, change)
        if current is not None and (current.status == "ordered" or current.updated_at > event.occurred_at):
            logger.info("stale or already ordered cart change ignored")
            return CartOutcome(customer_id=customer_id, stale=True), None
        lines = [Line(**line.as_dict()) for line in current.lines] if current is not None else []
        # This very change, written by an earlier run that failed after the write (a retry):
        # its lines stand, and what follows the write runs again (each step once-only itself).
        written_before = current is not None and current.last_event_id == event.event_id
        changed = lines if written_before else changed_lines(lines, change, _catalogue_entry(event.store_id, change))
        if changed == lines and not written_before:
            logger.info("cart change left the cart as it was", extra={"action": change.action})
            return CartOutcome(customer_id=customer_id), None
        whole = event.model_copy(update={"cart_id": current.cart_id if current is not None else event.cart_id, "lines": changed, "change": None})
        as_read = CartAsRead(updated_at=current.updated_at if current is not None else None)
        outcome = apply_cart_updated(whole, store=store, journeys=journeys, as_read=as_read, storage=storage)
        if not outcome.stale:
            return outcome, whole
    logger.warning("cart kept changing while a change was applied: change dropped", extra={"attempts": MAX_CHANGE_ATTEMPTS})
    return CartOutcome(customer_id=customer_id, stale=True), None


def _cart_to_change(storage: ShoppingStorage, customer_id: str, event: CartUpdated, change: CartChange) -> Cart | None:
    """The cart the change names; without one, the customer's latest open cart (None: the
    change starts a cart with the event's ``cart_id``)."""
    if not change.to_open_cart:
        return storage.carts.cart(event.store_id, customer_id, event.cart_id)
    return storage.carts.latest_open_cart(event.store_id, customer_id)


def _catalogue_entry(store_id: str, change: CartChange) -> Product | None:
    """The store's catalogue entry for an added product whose event leaves out its name or price."""
    if change.action != "add" or (change.title is not None and change.price_cents is not None):
        return None
    return get_product(store_id, change.product_id)


def changed_lines(lines: list[Line], change: CartChange, catalogued: Product | None = None) -> list[Line]:
    """The cart's lines after one product was added or removed. An added product already in
    the cart gets the added quantity (its fields as the event gives them); a new one takes
    what the event leaves out from the catalogue (else its id as title, no price). A removal
    takes away the quantity removed, the whole line when it names none or all of it."""
    index = next((position for position, line in enumerate(lines) if line.product_id == change.product_id), None)
    changed = list(lines)
    if change.action == "remove":
        if index is None:
            return changed
        line = lines[index]
        if change.quantity is None or change.quantity >= line.quantity:
            del changed[index]
        else:
            changed[index] = line.model_copy(update={"quantity": line.quantity - change.quantity})
        return changed
    added = change.quantity or 1
    given = {
        name: value
        for name, value in (("title", change.title), ("price_cents", change.price_cents), ("url", change.url), ("image_url", change.image_url))
        if value is not None
    }
    if index is not None:
        line = lines[index]
        changed[index] = line.model_copy(update={**given, "quantity": min(line.quantity + added, MAX_QUANTITY)})
        return changed
    if len(lines) >= MAX_LINES:
        logger.warning("cart holds the most lines there may be: added product not kept", extra={"lines": len(lines)})
        return changed
    known = {}
    if catalogued is not None:
        known = {"title": catalogued.title, "price_cents": catalogued.price_cents, "url": catalogued.url, "image_url": catalogued.image_url}
    fields = {"title": change.product_id, "price_cents": 0, **{name: value for name, value in known.items() if value is not None}, **given}
    changed.append(Line.model_validate({"product_id": change.product_id, "quantity": added, **fields}))
    return changed
