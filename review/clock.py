"""Time, in one place, so tests can drive it.

Every timestamp Veil stores is UTC, written as fixed-width ISO 8601 with
milliseconds (``2026-11-21T20:54:47.123Z``): readable in any SQLite browser,
parseable by PostgreSQL, and ordered correctly as plain text.
"""

from __future__ import annotations

import datetime as _dt
from typing import Protocol

UTC = _dt.UTC


class Clock(Protocol):
    def now(self) -> _dt.datetime:
        """The current time as an aware UTC datetime."""


class SystemClock:
    def now(self) -> _dt.datetime:
        return _dt.datetime.now(UTC)


class FakeClock:
    """A clock that moves only when told to; for tests and demos."""

    def __init__(self, start: _dt.datetime | str = "2026-01-05T09:00:00.000Z"):
        self._now = parse(start) if isinstance(start, str) else start

    def now(self) -> _dt.datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += _dt.timedelta(seconds=seconds)


def iso(moment: _dt.datetime) -> str:
    """Format an aware datetime as Veil's canonical UTC text."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse(text: str) -> _dt.datetime:
    """Parse ISO 8601 (``Z`` or an offset; a bare date means midnight UTC).

    Naive datetimes are taken as UTC: manifests from other tools often omit
    the zone, and guessing local time would shift every SLA.
    """
    text = text.strip()
    if not text:
        raise ValueError("empty timestamp")
    moment = _dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_stored(text: str) -> _dt.datetime:
    """A time as Veil stores it (:func:`iso`'s UTC text, ending ``Z``), read three times faster than :func:`parse`
    for the loops that read a person's thousand recent decisions on every claim; other text through :func:`parse`."""
    return _dt.datetime.fromisoformat(text) if text.endswith("Z") else parse(text)


_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
_MS = _dt.timedelta(milliseconds=1)


def epoch_ms(moment: _dt.datetime) -> int:
    """An aware datetime as whole milliseconds since 1970 UTC, exactly (no float in between): for loops that
    compare and add many times, where integers are several times cheaper than datetimes."""
    return (moment - _EPOCH) // _MS


def normalise(text: str) -> str:
    """Any accepted ISO 8601 text to Veil's canonical form."""
    return iso(parse(text))


def ms_between(start: str, end: str) -> int:
    """Milliseconds from *start* to *end* (ISO 8601 texts)."""
    return int((parse(end) - parse(start)).total_seconds() * 1000)
