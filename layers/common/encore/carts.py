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

from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.expressions.update import Action

from encore import waits
from encore.adapters.workflows import Workflows
from encore.catalogue import get_product
from encore.clock import iso, utcnow
from encore.customers import upsert_customer
from encore.events import MAX_LINES, MAX_QUANTITY, CartChange, CartUpdated, Line, OrderPlaced
from encore.journeys import Journeys, execution_name
from encore.models import Cart, CartLineAttribute, CartLink, Customer, Product, condition_failed, customer_key, get_or_none
from encore.observability import logger
from encore.scenarios import cart_abandonment
from encore.scenarios.cart_abandonment import NAME as CART_ABANDONMENT
from encore.storage.waits import DynamoWaitStore, Wait, WaitStore
from encore.stores import StoreSettings

OUTCOME_ORDERED = "ordered"
OUTCOME_EMPTIED = "cart_emptied"
OUTCOME_CART_CHANGED = "cart_changed"
# Each move costs the journey about a dozen history events: past this many a cart update no
# longer moves the timer (Step Functions keeps at most 25,000 events per execution).
MAX_TIMER_MOVES = 50


def _resolve_customer(event: CartUpdated) -> str | None:
    pk, sk = CartLink.key(event.store_id, event.cart_id)
    if event.customer:
        if event.link_cart_to_customer:
            CartLink(pk, sk, customer_id=event.customer.customer_id).save()
        return event.customer.customer_id
    try:
        return CartLink.get(pk, sk).customer_id
    except DoesNotExist:
        return None


@dataclass(frozen=True)
class CartOutcome:
    customer_id: str | None
    journey: str | None = None
    journey_started: bool = False
    stale: bool = False  # the cart was ordered, newer, or (with a precondition) changed: not written


def apply_cart_updated(event: CartUpdated, *, store: StoreSettings, journeys: Journeys, precondition=None, wait_store: WaitStore | None = None) -> CartOutcome:
    """``precondition`` (a condition on the stored cart) must also hold for the write."""
    wait_store = wait_store or DynamoWaitStore()
    customer_id = _resolve_customer(event)
    if customer_id is None:
        logger.info("cart of an unknown visitor kept no state", extra={"source": event.source})
        return CartOutcome(customer_id=None)
    if event.customer:
        upsert_customer(event.store_id, event.customer, event.occurred_at)
    pk = customer_key(event.store_id, customer_id)
    status = "open" if event.lines else "empty"
    cart = Cart(pk, Cart.sort_key(event.cart_id))
    actions: list[Action] = [
        Cart.store_id.set(event.store_id),
        Cart.customer_id.set(customer_id),
        Cart.cart_id.set(event.cart_id),
        Cart.status.set(status),
        Cart.total_cents.set(event.total_cents),
        Cart.lines.set([CartLineAttribute(**line.model_dump()) for line in event.lines]),
        Cart.updated_at.set(event.occurred_at),
        Cart.last_event_id.set(event.event_id),
    ]
    if event.currency:
        actions.append(Cart.currency.set(event.currency))
    if event.recovery_url:
        actions.append(Cart.recovery_url.set(event.recovery_url))
    # An ordered cart stays ordered (late or reordered cart webhooks must not reopen it),
    # and an older update never overwrites a newer one.
    condition = (Cart.status.does_not_exist() | (Cart.status != "ordered")) & (Cart.updated_at.does_not_exist() | (Cart.updated_at <= event.occurred_at))
    try:
        cart.update(actions=actions, condition=condition if precondition is None else condition & precondition)
    except UpdateError as error:
        if not condition_failed(error):
            raise
        # Our own write may have been applied and answered as failed (the SDK's retry of a
        # request whose answer was lost meets its own effect): then the update happened.
        if not _written_by(pk, event, status):
            logger.info("stale or already ordered cart update ignored")
            return CartOutcome(customer_id=customer_id, stale=True)
    if status == "empty":
        _release_cart_journey(event.store_id, customer_id, event.cart_id, {"outcome": OUTCOME_EMPTIED}, journeys.workflows, wait_store)
        return CartOutcome(customer_id=customer_id)
    if not store.cart_abandonment.enabled:
        return CartOutcome(customer_id=customer_id)
    if _ordered_since(event.store_id, customer_id, event.occurred_at):
        # An order placed after this cart changed, delivered before it (an order that names
        # no cart): the customer bought; close the cart rather than remind them of it.
        _close_cart(pk, event.cart_id, [Cart.status.set("ordered")], Cart.status == "open")
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


def _written_by(pk: str, event: CartUpdated, status: str) -> bool:
    """The cart is exactly as this event's update left it: nothing (an order, a later update)
    changed it since. A replay of an event whose cart was ordered since is not."""
    stored = get_or_none(Cart, pk, Cart.sort_key(event.cart_id), consistent_read=True)
    return stored is not None and (stored.last_event_id, stored.updated_at, stored.status) == (event.event_id, event.occurred_at, status)


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


def _ordered_since(store_id: str, customer_id: str, moment) -> bool:
    profile = get_or_none(Customer, customer_key(store_id, customer_id), Customer.sort_key())
    return bool(profile and profile.last_order_at and profile.last_order_at >= moment)


def _close_cart(pk: str, cart_id: str, actions: list, condition, *, order_id: str | None = None) -> bool:
    """Apply ``actions`` to the cart if ``condition`` holds. True when the cart is now closed
    by this call, or (``order_id``) was closed by the same order before: a retry of an order
    whose run failed after closing the cart still releases the cart's journey."""
    try:
        Cart(pk, Cart.sort_key(cart_id)).update(actions=actions, condition=condition)
        return True
    except UpdateError as error:
        if not condition_failed(error):
            raise
    if order_id is None:
        return False
    current = get_or_none(Cart, pk, Cart.sort_key(cart_id), consistent_read=True)
    return current is not None and current.status == "ordered" and current.order_id == order_id


def _release_cart_journey(store_id: str, customer_id: str, cart_id: str, outcome: dict, workflows: Workflows, wait_store: WaitStore) -> bool:
    """Release the journey waiting on the cart, if one is parked and this call takes it."""
    journey = _cart_journey(store_id, customer_id, cart_id)
    if waits.take_and_release(store_id, customer_id, journey, outcome, workflows=workflows, wait_store=wait_store):
        return True
    legacy = wait_store.take_legacy_cart_token(store_id, customer_id, cart_id)
    return legacy is not None and workflows.release(legacy.task_token, outcome)


def close_carts_for_order(event: OrderPlaced, *, workflows: Workflows, wait_store: WaitStore | None = None) -> int:
    """Mark the order's cart (or, when the order names none, the customer's open carts from
    before the order) ordered, and release the journeys waiting on them at once."""
    wait_store = wait_store or DynamoWaitStore()
    store_id, customer_id = event.store_id, event.customer.customer_id
    pk = customer_key(store_id, customer_id)
    ordered = {"outcome": OUTCOME_ORDERED, "order_id": event.order_id, "ordered_at": iso(event.occurred_at)}
    closed: list[str] = []
    if event.cart_id:
        # The order's own cart is closed even if its checkout has not arrived yet (webhooks
        # come in any order): a late checkout finds it ordered and starts no journey.
        actions = [
            Cart.status.set("ordered"),
            Cart.order_id.set(event.order_id),
            Cart.store_id.set(store_id),
            Cart.customer_id.set(customer_id),
            Cart.cart_id.set(event.cart_id),
            Cart.updated_at.set(Cart.updated_at | event.occurred_at),
        ]
        if _close_cart(pk, event.cart_id, actions, Cart.status.does_not_exist() | (Cart.status == "open"), order_id=event.order_id):
            closed.append(event.cart_id)
    # Carts this order closed on an earlier run are found again: their journeys are released.
    for cart in Cart.query(pk, Cart.sk.startswith("CART#"), filter_condition=(Cart.status == "open") | (Cart.order_id == event.order_id)):
        if cart.cart_id == event.cart_id:
            continue  # closed above
        if event.cart_id and cart.cart_id != event.cart_id and cart.updated_at > event.occurred_at:
            continue  # a cart started after this order is a new shopping trip
        actions = [Cart.status.set("ordered"), Cart.order_id.set(event.order_id)]
        if _close_cart(pk, cart.cart_id, actions, Cart.status == "open", order_id=event.order_id):
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
    pk = customer_key(store_id, customer_id)
    ended = waits.park_until(wait, lambda: _cart_closed(pk, cart_id), workflows=workflows, wait_store=wait_store or DynamoWaitStore())
    return ended["outcome"] if ended else "waiting"


def _cart_closed(pk: str, cart_id: str) -> dict | None:
    """How the cart's journey ends if the cart is no longer open (None: it is open)."""
    current = get_or_none(Cart, pk, Cart.sort_key(cart_id), consistent_read=True)
    if current is not None and current.status == "open":
        return None
    if current is not None and current.status == "ordered":
        return {"outcome": OUTCOME_ORDERED, "order_id": current.order_id}
    return {"outcome": OUTCOME_EMPTIED}


# ---------------------------------------------------------------------------- single-product changes
MAX_CHANGE_ATTEMPTS = 5  # concurrent changes of one cart each retry on the cart the other wrote


def apply_cart_change(event: CartUpdated, *, store: StoreSettings, journeys: Journeys) -> tuple[CartOutcome, CartUpdated | None]:
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
    customer_id = _resolve_customer(event)
    if customer_id is None:
        logger.info("cart change of an unknown visitor kept no state", extra={"source": event.source})
        return CartOutcome(customer_id=None), None
    pk = customer_key(event.store_id, customer_id)
    for _attempt in range(MAX_CHANGE_ATTEMPTS):
        current = _cart_to_change(pk, event, change)
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
        unchanged = Cart.updated_at.does_not_exist() if current is None else (Cart.updated_at == current.updated_at)
        outcome = apply_cart_updated(whole, store=store, journeys=journeys, precondition=unchanged)
        if not outcome.stale:
            return outcome, whole
    logger.warning("cart kept changing while a change was applied: change dropped", extra={"attempts": MAX_CHANGE_ATTEMPTS})
    return CartOutcome(customer_id=customer_id, stale=True), None


def _cart_to_change(pk: str, event: CartUpdated, change: CartChange) -> Cart | None:
    """The cart the change names; without one, the customer's latest open cart (None: the
    change starts a cart with the event's ``cart_id``)."""
    if not change.to_open_cart:
        return get_or_none(Cart, pk, Cart.sort_key(event.cart_id), consistent_read=True)
    open_carts = list(Cart.query(pk, Cart.sk.startswith("CART#"), filter_condition=Cart.status == "open", consistent_read=True))
    return max(open_carts, key=lambda cart: cart.updated_at, default=None)


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
