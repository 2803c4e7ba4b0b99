"""Booking: nearest branch, booking links with tracking, and recording intents. No Telegram."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.models import Clinic
from bot.db.models import BookingIntent

EARTH_RADIUS_KM = 6371.0


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
