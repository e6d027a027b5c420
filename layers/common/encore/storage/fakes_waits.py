"""An in-memory ``WaitStore``: the same conditional park / take / move as the table, for
domain tests that run in milliseconds (``tests/contracts/test_wait_store.py`` keeps the two
alike)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from encore.storage.waits import LegacyCartWait, Wait


@dataclass
class _Record:
    wait: Wait | None  # None: a cart journey between two waits (only its timer count is kept)
    timer_moves: int = 0
    moved: tuple[str, Wait] | None = None  # the last move's taker and what it took


@dataclass
class _LegacyCart:
    status: str
    task_token: str | None
    reminder: str | None
    timer_moves: int = 0


class FakeWaitStore:
    def __init__(self) -> None:
        self._records: dict[tuple[str, str, str], _Record] = {}
        self._legacy_carts: dict[tuple[str, str, str], _LegacyCart] = {}

    def park(self, wait: Wait) -> None:
        key = (wait.store_id, wait.customer_id, wait.journey)
        moves = self._records[key].timer_moves if key in self._records else 0
        self._records[key] = _Record(replace(wait, timer_moves=moves), moves)

    def take(self, store_id: str, customer_id: str, journey: str, *, task_token: str | None = None) -> Wait | None:
        record = self._records.get((store_id, customer_id, journey))
        if record is None or record.wait is None or (task_token is not None and record.wait.task_token != task_token):
            return None
        del self._records[(store_id, customer_id, journey)]
        return record.wait

    def take_to_move(self, store_id: str, customer_id: str, journey: str, *, max_moves: int, taker: str) -> Wait | None:
        record = self._records.get((store_id, customer_id, journey))
        if record is None:
            return None
        if record.wait is None:
            return record.moved[1] if record.moved and record.moved[0] == taker else None
        if record.wait.reminder is None or record.timer_moves >= max_moves:
            return None
        taken = record.wait
        record.wait, record.timer_moves, record.moved = None, record.timer_moves + 1, (taker, taken)
        return taken

    def get(self, store_id: str, customer_id: str, journey: str) -> Wait | None:
        record = self._records.get((store_id, customer_id, journey))
        return record.wait if record is not None else None

    def of_customer(self, store_id: str, customer_id: str) -> list[Wait]:
        return [record.wait for (store, customer, _), record in sorted(self._records.items()) if (store, customer) == (store_id, customer_id) and record.wait]

    # LEGACY (remove with DynamoWaitStore.take_legacy_cart_token): tokens parked on the cart.
    def put_legacy_cart_token(
        self, store_id: str, customer_id: str, cart_id: str, task_token: str, *, reminder: str | None, status: str = "open", timer_moves: int = 0
    ) -> None:
        """What a journey of an earlier release left on its cart (a test's starting point)."""
        self._legacy_carts[(store_id, customer_id, cart_id)] = _LegacyCart(status, task_token, reminder, timer_moves)

    def take_legacy_cart_token(self, store_id: str, customer_id: str, cart_id: str, *, max_moves: int | None = None) -> LegacyCartWait | None:
        cart = self._legacy_carts.get((store_id, customer_id, cart_id))
        if cart is None or cart.task_token is None:
            return None
        if max_moves is not None and (cart.status != "open" or cart.reminder is None or cart.timer_moves >= max_moves):
            return None
        taken = LegacyCartWait(cart.task_token, cart.reminder)
        cart.task_token = cart.reminder = None
        if max_moves is not None:
            cart.timer_moves += 1
        return taken
