"""Cart reminders keep to the cart's own time: +1 h, +24 h and +72 h after it was last updated.

Defect 8: a checkout first delivered late (a Shopify retry up to 4 hours, a redrive or a
replay later still) still gets the reminders that are not stale (24 h for cart reminders),
each at its own time or at once if already due; only a historical import starts nothing.
Defect 9: a cart update while the journey waits moves its pending timer.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from email.utils import parsedate_to_datetime

from tests.conftest import START, iso, load_event

SECOND = timedelta(seconds=1)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def _sent(harness) -> list[tuple[str, object]]:
    return [(mail["Subject"], parsedate_to_datetime(mail["Date"]).astimezone(UTC)) for mail in harness.emails("cart-abandonment")]


def test_a_checkout_delivered_4_hours_late_gets_reminder_1_at_once_and_the_others_at_24h_and_72h_from_the_cart(harness):
    harness.run_until(4 * HOUR)
    assert harness.checkout(webhook_id="retried-4h", updated_at=iso(START)).status == 202
    harness.run_until(11 * DAY)

    sent = _sent(harness)
    # "At once" is a second later: a Step Functions wait needs a positive timeout.
    assert [date for _, date in sent] == [START + 4 * HOUR + SECOND, START + 24 * HOUR, START + 72 * HOUR], sent
    assert sent[2][0] == "10% off your cart, just for you"


def test_a_checkout_delivered_30_hours_late_skips_the_stale_reminder_1_and_still_sends_2_and_3(harness):
    harness.run_until(30 * HOUR)
    assert harness.checkout(webhook_id="redriven-30h", updated_at=iso(START)).status == 202
    harness.run_until(11 * DAY)

    sent = _sent(harness)
    assert [date for _, date in sent] == [START + 30 * HOUR + SECOND, START + 72 * HOUR], sent
    assert "left something in your cart" not in sent[0][0]  # reminder 2's words, not 1's
    assert sent[1][0] == "10% off your cart, just for you"
    (journey,) = harness.journeys()
    entered = [name for name, _ in harness.states_entered(journey)]
    assert "Send reminder 1" not in entered


def test_a_cart_days_old_when_it_arrives_is_a_historical_import_and_starts_nothing(harness):
    harness.run_until(3 * DAY)
    assert harness.checkout(webhook_id="import-3d", updated_at=iso(START)).status == 202
    harness.run_until(11 * DAY)
    assert harness.journeys() == []
    assert _sent(harness) == []


def test_a_cart_updated_20_minutes_after_its_checkout_gets_reminder_1_an_hour_after_the_update(harness):
    assert harness.checkout(webhook_id="checkout-1").status == 202
    harness.run_until(20 * MINUTE)
    cart = dict(load_event("shopify_carts_update"), updated_at=harness.now().isoformat())
    assert harness.client.shopify("carts/update", cart, webhook_id="cart-2").status == 202
    harness.clock.settle()
    harness.run_until(11 * DAY)

    moved = START + 20 * MINUTE
    sent = _sent(harness)
    assert [date for _, date in sent] == [moved + HOUR, moved + 24 * HOUR, moved + 72 * HOUR], sent
    (journey,) = harness.journeys()
    assert journey["status"] == "SUCCEEDED"


def test_a_cart_updated_after_reminder_1_moves_reminder_2_and_never_repeats_reminder_1(harness):
    assert harness.checkout(webhook_id="checkout-1").status == 202
    harness.run_until(5 * HOUR)
    cart = dict(load_event("shopify_carts_update"), updated_at=harness.now().isoformat())
    assert harness.client.shopify("carts/update", cart, webhook_id="cart-2").status == 202
    harness.clock.settle()
    harness.run_until(11 * DAY)

    moved = START + 5 * HOUR
    sent = _sent(harness)
    assert [date for _, date in sent] == [START + HOUR, moved + 24 * HOUR, moved + 72 * HOUR], sent


def test_many_cart_updates_while_waiting_keep_one_journey_and_stop_moving_the_timer_at_the_cap(harness):
    from encore.carts import MAX_TIMER_MOVES

    assert harness.checkout(webhook_id="checkout-1").status == 202
    for number in range(MAX_TIMER_MOVES + 3):
        harness.run_until(20 * MINUTE + number * 10 * timedelta(seconds=1))
        cart = dict(load_event("shopify_carts_update"), updated_at=harness.now().isoformat())
        assert harness.client.shopify("carts/update", cart, webhook_id=f"cart-{number}").status == 202
        harness.clock.settle()
    harness.run_until(3 * HOUR)

    (journey,) = harness.journeys()
    last_moved = START + 20 * MINUTE + (MAX_TIMER_MOVES - 1) * 10 * timedelta(seconds=1)
    assert [date for _, date in _sent(harness)] == [last_moved + HOUR]
    assert len(harness.history(journey)) < 25_000
