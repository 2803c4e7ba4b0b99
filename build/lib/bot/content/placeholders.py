"""Find clinic details that are still the repository's placeholders (tips/clinics.yaml).

Patients see these in the urgent reply's "Contact the clinic" button, the no-answer reply and
/book, so `content check` lists each one and `gutskin-bot run` refuses to start with any of
them unless ALLOW_PLACEHOLDER_CLINICS=true.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from bot.content.models import Clinic

_EXAMPLE_HOSTS = ("example.com", "example.org", "example.net")
# A number whose subscriber part is (nearly) all zeros: "+60 3-0000 0001", "60300000001".
_ZEROS = re.compile(r"0{4,}")
_MARK = re.compile(r"placeholder", re.IGNORECASE)


def clinic_placeholders(clinics: Iterable[Clinic]) -> list[str]:
    """One line per placeholder value: which clinic, which field, and the value."""
    found: list[str] = []
    for clinic in clinics:
        for field, value in _fields(clinic):
            why = _why(field, value)
            if why:
                found.append(f"clinic {clinic.id!r} {field}: {value!r} ({why})")
    return found


def _fields(clinic: Clinic) -> list[tuple[str, str]]:
    out = [(f"name.{lang}", name) for lang, name in clinic.name.items()]
    out += [("area", clinic.area), ("address", clinic.address)]
    out += [(f"hours.{lang}", hours) for lang, hours in clinic.hours.items()]
    out += [("phone", clinic.phone), ("whatsapp", clinic.whatsapp)]
    out += [("map_url", str(clinic.map_url)), ("booking_url", str(clinic.booking_url))]
    return out


def _why(field: str, value: str) -> str | None:
    if _MARK.search(value):
        return "PLACEHOLDER text"
    if field in ("phone", "whatsapp") and _ZEROS.search(re.sub(r"[^0-9]", "", value)):
        return "a number of zeros"
    if field.endswith("_url"):
        host = (urlsplit(value).hostname or "").lower()
        if any(host == h or host.endswith(f".{h}") for h in _EXAMPLE_HOSTS):
            return "an example.com link"
    return None
