"""A subscriber's day: one decision, used by the delivery tick and by /today.

Pure: a library, what a subscriber chose, their tip history and the instants in; a `DayPlan`
out (no database, no ORM). The decision, in order:
- inactive: they do not receive tips now (stopped, paused, not yet subscribed);
- missed: the due instant is further back than the catch-up window (a tip is never sent late);
- paused: an admin paused all deliveries;
- skipped: the program skips the date, or nothing fits their topics;
- otherwise the tip (a tip already planned for the day stays the day's tip).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from bot.content.library import Library
from bot.content.models import Tip
from bot.schedule.choose import Skip, choose_tip, parse_concern, parse_topics
from bot.schedule.due import local_date

PAUSED_REASON = "deliveries paused"


class Decision(StrEnum):
    """What happens on a subscriber's day."""

    INACTIVE = "inactive"
    MISSED = "missed"
    PAUSED = "paused"
    SKIPPED = "skipped"
    TIP = "tip"


@dataclass(frozen=True)
class Profile:
    """What the day's decision reads of a subscriber (stored values, as stored)."""

    timezone: str
    topics: str | None = None
    concern: str | None = None
    active: bool = True


@dataclass(frozen=True)
class DayPlan:
    """The decision for one subscriber on their local date `day`."""

    day: dt.date
    decision: Decision
    tip: Tip | None = None
    reason: str | None = None

    @property
    def choice(self) -> Tip | Skip:
        """The tip, or why there is none."""
        if self.tip is not None:
            return self.tip
        return Skip(self.reason or self.decision.value)


def plan_day(
    library: Library,
    profile: Profile,
    seen: Mapping[str, dt.date],
    *,
    due_at: dt.datetime,
    now: dt.datetime,
    catch_up: dt.timedelta | None = None,
    planned: Tip | None = None,
) -> DayPlan:
    """Decide the day whose send time is `due_at` (the local date there, in their zone).

    `seen` maps tips they already had to the last local date of each; `catch_up` (None: no
    limit) is how late a due send may still go; `planned` is a tip already planned for the
    day (it stays the day's tip unless the day is decided otherwise first).
    """
    day = local_date(due_at, profile.timezone)
    if not profile.active:
        return DayPlan(day, Decision.INACTIVE)
    if catch_up is not None and now - due_at > catch_up:
        return DayPlan(day, Decision.MISSED)
    if library.paused:
        return DayPlan(day, Decision.PAUSED, reason=PAUSED_REASON)
    if planned is not None:
        return DayPlan(day, Decision.TIP, tip=planned)
    choice = choose_tip(
        library,
        day,
        topics=parse_topics(profile.topics),
        concern=parse_concern(profile.concern),
        seen=seen,
    )
    if isinstance(choice, Skip):
        return DayPlan(day, Decision.SKIPPED, reason=choice.reason)
    return DayPlan(day, Decision.TIP, tip=choice)
