"""Booking logic: distances, the nearest branch, tracking parameters."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from bot.booking import Distance, booking_link, distance_band, distance_km, nearby, nearest
from bot.content.loader import Content


def test_distance_kuala_lumpur_to_singapore_is_about_310_km() -> None:
    assert 300 < distance_km(3.139, 101.687, 1.352, 103.820) < 320


@pytest.mark.parametrize(
    ("place", "lat", "lon", "branch"),
    [
        ("Cheras Leisure Mall", 3.0910, 101.7440, "cheras"),
        ("SS2 Petaling Jaya", 3.1180, 101.6230, "pj"),
        ("Setia City Mall", 3.1090, 101.4620, "setia-alam"),
        ("Klang", 3.0449, 101.4456, "setia-alam"),
        ("London (far away still gets the closest)", 51.5, -0.12, "setia-alam"),
    ],
)
def test_nearest_branch(content: Content, place: str, lat: float, lon: float, branch: str) -> None:
    clinic, km = nearest(content.clinics, lat, lon)
    assert clinic.id == branch, place
    assert km >= 0


@pytest.mark.parametrize(
    ("km", "said"),
    [
        (0.0, (Distance.HERE, "")),  # was "about 0.0 km"
        (0.04, (Distance.HERE, "")),
        (0.2, (Distance.UNDER_1_KM, "")),
        (0.96, (Distance.UNDER_1_KM, "")),  # was "about 1.0 km" though under 1
        (1.0, (Distance.KM, "1.0")),
        (9.94, (Distance.KM, "9.9")),
        (10.0, (Distance.KM, "10")),
        (10533.4, (Distance.KM, "10533")),
    ],
)
def test_distances_are_said_as_a_person_would(km: float, said: tuple[Distance, str]) -> None:
    assert distance_band(km) == said


@pytest.mark.parametrize(
    ("place", "lat", "lon", "abroad", "zone"),
    [
        ("Petaling Jaya", 3.1073, 101.6067, False, "Asia/Kuala_Lumpur"),
        ("Johor Bahru", 1.4927, 103.7414, False, "Asia/Kuala_Lumpur"),
        ("Kuching, Sarawak (Malaysia, another zone)", 1.5533, 110.3592, False, "Asia/Kuching"),
        ("Kota Kinabalu, Sabah", 5.9804, 116.0735, False, "Asia/Kuching"),
        ("Singapore (close, but abroad)", 1.2903, 103.8520, True, "Asia/Singapore"),
        ("London", 51.5074, -0.1278, True, "Europe/London"),
        ("South China Sea off Terengganu (sea, near)", 5.5, 104.0, False, None),
        ("Indian Ocean (sea, far)", -20.0, 80.0, True, None),
    ],
)
def test_a_location_abroad_is_told_apart_from_one_in_malaysia(
    content: Content, place: str, lat: float, lon: float, abroad: bool, zone: str | None
) -> None:
    found = nearby(content.clinics, lat, lon)
    assert found.abroad is abroad, place
    if zone is not None:
        assert found.zone == zone


@pytest.mark.parametrize(
    ("tracking", "expected"),
    [
        (None, {"branch": ["pj"]}),
        ("utm_source=telegram-bot", {"branch": ["pj"], "utm_source": ["telegram-bot"]}),
        ("ref=bot-{origin}", {"branch": ["pj"], "ref": ["bot-faq:dairy-and-acne"]}),
        ("branch=override", {"branch": ["override"]}),
    ],
)
def test_booking_link_tracking(tracking: str | None, expected: dict[str, list[str]]) -> None:
    link = booking_link("https://example.com/book?branch=pj", tracking, "faq:dairy-and-acne")
    assert parse_qs(urlsplit(link).query) == expected
