"""Read a timezone the way people give it: a city, a UTC offset, a location. No Telegram.

What a person types becomes an IANA zone name, the only thing stored:

- a UTC offset ("UTC+8", "GMT-5", "+05:45", "utc 8"): whole hours map to the fixed zone
  ``Etc/GMT-8`` and friends (the POSIX sign is inverted: ``Etc/GMT-8`` is UTC+8). Offsets with
  minutes have no ``Etc`` zone, so they map to the real zone that keeps that offset as its
  standard time, preferring one without daylight saving (``_MINUTE_OFFSETS``): +05:45 is
  Asia/Kathmandu, +05:30 Asia/Kolkata. Where only a zone with daylight saving uses an
  offset (-03:30 St John's, +10:30 Lord Howe, +12:45 Chatham) its winter offset is the one
  typed, and the tip follows that place's clock through the year.
- a city, country or abbreviation ("London", "KL", "Kuala Lumpur", "Malaysia", "MYT"):
  the aliases below first, then the last part of every IANA name ("Kathmandu").
- an IANA name itself ("Asia/Kuala_Lumpur"), in any case.

Anything else gets up to three suggestions: the closest city names.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import tzfpy
from rapidfuzz import fuzz, process

UTC = "UTC"

COMMON_ZONES: tuple[str, ...] = (
    "Asia/Kuala_Lumpur",
    "Asia/Jakarta",
    "Asia/Tokyo",
    "Asia/Dubai",
    "Europe/London",
    "Australia/Sydney",
)
"""The zones offered as buttons: home first, then where patients most often travel or live."""

MAX_INPUT = 64
"""Longer text is not a place name; the handler lets the FAQ read it instead."""

MAX_PLACE_WORDS = 4
"""More words than this make a sentence (likely a question), not a place."""

_OFFSET = re.compile(
    r"^(?:(?P<prefix>utc|gmt)\s*)?(?P<sign>[+-])?\s*(?P<h>\d{1,2})(?:[:.h]?(?P<m>\d{2}))?$",
    re.ASCII,
)

# Offsets with minutes: a real zone whose standard offset this is (see the module docstring).
_MINUTE_OFFSETS: dict[int, str] = {
    -(9 * 60 + 30): "Pacific/Marquesas",
    -(3 * 60 + 30): "America/St_Johns",
    3 * 60 + 30: "Asia/Tehran",
    4 * 60 + 30: "Asia/Kabul",
    5 * 60 + 30: "Asia/Kolkata",
    5 * 60 + 45: "Asia/Kathmandu",
    6 * 60 + 30: "Asia/Yangon",
    8 * 60 + 45: "Australia/Eucla",
    9 * 60 + 30: "Australia/Darwin",
    10 * 60 + 30: "Australia/Lord_Howe",
    12 * 60 + 45: "Pacific/Chatham",
}

# Names people use that are not the last part of an IANA name, or that should win over one.
# Countries with several zones map to the capital's zone.
_ALIASES: dict[str, str] = {
    # Malaysia, in English and Malay, by city and state
    "kl": "Asia/Kuala_Lumpur",
    "malaysia": "Asia/Kuala_Lumpur",
    "myt": "Asia/Kuala_Lumpur",
    "semenanjung": "Asia/Kuala_Lumpur",
    "selangor": "Asia/Kuala_Lumpur",
    "cheras": "Asia/Kuala_Lumpur",
    "petaling jaya": "Asia/Kuala_Lumpur",
    "pj": "Asia/Kuala_Lumpur",
    "shah alam": "Asia/Kuala_Lumpur",
    "setia alam": "Asia/Kuala_Lumpur",
    "putrajaya": "Asia/Kuala_Lumpur",
    "penang": "Asia/Kuala_Lumpur",
    "pulau pinang": "Asia/Kuala_Lumpur",
    "georgetown": "Asia/Kuala_Lumpur",
    "ipoh": "Asia/Kuala_Lumpur",
    "johor bahru": "Asia/Kuala_Lumpur",
    "jb": "Asia/Kuala_Lumpur",
    "melaka": "Asia/Kuala_Lumpur",
    "malacca": "Asia/Kuala_Lumpur",
    "seremban": "Asia/Kuala_Lumpur",
    "kuantan": "Asia/Kuala_Lumpur",
    "kota bharu": "Asia/Kuala_Lumpur",
    "alor setar": "Asia/Kuala_Lumpur",
    "kuala terengganu": "Asia/Kuala_Lumpur",
    "sarawak": "Asia/Kuching",
    "sabah": "Asia/Kuching",
    "kota kinabalu": "Asia/Kuching",
    "kk": "Asia/Kuching",
    "miri": "Asia/Kuching",
    "labuan": "Asia/Kuching",
    # Neighbours and places patients travel to or live in
    "singapore": "Asia/Singapore",
    "singapura": "Asia/Singapore",
    "sg": "Asia/Singapore",
    "sgt": "Asia/Singapore",
    "brunei": "Asia/Brunei",
    "indonesia": "Asia/Jakarta",
    "wib": "Asia/Jakarta",
    "bali": "Asia/Makassar",
    "wita": "Asia/Makassar",
    "thailand": "Asia/Bangkok",
    "ict": "Asia/Bangkok",
    "vietnam": "Asia/Ho_Chi_Minh",
    "saigon": "Asia/Ho_Chi_Minh",
    "hanoi": "Asia/Bangkok",
    "philippines": "Asia/Manila",
    "china": "Asia/Shanghai",
    "beijing": "Asia/Shanghai",
    "hong kong": "Asia/Hong_Kong",
    "hkt": "Asia/Hong_Kong",
    "taiwan": "Asia/Taipei",
    "japan": "Asia/Tokyo",
    "jepun": "Asia/Tokyo",
    "jst": "Asia/Tokyo",
    "korea": "Asia/Seoul",
    "kst": "Asia/Seoul",
    "india": "Asia/Kolkata",
    "ist": "Asia/Kolkata",
    "delhi": "Asia/Kolkata",
    "new delhi": "Asia/Kolkata",
    "mumbai": "Asia/Kolkata",
    "bangalore": "Asia/Kolkata",
    "chennai": "Asia/Kolkata",
    "nepal": "Asia/Kathmandu",
    "sri lanka": "Asia/Colombo",
    "bangladesh": "Asia/Dhaka",
    "pakistan": "Asia/Karachi",
    "uae": "Asia/Dubai",
    "abu dhabi": "Asia/Dubai",
    "saudi arabia": "Asia/Riyadh",
    "arab saudi": "Asia/Riyadh",
    "mecca": "Asia/Riyadh",
    "makkah": "Asia/Riyadh",
    "mekah": "Asia/Riyadh",
    "madinah": "Asia/Riyadh",
    "medina": "Asia/Riyadh",
    "jeddah": "Asia/Riyadh",
    "qatar": "Asia/Qatar",
    "doha": "Asia/Qatar",
    "turkey": "Europe/Istanbul",
    "uk": "Europe/London",
    "united kingdom": "Europe/London",
    "england": "Europe/London",
    "britain": "Europe/London",
    "scotland": "Europe/London",
    "manchester": "Europe/London",
    "ireland": "Europe/Dublin",
    "france": "Europe/Paris",
    "germany": "Europe/Berlin",
    "netherlands": "Europe/Amsterdam",
    "australia": "Australia/Sydney",
    "canberra": "Australia/Sydney",
    "aest": "Australia/Sydney",
    "new zealand": "Pacific/Auckland",
    "nz": "Pacific/Auckland",
    "wellington": "Pacific/Auckland",
    "usa": "America/New_York",
    "us": "America/New_York",
    "washington": "America/New_York",
    "nyc": "America/New_York",
    "est": "America/New_York",
    "san francisco": "America/Los_Angeles",
    "pst": "America/Los_Angeles",
    "canada": "America/Toronto",
}

_AREAS = {
    "Africa",
    "America",
    "Antarctica",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
}
_UTC_NAMES = {"utc", "gmt", "z", "zulu", "utc+0", "utc-0", "gmt+0", "gmt-0"}


@dataclass(frozen=True)
class Reading:
    """What typed text means as a timezone: a zone, or suggestions when it means none."""

    zone: str | None
    suggestions: tuple[str, ...] = field(default=())


def _fold(text: str) -> str:
    """Lower-case, drop accents, make '_', '-' and runs of spaces one space ("São_Paulo")."""
    decomposed = unicodedata.normalize("NFKD", text.replace("\u2212", "-"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.casefold().replace("_", " ").split())


def _valid(zone: str) -> bool:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


@cache
def _names() -> dict[str, str]:
    """Every name we accept (folded) -> its IANA zone."""
    names: dict[str, str] = {}
    for zone in sorted(_zones()):
        if zone.split("/", 1)[0] not in _AREAS:
            continue  # "Etc/GMT-8", and old names such as "US/Pacific" or "Singapore"
        names.setdefault(_fold(zone), zone)  # "asia/kuala lumpur"
        names.setdefault(_fold(zone.rsplit("/", 1)[1]), zone)  # "kuala lumpur"
    names.update(_ALIASES)
    return names


@cache
def _cities() -> tuple[str, ...]:
    """The names suggestions are drawn from: cities and aliases, not IANA names or "kl"."""
    return tuple(name for name in _names() if "/" not in name and len(name) > 3)


def offset_zone(minutes: int) -> str | None:
    """Return the zone for a UTC offset in minutes, or None when there is none."""
    if minutes == 0:
        return UTC
    if minutes % 60 == 0:
        hours = minutes // 60
        # POSIX inverts the sign: Etc/GMT-8 is eight hours ahead of UTC.
        return f"Etc/GMT{-hours:+d}" if -12 <= hours <= 14 else None
    return _MINUTE_OFFSETS.get(minutes)


def _read_offset(folded: str) -> Reading | None:
    match = _OFFSET.match(folded.replace(" ", ""))
    if match is None or (match["prefix"] is None and match["sign"] is None):
        return None  # a bare "8" is a time, not an offset
    hours, minutes = int(match["h"]), int(match["m"] or 0)
    if minutes >= 60:
        return Reading(None)
    total = hours * 60 + minutes
    return Reading(offset_zone(-total if match["sign"] == "-" else total))


def could_be_a_place(text: str) -> bool:
    """Whether typed text may answer "which timezone?" rather than ask a question."""
    stripped = text.strip()
    return (
        0 < len(stripped) <= MAX_INPUT
        and "?" not in stripped
        and len(stripped.split()) <= MAX_PLACE_WORDS
    )


def suggest(text: str, limit: int = 3) -> tuple[str, ...]:
    """Return up to `limit` zones whose city names are closest to `text`."""
    folded = _fold(text[:MAX_INPUT])
    if not folded:
        return ()
    names = _names()
    found: list[str] = []
    for name, _score, _ in process.extract(
        folded, _cities(), scorer=fuzz.token_set_ratio, limit=limit * 4, score_cutoff=70
    ):
        zone = names[name]
        if zone not in found:
            found.append(zone)
    return tuple(found[:limit])


def read_timezone(text: str) -> Reading:
    """Return the zone `text` names, or suggestions when it names none."""
    folded = _fold(text[:MAX_INPUT])
    if folded in _UTC_NAMES:
        return Reading(UTC)
    by_offset = _read_offset(folded)
    if by_offset is not None:
        return by_offset
    zone = _names().get(folded)
    if zone is not None:
        return Reading(zone)
    return Reading(None, suggest(text))


def zone_at(latitude: float, longitude: float) -> str:
    """Return the zone at a point; at sea (or if the lookup fails) the nautical zone by longitude.

    tzfpy answers offline from bundled boundary data. The sea zones are the 15-degree bands
    ``Etc/GMT±n`` centred on multiples of 15 degrees of longitude.
    """
    zone = tzfpy.get_tz(longitude, latitude)
    if zone and _valid(zone):
        return zone
    return offset_zone(60 * round(longitude / 15)) or UTC


def utc_offset(zone: str, now: dt.datetime) -> str:
    """Return a zone's offset at an instant as people write it: "UTC+8", "UTC+5:45", "UTC"."""
    delta = now.astimezone(ZoneInfo(zone)).utcoffset() or dt.timedelta()
    minutes = int(delta.total_seconds()) // 60
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def city(zone: str) -> str | None:
    """Return the place a zone is named after ("Kuala Lumpur"), None for UTC and Etc zones."""
    if zone == UTC or zone.startswith("Etc/") or "/" not in zone:
        return None
    return zone.rsplit("/", 1)[1].replace("_", " ")


def label(zone: str, now: dt.datetime) -> str:
    """Return how a zone is shown: "Kuala Lumpur, UTC+8", or just "UTC+8" for a fixed offset."""
    if not _valid(zone):
        return zone
    place = city(zone)
    offset = utc_offset(zone, now)
    return f"{place}, {offset}" if place else offset


def is_zone(name: str) -> bool:
    """Whether `name` is an IANA zone we can store (used to check button data)."""
    return name == UTC or name in _zones()
