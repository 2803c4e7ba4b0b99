"""Row ids that arrive from outside (button data, typed numbers): checked before any query."""

from __future__ import annotations

import re

MAX_ROW_ID = 2**31 - 1
"""The largest integer primary key: ids are 32-bit `integer` columns on PostgreSQL (SERIAL).

Checked rather than widened to 64 bits: 2**31 rows is centuries of daily tips for this
clinic, while a BIGINT migration rewrites the largest tables and every foreign key to them.
"""
_DIGITS = re.compile(r"[0-9]{1,10}")  # ASCII only: str.isdigit() takes "²" and "٣" too


def row_id(text: str) -> int | None:
    """Return `text` as a row id when it is one a table could hold, else None."""
    if not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ROW_ID else None
