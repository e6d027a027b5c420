"""The cart abandonment journey's wait, on a bare table: parked like every other journey's
wait, released exactly once by the cart's order (whichever of the two comes first, or both at
once), moved by a cart update; and tokens a journey of the previous release parked on the cart
item itself still released (the legacy path, see ``storage.waits.take_legacy_cart_token``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from encore import waits
from encore.carts import OUTCOME_CART_CHANGED, OUTCOME_EMPTIED, OUTCOME_ORDERED, apply_cart_updated, close_carts_for_order, park_cart_journey
from encore.events import CartUpdated, CustomerRef, Line, OrderPlaced
from encore.journeys import Journeys
from encore.models import Cart, JourneyWait, customer_key
from encore.privacy import erase_customer
from encore.storage.waits import DynamoWaitStore, Wait
from encore.stores import StoreSettings
from tests.unit.delivery_moto import bare_table  # noqa: F401  (the `table` fixture)

STORE, CUSTOMER, CART = "shop", "olena", "cart-7"
SETTINGS = StoreSettings.from_dict(STORE, {"postal_address": "1 Main St"})


@dataclass
class RecordingWorkflows:
    released: list = field(default_factory=list)
    started: list = field(default_factory=list)

    def start(self, state_machine_arn: str, name: str, payload: dict) -> bool:
        self.started.append(name)
        return True

    def release(self, task_token: str, outcome: dict) -> bool:
        self.released.append((task_token, outcome))
        return True


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _cart_update(event_id: str, *, lines: int = 1, at: datetime | None = None) -> CartUpdated:
    return CartUpdated(
        event_id=event_id,
        store_id=STORE,
        occurred_at=at or _now(),
        source="api:Cart Updated",
        customer=CustomerRef(customer_id=CUSTOMER, email="olena@example.com", accepts_email_marketing=True),
        cart_id=CART,
        lines=[Line(product_id="linen-shirt", title="Linen shirt", quantity=1, price_cents=4500)] * lines,
    )


def _order(order_id: str = "1001") -> OrderPlaced:
    return OrderPlaced(
        event_id=f"order-{order_id}",
        store_id=STORE,
        occurred_at=_now(),
        source="api:Order Completed",
        customer=CustomerRef(customer_id=CUSTOMER),
        order_id=order_id,
        cart_id=CART,
        total_cents=4500,
    )


def _open_cart(workflows: RecordingWorkflows) -> None:
    apply_cart_updated(_cart_update("cart-1"), store=SETTINGS, journeys=Journeys(workflows, "arn:sm:test-"))


def _park(workflows: RecordingWorkflows, token: str, reminder: str | None = "reminder_1", wait_store=None) -> str:
    return park_cart_journey(STORE, CUSTOMER, CART, token, now=_now(), workflows=workflows, reminder=reminder, wait_store=wait_store)


def _outcomes(workflows: RecordingWorkflows) -> list[tuple[str, str]]:
    return [(token, outcome["outcome"]) for token, outcome in workflows.released]


def test_the_cart_journey_parks_in_a_journey_wait_and_the_order_releases_it_once(table):
    workflows = RecordingWorkflows()
    _open_cart(workflows)

    assert _park(workflows, "token-1") == "waiting"
    (record,) = JourneyWait.query(customer_key(STORE, CUSTOMER), JourneyWait.sk.startswith("WAIT#"))
    assert (record.key, record.reminder, set(record.awaiting)) == (CART, "reminder_1", {waits.CART_ORDER_OR_UPDATE})
    assert Cart.get(customer_key(STORE, CUSTOMER), Cart.sort_key(CART)).journey_token is None  # nothing parks on the cart now

    assert close_carts_for_order(_order(), workflows=workflows) == 1
    assert close_carts_for_order(_order(), workflows=workflows) == 0  # a retried order releases nothing twice
    assert _outcomes(workflows) == [("token-1", OUTCOME_ORDERED)]


def test_a_journey_parking_after_the_order_is_released_at_once_as_ordered(table):
    workflows = RecordingWorkflows()
    _open_cart(workflows)
    close_carts_for_order(_order(), workflows=workflows)

    assert _park(workflows, "token-1") == OUTCOME_ORDERED
    assert workflows.released == [("token-1", {"outcome": OUTCOME_ORDERED, "order_id": "1001"})]


def test_an_order_landing_while_the_journey_parks_releases_it_exactly_once(table):
    """The order closes the cart between the park's write and its read: both see the other,
    and only one of them takes the token."""
    workflows = RecordingWorkflows()
    _open_cart(workflows)

    class OrderArrivesDuringPark(DynamoWaitStore):
        def park(self, wait: Wait) -> None:
            super().park(wait)
            close_carts_for_order(_order(), workflows=workflows)

    _park(workflows, "token-1", wait_store=OrderArrivesDuringPark())
    assert _outcomes(workflows) == [("token-1", OUTCOME_ORDERED)]


def test_an_emptied_cart_releases_the_journey_as_emptied(table):
    workflows = RecordingWorkflows()
    _open_cart(workflows)
    _park(workflows, "token-1")

    apply_cart_updated(_cart_update("cart-2", lines=0), store=SETTINGS, journeys=Journeys(workflows, "arn:sm:test-"))
    assert _outcomes(workflows) == [("token-1", OUTCOME_EMPTIED)]


def test_a_cart_update_moves_the_pending_reminder_and_the_journey_parks_again(table):
    workflows = RecordingWorkflows()
    _open_cart(workflows)
    _park(workflows, "token-1", reminder="reminder_2")

    outcome = apply_cart_updated(_cart_update("cart-2"), store=SETTINGS, journeys=Journeys(workflows, "arn:sm:test-"))
    assert outcome.journey and not outcome.journey_started
    ((token, moved),) = workflows.released
    assert (token, moved["outcome"], moved["reminder"]) == ("token-1", OUTCOME_CART_CHANGED, "reminder_2")

    assert _park(workflows, "token-2", reminder="reminder_2") == "waiting"
    close_carts_for_order(_order(), workflows=workflows)
    assert _outcomes(workflows)[1:] == [("token-2", OUTCOME_ORDERED)]


# ---------------------------------------------------------------- LEGACY: tokens parked on the cart
# Remove with DynamoWaitStore.take_legacy_cart_token (after 2027-03-03).
def _legacy_token_on_cart(token: str, reminder: str | None) -> None:
    """What a cart journey of the previous release left on its open cart while it waited."""
    Cart(customer_key(STORE, CUSTOMER), Cart.sort_key(CART)).update(actions=[Cart.journey_token.set(token), Cart.journey_reminder.set(reminder)])


def test_legacy_an_order_releases_a_journey_parked_on_the_cart_by_the_previous_release_once(table):
    workflows = RecordingWorkflows()
    _open_cart(workflows)
    _legacy_token_on_cart("old-token", "reminder_3")

    assert close_carts_for_order(_order(), workflows=workflows) == 1
    assert close_carts_for_order(_order(), workflows=workflows) == 0
    assert _outcomes(workflows) == [("old-token", OUTCOME_ORDERED)]


def test_legacy_a_cart_update_moves_the_timer_of_a_journey_parked_on_the_cart_which_then_parks_in_a_wait(table):
    workflows = RecordingWorkflows()
    _open_cart(workflows)
    _legacy_token_on_cart("old-token", "reminder_1")

    apply_cart_updated(_cart_update("cart-2", at=_now() + timedelta(seconds=1)), store=SETTINGS, journeys=Journeys(workflows, "arn:sm:test-"))
    assert _outcomes(workflows) == [("old-token", OUTCOME_CART_CHANGED)]
    assert Cart.get(customer_key(STORE, CUSTOMER), Cart.sort_key(CART)).journey_token is None

    _park(workflows, "new-token")  # the journey loops back into its wait: today's kind
    apply_cart_updated(_cart_update("cart-3", lines=0, at=_now() + timedelta(seconds=2)), store=SETTINGS, journeys=Journeys(workflows, "arn:sm:test-"))
    assert _outcomes(workflows)[1:] == [("new-token", OUTCOME_EMPTIED)]


def test_legacy_an_emptied_cart_releases_a_journey_parked_on_it(table):
    workflows = RecordingWorkflows()
    _open_cart(workflows)
    _legacy_token_on_cart("old-token", None)

    apply_cart_updated(_cart_update("cart-2", lines=0, at=_now() + timedelta(seconds=1)), store=SETTINGS, journeys=Journeys(workflows, "arn:sm:test-"))
    assert _outcomes(workflows) == [("old-token", OUTCOME_EMPTIED)]


# ---------------------------------------------------------------- the one request model
def test_one_request_model_reads_both_wait_steps_payloads_and_refuses_a_mixed_one():
    events = waits.WaitRequest.model_validate(
        {"task_token": "t", "store_id": STORE, "customer_id": CUSTOMER, "journey": "post-purchase-1", "awaiting": ["order_fulfilled"], "key": "1001"}
    )
    cart = waits.WaitRequest.model_validate({"task_token": "t", "store_id": STORE, "customer_id": CUSTOMER, "cart_id": CART, "reminder": "reminder_1"})
    assert isinstance(events.root, waits.EventWaitRequest) and isinstance(cart.root, waits.CartWaitRequest)

    for mixed in ({"cart_id": CART, "awaiting": ["order_placed"], "journey": "j"}, {}, {"cart_id": CART, "reminder": "reminder_9"}):
        with pytest.raises(ValidationError):
            waits.WaitRequest.model_validate({"task_token": "t", "store_id": STORE, "customer_id": CUSTOMER, **mixed})


def test_an_erasure_ends_each_parked_journey_in_the_shape_it_reads(table):
    """A cart journey reads ``outcome``, the others ``event``; a token on the cart (legacy) too."""
    workflows = RecordingWorkflows()
    _open_cart(workflows)
    _park(workflows, "cart-token")
    waits.park(STORE, CUSTOMER, "welcome-series-shop-olena", ["order_placed"], None, "event-token", now=_now(), workflows=workflows)
    apply_cart_updated(
        _cart_update("cart-9", at=_now()).model_copy(update={"cart_id": "cart-old"}), store=SETTINGS, journeys=Journeys(workflows, "arn:sm:test-")
    )
    Cart(customer_key(STORE, CUSTOMER), Cart.sort_key("cart-old")).update(actions=[Cart.journey_token.set("legacy-token")])

    assert erase_customer(STORE, CUSTOMER, workflows=workflows).journeys_stopped == 3
    assert sorted(workflows.released, key=lambda released: released[0]) == [
        ("cart-token", {"outcome": "customer_erased"}),
        ("event-token", {"event": "customer_erased"}),
        ("legacy-token", {"outcome": "customer_erased"}),
    ]
