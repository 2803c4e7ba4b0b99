"""The content one tick plans with: the tips in use, the program, and whether admins paused."""

from __future__ import annotations

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

    @property
    def _by_id(self) -> dict[str, Tip]:
        cached: dict[str, Tip] | None = self.__dict__.get("_index")
        if cached is None:
            cached = {t.id: t for t in self.tips}
            object.__setattr__(self, "_index", cached)
        return cached
