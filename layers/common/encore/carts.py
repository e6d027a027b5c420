"""Carts, and the cart-abandonment journey's control points.

The journey and the order event meet on the cart item: the journey parks its task token
there only while the cart is open (conditional write), and the order marks the cart ordered
and takes the token in one atomic update. Whichever comes first, the other sees it, so an
order always reaches the journey at once and never at the next timer.
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.expressions.update import Action

from encore.adapters.workflows import Workflows
from encore.catalogue import get_product
from encore.clock import iso, utcnow
from encore.customers import upsert_customer
from encore.events import MAX_LINES, MAX_QUANTITY, CartChange, CartUpdated, Line, OrderPlaced
from encore.journeys import Journeys
from encore.models import Cart, CartLineAttribute, CartLink, Customer, Product, condition_failed, customer_key, get_or_none, update_returning
from encore.observability import logger
from encore.scenarios import cart_abandonment
from encore.scenarios.cart_abandonment import NAME as CART_ABANDONMENT
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


def apply_cart_updated(event: CartUpdated, *, store: StoreSettings, journeys: Journeys, precondition=None) -> CartOutcome:
    """``precondition`` (a condition on the stored cart) must also hold for the write."""
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
        _release_waiting_journey(pk, event.cart_id, {"outcome": OUTCOME_EMPTIED}, journeys.workflows)
        return CartOutcome(customer_id=customer_id)
    if not store.cart_abandonment.enabled:
        return CartOutcome(customer_id=customer_id)
    if _ordered_since(event.store_id, customer_id, event.occurred_at):
        # An order placed after this cart changed, delivered before it (an order that names
        # no cart): the customer bought; close the cart rather than remind them of it.
        _take_journey_token(pk, event.cart_id, [Cart.status.set("ordered")], Cart.status == "open", missing_ok=True)
        logger.info("cart ordered since it changed: no journey")
        return CartOutcome(customer_id=customer_id)
    if _move_journey_timer(pk, event, store, journeys.workflows):
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


def _move_journey_timer(pk: str, event: CartUpdated, store: StoreSettings, workflows: Workflows) -> bool:
    """The README's promise: reminders count from the cart's *last* update. If the journey
    waits for a reminder, take its token (atomically, so only one update moves it) and
    release it with the new time; the journey loops back into the same wait. Reminders
    already sent stay sent (the journey never goes back a step). True if a timer moved."""
    old = update_returning(
        Cart,
        (pk, Cart.sort_key(event.cart_id)),
        actions=[Cart.journey_token.remove(), Cart.journey_reminder.remove(), Cart.timer_moves.add(1)],
        condition=(Cart.status == "open")
        & Cart.journey_token.exists()
        & Cart.journey_reminder.exists()
        & (Cart.timer_moves.does_not_exist() | (Cart.timer_moves < MAX_TIMER_MOVES)),
        return_values="ALL_OLD",
    )
    if old is None:
        return False  # no journey waiting for a reminder (or the cap is reached)
    reminder = old["journey_reminder"]["S"]
    seconds = store.cart_abandonment.seconds_until_reminder(int(reminder.rsplit("_", 1)[1]), event.occurred_at, utcnow())
    released = workflows.release(
        old["journey_token"]["S"], {"outcome": OUTCOME_CART_CHANGED, "reminder": reminder, "seconds": seconds, "updated_at": iso(event.occurred_at)}
    )
    logger.info("cart changed: reminder timer moved", extra={"reminder": reminder, "seconds": seconds, "released": released})
    return True


def _ordered_since(store_id: str, customer_id: str, moment) -> bool:
    profile = get_or_none(Customer, customer_key(store_id, customer_id), Customer.sort_key())
    return bool(profile and profile.last_order_at and profile.last_order_at >= moment)


def _take_journey_token(pk: str, cart_id: str, actions: list, condition, *, missing_ok: bool = False) -> str | None:
    """Apply ``actions`` to the cart and return the journey token it held, in one atomic update.
    With ``missing_ok``, a condition found false (the cart is empty or already ordered) is
    not an error: there is nothing to close."""
    try:
        old = update_returning(
            Cart, (pk, Cart.sort_key(cart_id)), actions=[*actions, Cart.journey_token.remove()], condition=condition, return_values="ALL_OLD"
        )
    except UpdateError as error:
        if missing_ok and condition_failed(error):
            return None
        raise
    return (old or {}).get("journey_token", {}).get("S")


def _release_waiting_journey(pk: str, cart_id: str, outcome: dict, workflows: Workflows) -> None:
    token = _take_journey_token(pk, cart_id, [], Cart.journey_token.exists())
    if token:
        workflows.release(token, outcome)


def close_carts_for_order(event: OrderPlaced, *, workflows: Workflows) -> int:
    """Mark the order's cart (or, when the order names none, the customer's open carts from
    before the order) ordered, and release the journeys waiting on them at once."""
    pk = customer_key(event.store_id, event.customer.customer_id)
    released = 0
    if event.cart_id:
        # The order's own cart is closed even if its checkout has not arrived yet (webhooks
        # come in any order): a late checkout finds it ordered and starts no journey.
        token = _take_journey_token(
            pk,
            event.cart_id,
            [
                Cart.status.set("ordered"),
                Cart.order_id.set(event.order_id),
                Cart.store_id.set(event.store_id),
                Cart.customer_id.set(event.customer.customer_id),
                Cart.cart_id.set(event.cart_id),
                Cart.updated_at.set(Cart.updated_at | event.occurred_at),
            ],
            Cart.status.does_not_exist() | (Cart.status == "open"),
            missing_ok=True,
        )
        if token and workflows.release(token, {"outcome": OUTCOME_ORDERED, "order_id": event.order_id, "ordered_at": iso(event.occurred_at)}):
            released += 1
    for cart in Cart.query(pk, Cart.sk.startswith("CART#"), filter_condition=Cart.status == "open"):
        if event.cart_id and cart.cart_id != event.cart_id and cart.updated_at > event.occurred_at:
            continue  # a cart started after this order is a new shopping trip
        token = _take_journey_token(pk, cart.cart_id, [Cart.status.set("ordered"), Cart.order_id.set(event.order_id)], Cart.status == "open")
        if token and workflows.release(token, {"outcome": OUTCOME_ORDERED, "order_id": event.order_id, "ordered_at": iso(event.occurred_at)}):
            released += 1
    return released


def park_cart_journey(store_id: str, customer_id: str, cart_id: str, task_token: str, *, workflows: Workflows, reminder: str | None = None) -> str:
    """Called by the journey's "wait for an order" step: keep its token on the open cart,
    with the reminder the wait leads to (None: the last wait, for a late order), so that a
    cart update can move that reminder's timer.

    If the cart is no longer open the order (or emptying) already happened: release the
    wait at once with that outcome instead of parking.
    """
    pk = customer_key(store_id, customer_id)
    cart = Cart(pk, Cart.sort_key(cart_id))
    marker = Cart.journey_reminder.set(reminder) if reminder else Cart.journey_reminder.remove()
    try:
        cart.update(actions=[Cart.journey_token.set(task_token), marker], condition=Cart.status == "open")
        return "waiting"
    except UpdateError as error:
        if not condition_failed(error):
            raise
    try:
        current = Cart.get(pk, Cart.sort_key(cart_id), consistent_read=True)
    except DoesNotExist:
        current = None
    if current is not None and current.status == "open" and current.journey_token == task_token:
        # Our own write was applied and its answer lost; the SDK's retry then met a cart that
        # already held the token. The journey is parked: releasing it as "emptied" would end
        # it for a cart that is still waiting to be bought.
        return "waiting"
    if current is not None and current.status == "ordered":
        outcome = {"outcome": OUTCOME_ORDERED, "order_id": current.order_id}
    else:
        outcome = {"outcome": OUTCOME_EMPTIED}
    workflows.release(task_token, outcome)
    return outcome["outcome"]


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
