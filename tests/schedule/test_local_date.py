"""The local date an instant falls on decides which day's tip it is: read in the subscriber's
zone, never the server's (this server runs on UTC, most subscribers eight hours ahead)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.schedule.due import local_date


@pytest.mark.parametrize(
    ("instant", "tz", "expected"),
    [
        ("2026-12-01T15:59", "Asia/Kuala_Lumpur", "2026-12-01"),  # 23:59 there
        ("2026-12-01T16:00", "Asia/Kuala_Lumpur", "2026-12-02"),  # midnight there, not in UTC
        ("2026-12-02T03:00", "America/New_York", "2026-12-01"),  # 22:00 the day before
        ("2026-12-01T11:00", "Pacific/Kiritimati", "2026-12-02"),  # +14: a day ahead of UTC
        ("2026-12-01T23:30", "Not/AZone", "2026-12-01"),  # unknown zone: UTC
    ],
)
def test_local_date_is_the_date_in_the_subscribers_zone(
    instant: str, tz: str, expected: str
) -> None:
    at = dt.datetime.fromisoformat(instant).replace(tzinfo=dt.UTC)
    assert local_date(at, tz) == dt.date.fromisoformat(expected)
