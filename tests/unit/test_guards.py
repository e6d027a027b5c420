"""The marketing guards as pure functions: frequency cap with priorities, quiet hours across
time zones and DST, staleness, the campaign send window and the learned active hour."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from encore.guards import (
    SentMarketing,
    check_marketing,
    frequency_cap_until,
    learned_active_hour,
    next_campaign_slot,
    quiet_hours_end,
    scenario_of,
)
from encore.stores import StoreSettings

UTC = UTC
NOW = datetime(2026, 11, 4, 12, 0, tzinfo=UTC)  # a Wednesday
WEEK = timedelta(days=7)
PRIORITIES = StoreSettings(store_id="s", postal_address="1 Main St").delivery.priorities


def cap(journey: str, sent: list[SentMarketing], max_journeys: int = 1):
    return frequency_cap_until(journey, sent, now=NOW, window=WEEK, max_journeys=max_journeys, priorities=PRIORITIES)


def test_journey_names_tell_their_scenario():
    assert scenario_of("cart-abandonment-demo-store-42-cart-1") == "cart-abandonment"
    assert scenario_of("cart-threshold-nudge-demo-store-42-cart-1") == "cart-threshold-nudge"
    assert scenario_of("newsletter-2026-11") is None


def test_a_series_is_one_conversation_its_own_messages_never_cap_it():
    sent = [SentMarketing("welcome-series-s-42-welcome", NOW - timedelta(days=2))]
    assert cap("welcome-series-s-42-welcome", sent) is None


def test_three_scenarios_competing_for_one_customer_only_the_first_of_equal_rank_gets_through():
    education = "education-series-s-42-coffee"
    up_sell = "up-sell-s-42-phone-64"
    cross_sell = "cross-sell-s-42-order-9"
    sent = [SentMarketing(up_sell, NOW - timedelta(days=1))]
    # Cross-sell ranks with up-sell: held back until the up-sell message leaves the window.
    assert cap(cross_sell, sent) == NOW - timedelta(days=1) + WEEK
    # Education ranks lower: held back too.
    assert cap(education, sent) == NOW - timedelta(days=1) + WEEK
    # A cart reminder outranks them all and is never held back by them.
    assert cap("cart-abandonment-s-42-cart-1", sent) is None


def test_a_less_important_journey_does_not_hold_back_a_more_important_one_but_the_reverse_holds():
    newsletter = SentMarketing("newsletter-s-42-november", NOW - timedelta(hours=3))
    assert cap("cart-abandonment-s-42-cart-1", [newsletter]) is None
    cart = SentMarketing("cart-abandonment-s-42-cart-1", NOW - timedelta(hours=3))
    assert cap("newsletter-s-42-november", [cart]) == NOW - timedelta(hours=3) + WEEK


def test_a_cap_of_two_journeys_frees_up_when_the_second_most_recent_leaves_the_window():
    sent = [
        SentMarketing("up-sell-s-42-a", NOW - timedelta(days=6)),
        SentMarketing("cross-sell-s-42-b", NOW - timedelta(days=2)),
        SentMarketing("cross-sell-s-42-b", NOW - timedelta(days=1)),
    ]
    assert cap("review-request-s-42-c", sent, max_journeys=2) == NOW - timedelta(days=6) + WEEK
    assert cap("review-request-s-42-c", sent[1:], max_journeys=2) is None


def test_messages_older_than_the_window_do_not_count():
    assert cap("up-sell-s-42-x", [SentMarketing("cross-sell-s-42-y", NOW - WEEK)]) is None


def test_quiet_hours_end_at_the_local_opening_in_any_time_zone():
    start, end = time(21, 0), time(9, 0)
    for zone, utc_now, opening in [
        ("Asia/Tokyo", datetime(2026, 11, 2, 17, 0, tzinfo=UTC), datetime(2026, 11, 3, 0, 0, tzinfo=UTC)),  # 02:00 JST
        ("Europe/Kyiv", datetime(2026, 11, 3, 0, 0, tzinfo=UTC), datetime(2026, 11, 3, 7, 0, tzinfo=UTC)),  # 02:00 EET
        ("America/New_York", datetime(2026, 11, 3, 7, 0, tzinfo=UTC), datetime(2026, 11, 3, 14, 0, tzinfo=UTC)),  # 02:00 EST
        ("Asia/Jerusalem", datetime(2026, 11, 2, 20, 0, tzinfo=UTC), datetime(2026, 11, 3, 7, 0, tzinfo=UTC)),  # 22:00 IST
    ]:
        assert quiet_hours_end(utc_now, ZoneInfo(zone), start, end) == opening, zone
    assert quiet_hours_end(datetime(2026, 11, 3, 12, 0, tzinfo=UTC), ZoneInfo("Europe/Kyiv"), start, end) is None


def test_quiet_hours_across_a_dst_change_open_at_local_nine():
    # Night of 28→29 March 2026, clocks in Vilnius go 03:00 → 04:00: 09:00 local is 06:00 UTC.
    opening = quiet_hours_end(datetime(2026, 3, 29, 0, 30, tzinfo=UTC), ZoneInfo("Europe/Vilnius"), time(21, 0), time(9, 0))
    assert opening == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)


def test_a_message_held_back_too_long_becomes_stale_and_is_skipped():
    common = dict(
        zone=ZoneInfo("UTC"),
        window=WEEK,
        max_journeys=1,
        priorities=PRIORITIES,
        quiet_start=time(21, 0),
        quiet_end=time(9, 0),
        stale_after=timedelta(hours=24),
    )
    sent = [SentMarketing("cart-abandonment-s-42-cart-0", NOW - timedelta(days=1))]
    verdict = check_marketing("up-sell-s-42-x", sent, now=NOW, first_attempt_at=NOW, **common)
    assert (verdict.allowed, verdict.reason, verdict.defer_until) == (False, "frequency_cap_stale", None)
    night = datetime(2026, 11, 4, 23, 0, tzinfo=UTC)
    verdict = check_marketing("cart-abandonment-s-42-cart-1", [], now=night, first_attempt_at=night, **common)
    assert (verdict.reason, verdict.defer_until) == ("quiet_hours", datetime(2026, 11, 5, 9, 0, tzinfo=UTC))


def test_campaigns_go_out_tuesday_to_thursday_ten_to_eleven_local_or_at_the_learned_hour():
    kyiv = ZoneInfo("Europe/Kyiv")
    friday = datetime(2026, 11, 6, 12, 0, tzinfo=UTC)
    assert next_campaign_slot(friday, kyiv) == datetime(2026, 11, 10, 8, 0, tzinfo=UTC)  # Tue 10:00 EET
    inside = datetime(2026, 11, 4, 8, 30, tzinfo=UTC)  # Wed 10:30 EET
    assert next_campaign_slot(inside, kyiv) == inside
    assert next_campaign_slot(friday, kyiv, active_hour=19) == datetime(2026, 11, 10, 17, 0, tzinfo=UTC)


def test_the_active_hour_is_learned_from_opens_and_clicks_once_there_are_enough():
    kyiv = ZoneInfo("Europe/Kyiv")
    evening = [datetime(2026, 11, day, 17, 5, tzinfo=UTC) for day in (2, 9, 16)]  # 19:05 EET (winter time)
    assert learned_active_hour(evening[:2], kyiv) is None
    assert learned_active_hour([*evening, datetime(2026, 11, 20, 6, 0, tzinfo=UTC)], kyiv) == 19
