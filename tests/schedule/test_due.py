"""Due instants as a table: local send time + IANA zone -> UTC instant (no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.schedule.due import due_on, local_date, next_due, next_due_from

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "send", "tz", "expected"),
    [
        ("2026-12-02", "08:00", "Asia/Kuala_Lumpur", "2026-12-02T00:00"),
        ("2026-12-02", "08:00", "Asia/Kathmandu", "2026-12-02T02:15"),  # +05:45
        ("2026-03-29", "02:30", "Europe/London", "2026-03-29T01:30"),  # the skipped hour
        ("2026-10-25", "01:30", "Europe/London", "2026-10-25T00:30"),  # twice: the first
        ("2026-12-02", "08:00", "Not/AZone", "2026-12-02T08:00"),  # unknown zone: UTC
    ],
)
def test_due_on(day: str, send: str, tz: str, expected: str) -> None:
    due = due_on(dt.date.fromisoformat(day), dt.time.fromisoformat(send), tz)
    assert due == at(expected)


@pytest.mark.parametrize(
    ("after", "send", "tz", "expected"),
    [
        ("2026-12-01T23:59", "08:00", "Asia/Kuala_Lumpur", "2026-12-02T00:00"),
        ("2026-12-02T00:00", "08:00", "Asia/Kuala_Lumpur", "2026-12-03T00:00"),  # strictly after
        ("2026-12-02T16:30", "00:15", "Asia/Kuala_Lumpur", "2026-12-03T16:15"),  # KL is past 00:15
    ],
)
def test_next_due(after: str, send: str, tz: str, expected: str) -> None:
    assert next_due(dt.time.fromisoformat(send), tz, at(after)) == at(expected)
    assert local_date(at(expected), tz) >= local_date(at(after), tz)


NOW = at("2026-12-02T03:00")  # 11:00 in Kuala Lumpur


@pytest.mark.parametrize(
    ("active", "resume_at", "expected"),
    [
        (True, None, "2026-12-03T00:00"),  # today's 08:00 has passed: tomorrow's
        (False, at("2026-12-05T12:00"), "2026-12-06T00:00"),  # first send after the pause
        (False, at("2026-12-01T00:00"), "2026-12-03T00:00"),  # a pause already over
        (False, None, None),  # paused for good, stopped, blocked: never due
    ],
)
def test_next_due_from(active: bool, resume_at: dt.datetime | None, expected: str | None) -> None:
    due = next_due_from(dt.time(8), "Asia/Kuala_Lumpur", NOW, active=active, resume_at=resume_at)
    assert due == (None if expected is None else at(expected))
