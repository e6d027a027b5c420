"""A Shopify retry storm on the local stack (issue 12, "Must show"): every webhook delivered
1–9 times on Shopify's retry schedule (up to 4 hours), reordered (an order before its
checkout), re-sent under a new webhook id with the same event id, parked by a failing
function and redriven, and the archive replayed 48 h later. 0 duplicate journeys, 0 duplicate
messages, 0 lost events (every order counted once, revenue exact), 0 cart reminders after the
order was accepted. The storm itself: ``tests.bench.retry_storm``.

Size: the storm costs about 1.2 s of CPU per customer on the local stack (moto's Step
Functions engine, the journeys' Lambda steps), so 200 customers take about 4 minutes of CPU:
``make bench-storm`` runs 200 (CUSTOMERS=n for more) and prints the table; ``make test`` runs
30 customers, the same storm and the same assertions, in about 40 s of CPU (its wall time
on a busy machine can be several times that: its own timeout).
"""

from __future__ import annotations

import pytest

from tests.bench.retry_storm import fresh_stack, plan, run

CUSTOMERS = 30
SEED = 48


def test_the_storm_plan_is_the_storm_the_issue_describes():
    storm = plan(CUSTOMERS, SEED)
    tries = {}
    for delivery in storm.deliveries:
        tries.setdefault(delivery.webhook.event_id, []).append(delivery)
    assert all(1 <= len([d for d in found if not d.webhook_id.endswith("-resent")]) <= 9 for found in tries.values())
    assert max(len(found) for found in tries.values()) >= 9  # some webhook meets all 8 retries
    assert any(d.webhook_id.endswith("-resent") for d in storm.deliveries)  # a new webhook id, the same event id
    assert storm.parked_until  # some event meets a function that keeps failing
    spans = [max(d.at for d in found) - min(d.at for d in found) for found in tries.values()]
    assert max(spans).total_seconds() <= 8 * 3600  # a resend may follow the last try; tries end within 4 h
    topics = {d.webhook.topic for d in storm.deliveries}
    assert topics == {"customers/create", "checkouts/create", "checkouts/update", "orders/create", "orders/paid"}


@pytest.mark.timeout(900)
def test_a_retry_storm_starts_no_journey_twice_sends_nothing_twice_loses_nothing_and_reminds_nobody_after_their_order():
    stack, client = fresh_stack()
    try:
        outcome = run(stack, client, customers=CUSTOMERS, seed=SEED)
    finally:
        stack.stop()
    # The storm happened: duplicates, late first arrivals, orders before checkouts, parked
    # events redriven and the archive replayed (so a storm that tested nothing cannot pass).
    assert outcome.deliveries > 3 * outcome.webhooks
    assert outcome.late_first_arrivals > 0 and outcome.orders_before_checkout > 0 and outcome.resent_under_new_id > 0
    assert outcome.parked > 0 and outcome.redriven >= outcome.parked and outcome.replayed_events > 0
    # Sending less cannot pass: every abandoned cart got a reminder, every order was counted.
    assert outcome.cart_reminders >= CUSTOMERS // 2 and outcome.orders_expected >= CUSTOMERS // 3
    assert {name: value for name, value in outcome.failures().items() if value} == {}, outcome.failures()
    assert outcome.revenue_cents == outcome.revenue_expected_cents > 0
