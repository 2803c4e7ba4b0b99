"""Lenient time entry: what people type, and what must be refused."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.subscribers.timeparse import parse_time


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("19:30", dt.time(19, 30)),
        ("7.30pm", dt.time(19, 30)),
        ("7:30 PM", dt.time(19, 30)),
        ("730", dt.time(7, 30)),
        ("0730", dt.time(7, 30)),
        ("7pm", dt.time(19, 0)),
        ("7", dt.time(7, 0)),
        ("12pm", dt.time(12, 0)),
        ("12am", dt.time(0, 0)),
        ("12.30", dt.time(12, 30)),
        ("8 pagi", dt.time(8, 0)),
        ("9 malam", dt.time(21, 0)),
        (" 06:05 ", dt.time(6, 5)),
        ("2359", dt.time(23, 59)),
    ],
)
def test_times_people_type(typed: str, expected: dt.time) -> None:
    assert parse_time(typed) == expected


@pytest.mark.parametrize(
    "typed", ["", "25:00", "7:60", "13pm", "0pm", "noon-ish", "7:3", "12345", "٧:٣٠", "1" * 5000]
)
def test_not_a_time(typed: str) -> None:
    assert parse_time(typed) is None
