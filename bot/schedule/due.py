"""When a subscriber's daily tip is due: local wall time in an IANA zone, as a UTC instant."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.db.models import Subscriber, SubscriberStatus


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


def reschedule(subscriber: Subscriber, now: dt.datetime) -> None:
    """Set next_due_at from the subscriber's status, time, zone and pause.

    Call after every change to any of those. Only active subscribers, and paused ones with
    an end date, have a due instant; the tick reads nothing else.
    """
    if subscriber.status == SubscriberStatus.ACTIVE:
        subscriber.next_due_at = next_due(subscriber.send_time, subscriber.timezone, now)
    elif subscriber.status == SubscriberStatus.PAUSED and subscriber.paused_until is not None:
        start = max(now, subscriber.paused_until)
        subscriber.next_due_at = next_due(subscriber.send_time, subscriber.timezone, start)
    else:
        subscriber.next_due_at = None
