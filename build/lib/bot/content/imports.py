"""Importing a whole tips, FAQ or schedule file: what it changes, checked against the content.

A tips file is the full set of tips in use: tips missing from it are retired (kept for
history), retired ones in it come back. A FAQ or schedule file replaces the FAQ or the
program. The change is applied through content_store.apply, all of it or nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import Content
from bot.content.models import Tip
from bot.content.store import (
    Change,
    State,
    faq_change,
    load_state,
    preview,
    program_change,
    tips_change,
)
from bot.content.transfer import Parsed, faq_data, program_data, tip_data


@dataclass(frozen=True)
class ImportPlan:
    """What importing a file would change, checked against the whole content."""

    kind: str
    change: Change
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()  # tips retired, FAQ entries removed, dates removed
    problems: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """Whether the file matches what runs already."""
        return not (self.added or self.changed or self.removed)


async def plan_import(session: AsyncSession, content: Content, parsed: Parsed) -> ImportPlan:
    """What importing a validated file would change; a tips file is the full set of tips in
    use (tips missing from it are retired, retired ones in it come back)."""
    plan = import_plan(content, await load_state(session, content), parsed)
    _, _, problems = await preview(session, content, plan.change)
    return dataclasses.replace(plan, problems=tuple(problems))


def import_change(content: Content, parsed: Parsed) -> Callable[[State], Change]:
    """The change importing `parsed` makes, worked out on the state at Apply time."""
    return lambda state: import_plan(content, state, parsed).change


def import_plan(content: Content, state: State, parsed: Parsed) -> ImportPlan:
    """What importing `parsed` over `state` changes (not yet checked against the content)."""
    if parsed.kind == "tips":
        change, added, changed, removed = _tips_import(content, state, parsed.tips)
    elif parsed.kind == "faq":
        change = faq_change(content, parsed.faq)
        old = {e.id: faq_data(e) for e in state.faq}
        new = {e.id: faq_data(e) for e in parsed.faq}
        added = tuple(i for i in new if i not in old)
        changed = tuple(i for i in new if i in old and old[i] != new[i])
        removed = tuple(i for i in old if i not in new)
    else:
        assert parsed.program is not None
        change = program_change(content, parsed.program)
        old_p, new_p = program_data(state.program), program_data(parsed.program)
        old_d = {d["date"]: d for d in old_p["dates"]}
        new_d = {d["date"]: d for d in new_p["dates"]}
        added = tuple(d for d in new_d if d not in old_d)
        changed = tuple(
            [w for w in new_p["weekdays"] if new_p["weekdays"][w] != old_p["weekdays"][w]]
            + (["mix"] if new_p["mix"] != old_p["mix"] else [])
            + [d for d in new_d if d in old_d and new_d[d] != old_d[d]]
        )
        removed = tuple(d for d in old_d if d not in new_d)
    return ImportPlan(parsed.kind, change, added, changed, removed)


def _tips_import(
    content: Content, state: State, tips: tuple[Tip, ...]
) -> tuple[Change, tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    current = {s.tip.id: s for s in state.tips}
    wanted = {t.id for t in tips}
    updates: dict[str, tuple[Tip, bool]] = {}
    added: list[str] = []
    changed: list[str] = []
    for tip in tips:
        now = current.get(tip.id)
        if now is None or now.retired:
            added.append(tip.id)
        elif tip_data(now.tip) != tip_data(tip):
            changed.append(tip.id)
        else:
            continue
        updates[tip.id] = (tip, False)
    removed = [s.tip.id for s in state.tips if not s.retired and s.tip.id not in wanted]
    updates.update({tip_id: (current[tip_id].tip, True) for tip_id in removed})
    return tips_change(content, updates), tuple(added), tuple(changed), tuple(removed)
