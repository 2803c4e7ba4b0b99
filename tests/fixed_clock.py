"""Clocks for tests whose outcome depends on the time of day: they start at a fixed instant."""

from __future__ import annotations

import datetime as dt

from bot.clock import OffsetClock


class FixedClock:
    """A clock that stands still at an instant until the test moves it (forward only)."""

    def __init__(self, instant: dt.datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("instant must be timezone-aware")
        self._now = instant.astimezone(dt.UTC)

    def now(self) -> dt.datetime:
        """Return the instant the clock stands at."""
        return self._now

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        """Move the clock forward and return the new now."""
        if delta < dt.timedelta(0):
            raise ValueError("the clock only moves forward")
        self._now += delta
        return self._now

    def move_to(self, instant: dt.datetime) -> dt.datetime:
        """Move the clock forward to an aware instant."""
        return self.advance(instant - self._now)


def clock_at(instant: dt.datetime) -> OffsetClock:
    """A running clock (as the sandbox needs) that shows `instant` now, whatever the hour."""
    return OffsetClock(instant - dt.datetime.now(dt.UTC))
