"""Booking: nearest branch, booking links with tracking, and recording intents. No Telegram."""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.models import Clinic
from bot.db.models import BookingIntent
from bot.subscribers.timezones import zone_at

EARTH_RADIUS_KM = 6371.0
RIGHT_HERE_KM = 0.2  # about a street away: "you are right by it"
# Where the zone gives no country (open sea), farther than this from every branch is abroad.
FAR_AT_SEA_KM = 1000.0


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Return the great-circle distance between two points (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = math.radians(lat2 - lat1), math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def nearest(clinics: Sequence[Clinic], latitude: float, longitude: float) -> tuple[Clinic, float]:
    """Return the closest branch to a point and how far it is in km."""
    scored = [(distance_km(latitude, longitude, c.latitude, c.longitude), c) for c in clinics]
    km, clinic = min(scored, key=lambda pair: pair[0])
    return clinic, km


class Distance(StrEnum):
    """How a distance is said: the catalog key's suffix (book_nearest_<band>)."""

    HERE = "here"  # right by the branch
    UNDER_1_KM = "under_1km"  # less than 1 km
    KM = "km"  # about N km


def distance_band(km: float) -> tuple[Distance, str]:
    """Return how to say a distance, and the km figure when it is said in km."""
    if km < RIGHT_HERE_KM:
        return Distance.HERE, ""
    if km < 1:
        return Distance.UNDER_1_KM, ""
    return Distance.KM, f"{km:.1f}" if km < 10 else f"{km:.0f}"


@functools.cache
def _countries() -> dict[str, str]:
    """Return each timezone's country code, from the IANA zone.tab that tzdata ships."""
    table = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
    found: dict[str, str] = {}
    for line in table.splitlines():
        if line and not line.startswith("#"):
            code, _coordinates, zone, *_ = line.split("\t")
            found[zone] = code
    return found


def country_at(latitude: float, longitude: float) -> str | None:
    """Return the ISO country code of the timezone at a point (None at sea)."""
    return _countries().get(zone_at(latitude, longitude))


@dataclass(frozen=True)
class Nearby:
    """The nearest branch to a shared location, and whether that location is abroad."""

    clinic: Clinic
    km: float
    zone: str  # the timezone at the location
    abroad: bool  # not in a country that has a branch


def nearby(clinics: Sequence[Clinic], latitude: float, longitude: float) -> Nearby:
    """Return the nearest branch to a point, the point's timezone, and whether it is abroad."""
    clinic, km = nearest(clinics, latitude, longitude)
    home = {country_at(c.latitude, c.longitude) for c in clinics} - {None}
    country = country_at(latitude, longitude)
    abroad = km > FAR_AT_SEA_KM if country is None else country not in home
    return Nearby(clinic, km, zone_at(latitude, longitude), abroad)


def booking_link(url: str, tracking: str | None, origin: str) -> str:
    """Add the tracking parameter (name=value, '{origin}' filled) to a booking URL."""
    if not tracking:
        return url
    name, _, value = tracking.partition("=")
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    query.append((name, value.replace("{origin}", origin)))
    return urlunsplit(parts._replace(query=urlencode(query)))


async def record_intent(
    session: AsyncSession, *, clinic_id: str, origin: str, now: dt.datetime
) -> None:
    """Store that someone opened a branch's booking card, and from where (anonymous)."""
    session.add(BookingIntent(clinic_id=clinic_id, origin=origin[:80], created_at=now))
    await session.commit()
