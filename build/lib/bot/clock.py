"""The one source of "now": the system clock in production, a movable one in the sandbox."""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Clock(Protocol):
    """Anything that can tell the current instant (always timezone-aware, UTC)."""

    def now(self) -> dt.datetime:
        """Return the current instant in UTC."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> dt.datetime:
        """Return the system time in UTC."""
        return dt.datetime.now(dt.UTC)


class OffsetClock:
    """The real clock moved forward by an offset; the sandbox and tests advance it."""

    def __init__(self, offset: dt.timedelta = dt.timedelta(0)) -> None:
        self._offset = offset

    @property
    def offset(self) -> dt.timedelta:
        """How far ahead of the system clock this clock runs."""
        return self._offset

    def now(self) -> dt.datetime:
        """Return the system time plus the offset, in UTC."""
        return dt.datetime.now(dt.UTC) + self._offset

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        """Move the clock forward (never backward) and return the new now."""
        if delta < dt.timedelta(0):
            raise ValueError("the clock only moves forward")
        self._offset += delta
        return self.now()

    def move_to(self, instant: dt.datetime) -> dt.datetime:
        """Move the clock forward to an aware instant; an instant in the past is an error."""
        if instant.tzinfo is None:
            raise ValueError("instant must be timezone-aware")
        return self.advance(instant - self.now())
