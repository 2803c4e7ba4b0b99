"""Timezones as people give them: offsets, cities, IANA names, locations; and how they show."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.subscribers import timezones
from bot.subscribers.timezones import Reading, label, offset_zone, read_timezone, suggest, zone_at

JANUARY = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)
JULY = dt.datetime(2026, 7, 15, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        # UTC offsets: whole hours become Etc zones, whose sign is inverted
        ("UTC+8", "Etc/GMT-8"),
        ("utc+8", "Etc/GMT-8"),
        ("UTC +8", "Etc/GMT-8"),
        ("utc 8", "Etc/GMT-8"),
        ("UTC+08:00", "Etc/GMT-8"),
        ("+0800", "Etc/GMT-8"),
        ("+8", "Etc/GMT-8"),
        ("GMT-5", "Etc/GMT+5"),
        ("gmt−5", "Etc/GMT+5"),  # a typographic minus
        ("UTC-12", "Etc/GMT+12"),
        ("UTC+14", "Etc/GMT-14"),
        ("UTC", "UTC"),
        ("gmt", "UTC"),
        ("UTC+0", "UTC"),
        ("+00:00", "UTC"),
        # offsets with minutes: a real zone that keeps that offset
        ("+05:45", "Asia/Kathmandu"),
        ("UTC+5:45", "Asia/Kathmandu"),
        ("+0530", "Asia/Kolkata"),
        ("UTC+5.30", "Asia/Kolkata"),
        ("+09:30", "Australia/Darwin"),
        ("-03:30", "America/St_Johns"),
        ("UTC+6:30", "Asia/Yangon"),
        # cities, countries, abbreviations, in any case and spacing, with or without accents
        ("London", "Europe/London"),
        ("london", "Europe/London"),
        ("  LONDON  ", "Europe/London"),
        ("Kathmandu", "Asia/Kathmandu"),
        ("KL", "Asia/Kuala_Lumpur"),
        ("kl", "Asia/Kuala_Lumpur"),
        ("Kuala Lumpur", "Asia/Kuala_Lumpur"),
        ("kuala  lumpur", "Asia/Kuala_Lumpur"),
        ("Kuala_Lumpur", "Asia/Kuala_Lumpur"),
        ("Malaysia", "Asia/Kuala_Lumpur"),
        ("MYT", "Asia/Kuala_Lumpur"),
        ("Penang", "Asia/Kuala_Lumpur"),
        ("Kota Kinabalu", "Asia/Kuching"),
        ("Singapore", "Asia/Singapore"),
        ("Singapura", "Asia/Singapore"),
        ("New York", "America/New_York"),
        ("Ho Chi Minh", "Asia/Ho_Chi_Minh"),
        ("São Paulo", "America/Sao_Paulo"),
        ("Sao Paulo", "America/Sao_Paulo"),
        ("Mekah", "Asia/Riyadh"),
        ("Jepun", "Asia/Tokyo"),
        # IANA names
        ("Asia/Kuala_Lumpur", "Asia/Kuala_Lumpur"),
        ("europe/london", "Europe/London"),
        ("America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"),
    ],
)
def test_what_people_type_names_a_zone(typed: str, zone: str) -> None:
    assert read_timezone(typed) == Reading(zone)


@pytest.mark.parametrize(
    ("typed", "first_suggestion"),
    [
        ("Londn", "Europe/London"),
        ("kuala lumpor", "Asia/Kuala_Lumpur"),
        ("Kuala", "Asia/Kuala_Lumpur"),
        ("Kathmandoo", "Asia/Kathmandu"),
        ("sydny", "Australia/Sydney"),
        ("Bangkk", "Asia/Bangkok"),
        ("Singapur", "Asia/Singapore"),
        ("tokio", "Asia/Tokyo"),
        ("I live in London", "Europe/London"),
        ("johor", "Asia/Kuala_Lumpur"),
    ],
)
def test_near_misses_get_the_closest_cities(typed: str, first_suggestion: str) -> None:
    reading = read_timezone(typed)
    assert reading.zone is None
    assert reading.suggestions[0] == first_suggestion
    assert 1 <= len(reading.suggestions) <= 3
    assert len(set(reading.suggestions)) == len(reading.suggestions)


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "8",  # a time, not an offset
        "UTC+15",
        "GMT-13",
        "+02:30",  # no zone keeps this offset as standard time
        "+05:99",
        "xyzzy qwv",
        "🙂",
        "القاهرة",
        "does dairy cause acne?",
        "Etc/GMT-8",  # not offered by name; type UTC+8
        "x" * 5000,
    ],
)
def test_anything_else_names_no_zone(typed: str) -> None:
    reading = read_timezone(typed)
    assert reading.zone is None
    assert all(timezones.is_zone(zone) for zone in reading.suggestions)


@pytest.mark.parametrize(
    ("minutes", "zone"),
    [
        (0, "UTC"),
        (8 * 60, "Etc/GMT-8"),
        (-5 * 60, "Etc/GMT+5"),
        (14 * 60, "Etc/GMT-14"),
        (-12 * 60, "Etc/GMT+12"),
        (15 * 60, None),
        (-13 * 60, None),
        (5 * 60 + 45, "Asia/Kathmandu"),
        (2 * 60 + 30, None),
    ],
)
def test_offset_zone(minutes: int, zone: str | None) -> None:
    assert offset_zone(minutes) == zone


def test_offset_zones_really_have_that_offset() -> None:
    for minutes in range(-12 * 60, 14 * 60 + 1, 15):
        zone = offset_zone(minutes)
        if zone is None:
            continue
        offsets = {
            ZoneInfo(zone).utcoffset(moment.replace(tzinfo=None)) for moment in (JANUARY, JULY)
        }
        # Zones with daylight saving keep the typed offset for part of the year.
        assert dt.timedelta(minutes=minutes) in offsets, zone


@pytest.mark.parametrize(
    ("latitude", "longitude", "zone"),
    [
        (3.1390, 101.6869, "Asia/Kuala_Lumpur"),  # Kuala Lumpur
        (1.5535, 110.3593, "Asia/Kuching"),  # Kuching
        (27.7172, 85.3240, "Asia/Kathmandu"),
        (51.5074, -0.1278, "Europe/London"),
        (40.7128, -74.0060, "America/New_York"),
        (-33.8688, 151.2093, "Australia/Sydney"),
        (0.0, 0.0, "Etc/GMT"),  # at sea
        (-20.0, -140.0, "Etc/GMT+9"),  # the middle of the Pacific
    ],
)
def test_zone_at_a_location(latitude: float, longitude: float, zone: str) -> None:
    assert zone_at(latitude, longitude) == zone
    assert timezones.is_zone(zone_at(latitude, longitude))


@pytest.mark.parametrize(
    ("zone", "when", "shown"),
    [
        ("Asia/Kuala_Lumpur", JANUARY, "Kuala Lumpur, UTC+8"),
        ("Asia/Kathmandu", JANUARY, "Kathmandu, UTC+5:45"),
        ("Europe/London", JANUARY, "London, UTC"),
        ("Europe/London", JULY, "London, UTC+1"),
        ("America/New_York", JANUARY, "New York, UTC-5"),
        ("America/St_Johns", JANUARY, "St Johns, UTC-3:30"),
        ("Etc/GMT-8", JULY, "UTC+8"),
        ("Etc/GMT+5", JULY, "UTC-5"),
        ("UTC", JULY, "UTC"),
        ("Not/AZone", JULY, "Not/AZone"),
    ],
)
def test_label(zone: str, when: dt.datetime, shown: str) -> None:
    assert label(zone, when) == shown


def test_common_zones_are_real() -> None:
    assert timezones.COMMON_ZONES[0] == "Asia/Kuala_Lumpur"
    assert all(timezones.is_zone(zone) for zone in timezones.COMMON_ZONES)


def test_every_alias_is_a_real_zone() -> None:
    assert all(timezones.is_zone(zone) for zone in timezones._ALIASES.values())
    assert all(timezones.is_zone(zone) for zone in timezones._MINUTE_OFFSETS.values())


def test_suggest_nothing_for_nothing() -> None:
    assert suggest("") == ()
    assert suggest("   ") == ()


@pytest.mark.parametrize(
    ("typed", "could"),
    [
        ("London", True),
        ("Kuala Lumpur", True),
        ("UTC+8", True),
        ("I live in London", True),
        ("I live in Kuala Lumpur", False),  # five words: more likely a sentence
        ("does dairy cause acne?", False),
        ("what time is it in London", False),
        ("", False),
        ("   ", False),
        ("x" * 65, False),
    ],
)
def test_could_be_a_place(typed: str, could: bool) -> None:
    assert timezones.could_be_a_place(typed) is could
