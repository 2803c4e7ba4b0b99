"""Read a time of day the way people type it: "7.30pm", "19:30", "730", "7 pagi". No Telegram."""

from __future__ import annotations

import datetime as dt
import re

# One anchored pattern with no nested quantifiers: linear time on any input.
_TIME = re.compile(
    r"^(?P<h>\d{1,2})(?:[:.h ]?(?P<m>\d{2}))?\s*(?P<half>am|pm|a\.m\.|p\.m\.|pagi|petang|malam)?$",
    re.ASCII,
)
_COMPACT = re.compile(r"^(?P<h>\d{1,2})(?P<m>\d{2})$", re.ASCII)
_AFTERNOON = {"pm", "p.m.", "petang", "malam"}


def parse_time(text: str) -> dt.time | None:
    """Return the time of day in `text`, or None when it is not one."""
    cleaned = text.strip().lower()[:20]
    match = _COMPACT.match(cleaned) or _TIME.match(cleaned)
    if match is None:
        return None
    hour = int(match["h"])
    minute = int(match["m"] or 0)
    half = match.groupdict().get("half")
    if half:
        if not 1 <= hour <= 12:
            return None
        if half in _AFTERNOON and hour != 12:
            hour += 12
        elif half not in _AFTERNOON and hour == 12:
            hour = 0
    if hour > 23 or minute > 59:
        return None
    return dt.time(hour, minute)
