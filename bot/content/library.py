"""The content one tick plans with: the tips in use, the program, and whether admins paused."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from bot.content.models import Program, Tip


@dataclass(frozen=True)
class Library:
    """The tips in use and the program; what one tick plans with."""

    tips: tuple[Tip, ...]
    program: Program
    paused: bool = False  # admins paused every delivery

    def tip(self, tip_id: str) -> Tip | None:
        """Return the tip with this id, if it is in use."""
        return self._by_id.get(tip_id)

    @functools.cached_property
    def _by_id(self) -> dict[str, Tip]:
        return {t.id: t for t in self.tips}

    @functools.cached_property
    def memo(self) -> dict[object, object]:
        """Work derived from this library alone, kept with it (`bot.schedule.choose` keeps a
        date's eligible tips here): a new library, after an admin's edit, starts afresh."""
        return {}
