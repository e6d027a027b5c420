"""``make demo``'s plan and its checks, without the stack: the sample store covers every
scenario, its payloads are valid for the platforms' parsers, and a customer whose messages
or journeys differ from the plan is reported (a check that cannot fail proves nothing)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from encore.journeys import SCENARIOS
from encore.scenarios.cart_abandonment import NAME as CART_ABANDONMENT
from encore.scenarios.education_series import NAME as EDUCATION_SERIES
from encore.scenarios.welcome_series import NAME as WELCOME_SERIES
from infra.demo_report import Journey, Observed, render, summarise
from infra.sample_store import (
    GENERIC,
    QUIET_HOURS,
    SHOPIFY,
    START,
    Expected,
    capped_until,
    catalogue_entries,
    deliverable_at,
    plan_store,
    settings,
    store_zone,
)


@pytest.fixture(scope="module")
def plan():
    return plan_store(seed=7, customers=12)


def test_the_plan_is_deterministic_and_walks_every_scenario(plan):
    again = plan_store(seed=7, customers=12)
    assert [(c.customer_id, c.messages, c.journeys) for c in plan.customers] == [(c.customer_id, c.messages, c.journeys) for c in again.customers]
    assert {journey.scenario for customer in plan.customers for journey in customer.journeys} == set(SCENARIOS)
    held = {message.held_back for customer in plan.customers for message in customer.messages}
    assert {"quiet_hours", "frequency_cap"} <= held  # the guards show
    assert all(event.at <= plan.end for event in plan.events)
    assert all(j.ends_at < plan.end for c in plan.customers for j in c.journeys if j.ends_at)


def test_quiet_hours_move_a_message_to_the_next_morning_in_the_customers_zone():
    evening = START.replace(hour=19, minute=30)  # 21:30 in Vilnius
    assert deliverable_at(evening, store_zone()) == START.replace(hour=7) + timedelta(days=1)
    assert deliverable_at(START, store_zone()) == START


def test_the_plan_holds_a_journey_by_the_stores_cap_and_priorities():
    window = timedelta(days=settings().delivery.window_days)
    welcome = Expected(START, WELCOME_SERIES, "welcome_1")
    # An education tip (priority 4) waits until the welcome (priority 2) leaves the window.
    assert capped_until(EDUCATION_SERIES, START + timedelta(days=2), [welcome]) == START + window
    assert capped_until(EDUCATION_SERIES, START + window, [welcome]) is None
    # A cart reminder (priority 1) is never held by a less important journey.
    assert capped_until(CART_ABANDONMENT, START + timedelta(days=2), [welcome]) is None
    # Only what was sent counts.
    skipped = Expected(START, WELCOME_SERIES, "welcome_1", "skipped (no_marketing_consent)")
    assert capped_until(EDUCATION_SERIES, START + timedelta(days=2), [skipped]) is None


def test_every_planned_payload_parses_as_its_platform_sends_it(plan):
    from encore.catalogue import CatalogueEntry
    from encore.platforms import generic, shopify

    for entry in catalogue_entries():
        CatalogueEntry.model_validate(entry)
    for event in plan.events:
        payload = event.build("ABCD-EFGH-JKLM" if event.uses_coupon else None)
        if event.platform == SHOPIFY:
            assert shopify.TOPICS[event.topic](payload, store_id="demo-store", event_id="x", topic=event.topic)
        else:
            assert event.platform == GENERIC
            assert generic.to_canonical(generic.parse_message(payload), store_id="demo-store") is not None


def _observed_as_planned(plan) -> Observed:
    """What a stack that did exactly as planned would leave behind."""
    items, journeys = [], []
    for customer in plan.customers:
        for number, message in enumerate(customer.messages):
            stamp = message.at.strftime("%Y-%m-%dT%H:%M:%S.%f+0000")
            sent = message.outcome == "sent"
            items.append(
                {
                    "pk": f"C#{customer.customer_id}",
                    "sk": f"MESSAGE#{number}",
                    "customer_id": customer.customer_id,
                    "journey": f"{message.scenario}-demo-store-{customer.customer_id}",
                    "template": message.template,
                    "status": "sent" if sent else "skipped",
                    "reason": None if sent else message.outcome.split("(")[1].rstrip(")"),
                    "sent_at": stamp if sent else None,
                    "claimed_at": stamp,
                    "first_attempt_at": stamp,
                    "deferred_reason": message.held_back or None,
                }
            )
        for planned in customer.journeys:
            journeys.append(Journey(planned.scenario, planned.scenario, customer.customer_id, planned.status, planned.state, planned.ends_at, []))
    emails = [None] * sum(item["status"] == "sent" for item in items)
    return Observed([], journeys, items, emails, [], [], [{"customer_id": c.customer_id} for c in plan.customers for _ in range(c.staff_alerts)])


def test_a_stack_that_did_as_planned_passes_and_every_difference_is_named(plan):
    observed = _observed_as_planned(plan)
    # The cart mix's coupon buyers redeem their own coupon.
    for customer in plan.customers:
        if customer.story.uses_coupon:
            observed.items += [
                {"pk": "x", "sk": "COUPON", "code": f"C-{customer.customer_id}", "customer_id": customer.customer_id, "journey": "cart-abandonment-x"},
                {
                    "pk": "x",
                    "sk": "ORDER#1",
                    "customer_id": customer.customer_id,
                    "coupon_codes": [f"C-{customer.customer_id}"],
                    "placed_at": START.strftime("%Y-%m-%dT%H:%M:%S.%f+0000"),
                    "currency": "USD",
                    "total_cents": 100,
                },
            ]
    summary = summarise(observed, plan, seed=7)
    assert summary["checks"]["mismatches"] == [] and summary["ok"]
    assert "Result: OK" in render(summary)

    welcomed = next(c for c in plan.customers if any(m.scenario == WELCOME_SERIES for m in c.messages))
    message = next(item for item in observed.items if item.get("customer_id") == welcomed.customer_id and item.get("template") == "welcome_2")
    message["sent_at"] = message["sent_at"].replace("T10:", "T11:")  # an hour late
    held = next(item for item in observed.items if item.get("deferred_reason") == QUIET_HOURS)
    held["deferred_reason"] = None  # sent on time although the plan says quiet hours held it
    journey = next(j for j in observed.journeys if j.scenario == CART_ABANDONMENT)
    journey.final_state = "Journey ended because the cart was emptied"
    mismatches = summarise(observed, plan, seed=7)["checks"]["mismatches"]
    assert any("missing" in text and "welcome_2" in text for text in mismatches)
    assert any("unexpected" in text and "welcome_2" in text for text in mismatches)
    assert any("missing" in text and f"(held back: {QUIET_HOURS})" in text for text in mismatches)
    assert any("unexpected journey" in text and "cart was emptied" in text for text in mismatches)


def test_the_demo_store_settings_keep_what_the_plan_relies_on():
    store = settings()
    assert store.time_zone == "Europe/Vilnius" and store.delivery.max_journeys_per_window == 1
    assert store.education_series.tips and store.welcome_series.best_sellers
    assert store.cart_threshold_nudge.threshold_cents > 0
