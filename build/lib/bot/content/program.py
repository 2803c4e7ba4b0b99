"""Edits to the program (tips/schedule.yaml) as pure functions, and what each date holds.

Every edit returns a new, validated Program; one that cannot be made raises EditError with
a catalog key (and values) that tells the admin why. Dates are the subscribers' local dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from bot.content.models import MIX, WEEKDAYS, Program, ProgramDate, Topic
from bot.content.transfer import program_data

PlanKind = Literal["topic", "mix", "tip", "skip"]


class EditError(Exception):
    """An edit that cannot be made; `key` names the catalog message that explains it."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class DayPlan:
    """What the program gives on one date."""

    day: dt.date
    kind: PlanKind
    topic: Topic | None = None  # for kind "topic"
    tip_id: str | None = None  # for kind "tip"
    note: str | None = None
    override: bool = False  # the date differs from the weekly rotation


def day_plan(program: Program, day: dt.date) -> DayPlan:
    """Return what the program gives on `day`."""
    plan = program.on(day)
    if isinstance(plan, ProgramDate):
        if plan.skip:
            return DayPlan(day, "skip", note=plan.note, override=True)
        if plan.tip is not None:
            return DayPlan(day, "tip", tip_id=plan.tip, note=plan.note, override=True)
        return DayPlan(day, "topic", topic=plan.topic, note=plan.note, override=True)
    if plan == MIX:
        return DayPlan(day, "mix")
    return DayPlan(day, "topic", topic=Topic(plan))


def upcoming(program: Program, start: dt.date, count: int) -> list[DayPlan]:
    """Return the plans of `count` dates from `start`."""
    return [day_plan(program, start + dt.timedelta(days=i)) for i in range(count)]


def monday_of(day: dt.date) -> dt.date:
    """Return the Monday of `day`'s week."""
    return day - dt.timedelta(days=day.weekday())


def check_future(day: dt.date, today: dt.date) -> None:
    """Refuse edits to dates that have passed (their tips are sent or skipped already)."""
    if day < today:
        raise EditError("admin_err_past_date", date=day.isoformat())


def pin(program: Program, day: dt.date, tip_id: str) -> Program:
    """Give everyone this tip on `day` (insert a tip into the schedule)."""
    current = day_plan(program, day)
    if current.kind == "tip" and current.tip_id == tip_id:
        raise EditError("admin_err_no_change")
    return _with_date(program, day, ProgramDate(date=day, tip=tip_id))


def skip(program: Program, day: dt.date, note: str | None = None) -> Program:
    """Send no tip on `day` (a public holiday)."""
    if day_plan(program, day).kind == "skip":
        raise EditError("admin_err_no_change")
    return _with_date(program, day, ProgramDate(date=day, skip=True, note=note or None))


def set_topic(program: Program, day: dt.date, topic: Topic) -> Program:
    """Give `day` this topic instead of the weekday's."""
    current = day_plan(program, day)
    if current.kind == "topic" and current.topic == topic:
        raise EditError("admin_err_no_change")
    return _with_date(program, day, _fit(program, day, topic))


def clear(program: Program, day: dt.date) -> Program:
    """Put `day` back on the weekly rotation (remove a pinned tip, a skip or a topic change)."""
    if _override(program, day) is None:
        raise EditError("admin_err_on_rotation", date=day.isoformat())
    return _with_date(program, day, None)


def move(program: Program, source: dt.date, target: dt.date) -> Program:
    """Move the tip (or skip, or topic change) of `source` to `target`; `source` rejoins the
    weekly rotation, and whatever `target` held is replaced."""
    if source == target:
        raise EditError("admin_err_same_day")
    found = _override(program, source)
    if found is None:
        raise EditError("admin_err_on_rotation", date=source.isoformat())
    moved = _with_date(program, source, None)
    return _with_date(moved, target, _fit(moved, target, found))


def swap(program: Program, first: dt.date, second: dt.date) -> Program:
    """Exchange what two dates hold."""
    if first == second:
        raise EditError("admin_err_same_day")
    a, b = _holding(program, first), _holding(program, second)
    if a == b:
        raise EditError("admin_err_no_change")
    swapped = _with_date(program, first, _fit(program, first, b))
    return _with_date(swapped, second, _fit(program, second, a))


def set_weekday(program: Program, weekday: str, value: Topic | str) -> Program:
    """Change the topic (or mix) of a weekday for every week."""
    if weekday not in WEEKDAYS:
        raise EditError("admin_err_no_change")
    if program.weekdays[weekday] == value:
        raise EditError("admin_err_no_change")
    data = program_data(program)
    data["weekdays"][weekday] = str(value)
    return Program.model_validate(data)


def changed_days(before: Program, after: Program, days: Iterable[dt.date]) -> list[dt.date]:
    """The dates among `days` (and every date either program names) whose plan differs."""
    candidates = set(days) | {d.date for d in before.dates} | {d.date for d in after.dates}
    return sorted(d for d in candidates if day_plan(before, d) != day_plan(after, d))


def _override(program: Program, day: dt.date) -> ProgramDate | None:
    return next((d for d in program.dates if d.date == day), None)


def _holding(program: Program, day: dt.date) -> ProgramDate | Topic | str:
    """What a date holds: its override, else the weekday's topic (or MIX)."""
    found = _override(program, day)
    return found if found is not None else program.weekdays[WEEKDAYS[day.weekday()]]


def _fit(program: Program, day: dt.date, held: ProgramDate | Topic | str) -> ProgramDate | None:
    """Place what another date held on `day`: an override, or None where the rotation says
    the same. A mix day can only go where the rotation has a mix day."""
    rotation = program.weekdays[WEEKDAYS[day.weekday()]]
    if isinstance(held, ProgramDate):
        if held.topic is not None and held.topic == rotation and held.note is None:
            return None
        return held.model_copy(update={"date": day})
    if held == rotation:
        return None
    if held == MIX:
        raise EditError("admin_err_mix_day", date=day.isoformat())
    return ProgramDate(date=day, topic=Topic(held))


def _with_date(program: Program, day: dt.date, change: ProgramDate | None) -> Program:
    data = program_data(program)
    dates = [d for d in program.dates if d.date != day]
    if change is not None:
        dates.append(change)
    data["dates"] = [
        d.model_dump(mode="json", exclude_defaults=True)
        for d in sorted(dates, key=lambda d: d.date)
    ]
    return Program.model_validate(data)
