"""Booking logic: distances, the nearest branch, tracking parameters."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from bot.booking import booking_link, distance_km, nearest
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
