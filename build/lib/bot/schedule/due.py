"""When a subscriber's daily tip is due: local wall time in an IANA zone, as a UTC instant.

Pure: dates, times and zones in, instants out (no database).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    """Return a (cached) IANA zone; an unknown name falls back to UTC rather than failing."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def due_on(day: dt.date, send_time: dt.time, tz: str) -> dt.datetime:
    """The UTC instant of `send_time` on local date `day` in zone `tz`.

    A wall time that does not exist (the hour skipped when clocks go forward) is read with
    the offset before the change, so it lands just after the gap, on the same local date;
    a wall time that happens twice (clocks go back) means its first occurrence.
    """
    local = dt.datetime.combine(day, send_time, tzinfo=zone(tz))
    return local.astimezone(dt.UTC)


def local_date(instant: dt.datetime, tz: str) -> dt.date:
    """The calendar date in zone `tz` at an instant."""
    return instant.astimezone(zone(tz)).date()


def next_due(send_time: dt.time, tz: str, after: dt.datetime) -> dt.datetime:
    """The first instant strictly after `after` at which the local clock shows `send_time`."""
    day = local_date(after, tz)
    while True:
        candidate = due_on(day, send_time, tz)
        if candidate > after:
            return candidate
        day += dt.timedelta(days=1)


def next_due_from(
    send_time: dt.time,
    tz: str,
    now: dt.datetime,
    *,
    active: bool,
    resume_at: dt.datetime | None,
) -> dt.datetime | None:
    """A subscriber's next due instant: an active one's next send time; a paused one's first
    send time after `resume_at` (when the pause has an end); anyone else's none."""
    if active:
        return next_due(send_time, tz, now)
    if resume_at is not None:
        return next_due(send_time, tz, max(now, resume_at))
    return None
