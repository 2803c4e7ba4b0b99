"""When a broadcast goes: a local date and time read the way admins type it, in the clinic's
timezone, and the limits on it. No Telegram here."""

from __future__ import annotations

import datetime as dt
import re

from bot.admin.broadcasts.errors import Invalid
from bot.schedule.due import due_on, local_date
from bot.subscribers.timeparse import parse_time

EARLIEST = dt.timedelta(minutes=1)  # "now" typed a little late still counts as now
LATEST = dt.timedelta(days=366)

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:\s+|t)(.+)")
_DMY = re.compile(r"(\d{1,2})[/.](\d{1,2})(?:[/.](\d{4}))?\s+(.+)")
_RELATIVE = re.compile(r"(today|hari ini|tomorrow|esok)\s+(.+)")


def parse_when(typed: str, now: dt.datetime, tz: str) -> dt.datetime | None:
    """Read a local date and time ("2026-12-01 09:00", "1/12 9am", "tomorrow 9:30", "21:00")
    in zone `tz`; None if unreadable. A bare time means its next occurrence."""
    cleaned = " ".join(typed.strip().lower().split())[:40]
    today = local_date(now, tz)
    day: dt.date | None = None
    rest = cleaned
    try:
        if match := _ISO.fullmatch(cleaned):
            day = dt.date(int(match[1]), int(match[2]), int(match[3]))
            rest = match[4]
        elif match := _DMY.fullmatch(cleaned):
            year = int(match[3]) if match[3] else today.year
            day = dt.date(year, int(match[2]), int(match[1]))
            rest = match[4]
            if not match[3] and day < today:
                day = day.replace(year=year + 1)
        elif match := _RELATIVE.fullmatch(cleaned):
            day = today if match[1] in ("today", "hari ini") else today + dt.timedelta(days=1)
            rest = match[2]
    except ValueError:
        return None
    at = parse_time(rest)
    if at is None:
        return None
    if day is None:
        instant = due_on(today, at, tz)
        return instant if instant > now else due_on(today + dt.timedelta(days=1), at, tz)
    return due_on(day, at, tz)


def check_send_at(send_at: dt.datetime, now: dt.datetime) -> dt.datetime:
    """Return a send time that is not in the past nor more than a year ahead."""
    if send_at < now - EARLIEST:
        raise Invalid("when_past", "that time has passed")
    if send_at > now + LATEST:
        raise Invalid("when_far", "that is more than a year ahead")
    return max(send_at, now)
