"""Publishing canonical events to the EventBridge bus (archived, so replayable)."""

from __future__ import annotations

from typing import Protocol

from encore.adapters.aws import client

SOURCE = "encore.ingest"
PUT_EVENTS_LIMIT = 10


class PublishFailed(RuntimeError):
    """EventBridge refused an entry: the webhook must be retried by the platform."""


class EventPublisher(Protocol):
    def publish(self, events: list) -> None: ...


class EventBridgePublisher:
    def __init__(self, bus_name: str):
        self.bus_name = bus_name

    def publish(self, events: list) -> None:
        for start in range(0, len(events), PUT_EVENTS_LIMIT):
            chunk = events[start : start + PUT_EVENTS_LIMIT]
            entries = [
                {
                    "Source": SOURCE,
                    "DetailType": event.type,
                    "Detail": event.model_dump_json(),
                    "EventBusName": self.bus_name,
                    "Time": event.occurred_at,
                }
                for event in chunk
            ]
            response = client("events").put_events(Entries=entries)
            if response.get("FailedEntryCount"):
                raise PublishFailed(f"{response['FailedEntryCount']} events were not accepted by EventBridge")
