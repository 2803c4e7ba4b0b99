"""Program edits as pure functions: what each date holds after a pin, move, swap, skip..."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.content.loader import Content
from bot.content.models import Program, ProgramDate, Topic
from bot.content.program import (
    DayPlan,
    EditError,
    changed_days,
    check_future,
    clear,
    day_plan,
    move,
    pin,
    set_topic,
    set_weekday,
    skip,
    swap,
    upcoming,
)

MON, TUE, WED = dt.date(2031, 1, 6), dt.date(2031, 1, 7), dt.date(2031, 1, 8)
THU, SAT = dt.date(2031, 1, 9), dt.date(2031, 1, 11)
NEXT_MON = dt.date(2031, 1, 13)


@pytest.fixture
def program(content: Content) -> Program:
    """The shipped rotation (Mon fiber, Tue fermented, Wed mix, Thu sleep...), no dates."""
    return content.program.model_copy(update={"dates": ()})


def plan(kind: str, day: dt.date, **kw: object) -> DayPlan:
    return DayPlan(day, kind, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (MON, plan("topic", MON, topic=Topic.FIBER)),
        (TUE, plan("topic", TUE, topic=Topic.FERMENTED)),
        (WED, plan("mix", WED)),
        (THU, plan("topic", THU, topic=Topic.SLEEP)),
    ],
)
def test_rotation_days(program: Program, day: dt.date, expected: DayPlan) -> None:
    assert day_plan(program, day) == expected


@pytest.mark.parametrize(
    ("edit", "day", "expected"),
    [
        (lambda p: pin(p, MON, "tip-a"), MON, plan("tip", MON, tip_id="tip-a", override=True)),
        (lambda p: skip(p, MON), MON, plan("skip", MON, override=True)),
        (lambda p: skip(p, MON, "Merdeka"), MON, plan("skip", MON, note="Merdeka", override=True)),
        (
            lambda p: set_topic(p, MON, Topic.SLEEP),
            MON,
            plan("topic", MON, topic=Topic.SLEEP, override=True),
        ),
        # Moving a pinned tip: the target holds it, the source is back on the rotation.
        (
            lambda p: move(pin(p, MON, "tip-a"), MON, THU),
            THU,
            plan("tip", THU, tip_id="tip-a", override=True),
        ),
        (
            lambda p: move(pin(p, MON, "tip-a"), MON, THU),
            MON,
            plan("topic", MON, topic=Topic.FIBER),
        ),
        # Swapping two rotation days writes each one's topic onto the other.
        (lambda p: swap(p, MON, THU), MON, plan("topic", MON, topic=Topic.SLEEP, override=True)),
        (lambda p: swap(p, MON, THU), THU, plan("topic", THU, topic=Topic.FIBER, override=True)),
        # Swapping a pinned tip with a rotation day.
        (
            lambda p: swap(pin(p, MON, "tip-a"), MON, TUE),
            TUE,
            plan("tip", TUE, tip_id="tip-a", override=True),
        ),
        (
            lambda p: swap(pin(p, MON, "tip-a"), MON, TUE),
            MON,
            plan("topic", MON, topic=Topic.FERMENTED, override=True),
        ),
        # A topic put back on its own weekday is no override at all.
        (
            lambda p: set_topic(set_topic(p, MON, Topic.SLEEP), MON, Topic.FIBER),
            MON,
            plan("topic", MON, topic=Topic.FIBER),
        ),
        (lambda p: clear(pin(p, MON, "tip-a"), MON), MON, plan("topic", MON, topic=Topic.FIBER)),
        (
            lambda p: set_weekday(p, "monday", Topic.STRESS),
            NEXT_MON,
            plan("topic", NEXT_MON, topic=Topic.STRESS),
        ),
        (lambda p: set_weekday(p, "monday", "mix"), MON, plan("mix", MON)),
    ],
)
def test_edits(program: Program, edit: object, day: dt.date, expected: DayPlan) -> None:
    edited = edit(program)  # type: ignore[operator]
    assert isinstance(edited, Program)
    assert day_plan(edited, day) == expected


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (lambda p: move(p, MON, THU), "admin_err_on_rotation"),
        (lambda p: clear(p, MON), "admin_err_on_rotation"),
        (lambda p: move(pin(p, MON, "tip-a"), MON, MON), "admin_err_same_day"),
        (lambda p: swap(p, MON, MON), "admin_err_same_day"),
        (lambda p: swap(p, WED, SAT), "admin_err_no_change"),
        (lambda p: swap(p, WED, MON), "admin_err_mix_day"),
        (lambda p: skip(skip(p, MON), MON), "admin_err_no_change"),
        (lambda p: pin(pin(p, MON, "tip-a"), MON, "tip-a"), "admin_err_no_change"),
        (lambda p: set_topic(p, MON, Topic.FIBER), "admin_err_no_change"),
        (lambda p: set_weekday(p, "monday", Topic.FIBER), "admin_err_no_change"),
        (lambda p: set_weekday(p, "someday", Topic.FIBER), "admin_err_no_change"),
    ],
)
def test_edits_that_cannot_be_made(program: Program, edit: object, key: str) -> None:
    with pytest.raises(EditError) as caught:
        edit(program)  # type: ignore[operator]
    assert caught.value.key == key


def test_edits_keep_other_dates_and_stay_sorted(program: Program) -> None:
    edited = pin(skip(pin(program, THU, "tip-b"), MON), TUE, "tip-a")
    assert [d.date for d in edited.dates] == [MON, TUE, THU]
    assert edited.dates[0] == ProgramDate(date=MON, skip=True)


def test_changed_days_names_exactly_the_dates_that_differ(program: Program) -> None:
    swapped = swap(program, MON, THU)
    assert changed_days(program, swapped, [MON, TUE, THU]) == [MON, THU]
    weekly = set_weekday(program, "monday", Topic.SLEEP)
    assert changed_days(program, weekly, upcoming_days(MON, 14)) == [MON, NEXT_MON]


def upcoming_days(start: dt.date, count: int) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range(count)]


def test_upcoming_and_past_dates(program: Program) -> None:
    assert [p.day for p in upcoming(program, MON, 3)] == [MON, TUE, WED]
    check_future(MON, MON)
    with pytest.raises(EditError) as caught:
        check_future(MON, TUE)
    assert (caught.value.key, caught.value.values) == (
        "admin_err_past_date",
        {"date": "2031-01-06"},
    )
