from encore.adapters.bus import PUT_EVENTS_LIMIT, PUT_EVENTS_MAX_BYTES, _calls, entry_size


def _entry(detail_bytes: int) -> dict:
    return {"Source": "encore.ingest", "DetailType": "cart_updated", "Detail": "x" * detail_bytes, "EventBusName": "b"}


def test_calls_respect_both_the_count_and_the_size_limit():
    small = [_entry(100) for _ in range(25)]
    assert [len(call) for call in _calls(small)] == [10, 10, 5]
    large = [_entry(100_000) for _ in range(5)]
    calls = _calls(large)
    assert [len(call) for call in calls] == [2, 2, 1]
    assert all(sum(entry_size(e) for e in call) <= PUT_EVENTS_MAX_BYTES and len(call) <= PUT_EVENTS_LIMIT for call in calls)
