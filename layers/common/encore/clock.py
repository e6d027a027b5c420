"""The one source of "now" for domain code.

In AWS this is wall-clock time; in the local stack the virtual clock freezes and moves it,
so domain code, moto's Step Functions engine and the sent mail all agree on the time.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def first_known_zone(*names: str | None) -> ZoneInfo:
    """The first of ``names`` (IANA, e.g. the customer's zone, then the store's) that is a
    known time zone, else UTC. A zone a platform or a settings typo got wrong must not fail
    a send or lose an event: the next name is used instead."""
    for name in names:
        if not name:
            continue
        try:
            return ZoneInfo(name)
        # A name outside the database (KeyError), not a zone's shape ("../x": ValueError), or
        # a folder of the database ("Europe": IsADirectoryError, an OSError).
        except (ZoneInfoNotFoundError, ValueError, OSError):
            continue
    return ZoneInfo("UTC")
