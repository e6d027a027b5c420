"""Publishing canonical events to the EventBridge bus (archived, so replayable)."""

from __future__ import annotations

from typing import Protocol

from encore.adapters.aws import client

SOURCE = "encore.ingest"
PUT_EVENTS_LIMIT = 10  # entries per PutEvents call
PUT_EVENTS_MAX_BYTES = 256 * 1024  # per call, all entries together (EventBridge's limit)


class PublishFailed(RuntimeError):
    """EventBridge refused an entry: the webhook must be retried by the platform."""


class EventPublisher(Protocol):
    def publish(self, events: list) -> None: ...


class EventBridgePublisher:
    def __init__(self, bus_name: str):
        self.bus_name = bus_name

    def publish(self, events: list) -> None:
        for entries in _calls([self._entry(event) for event in events]):
            response = client("events").put_events(Entries=entries)
            if response.get("FailedEntryCount"):
                raise PublishFailed(f"{response['FailedEntryCount']} events were not accepted by EventBridge")

    def _entry(self, event) -> dict:
        return {
            "Source": SOURCE,
            "DetailType": event.type,
            "Detail": event.model_dump_json(),
            "EventBusName": self.bus_name,
            "Time": event.occurred_at,
        }


def entry_size(entry: dict) -> int:
    """How EventBridge measures an entry against its 256 KB limit (Time counts 14 bytes)."""
    return 14 + sum(len(entry[key].encode("utf-8")) for key in ("Source", "DetailType", "Detail"))


def _calls(entries: list[dict]) -> list[list[dict]]:
    """Group entries into PutEvents calls within both the count and the size limit."""
    calls: list[list[dict]] = []
    size = 0
    for entry in entries:
        entry_bytes = entry_size(entry)
        if not calls or len(calls[-1]) == PUT_EVENTS_LIMIT or size + entry_bytes > PUT_EVENTS_MAX_BYTES:
            calls.append([])
            size = 0
        calls[-1].append(entry)
        size += entry_bytes
    return calls
