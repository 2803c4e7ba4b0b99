"""A subscriber's day as a table: who they are, what they had, the instants -> the decision.

In the style of arq's next_cron tests: one row a case, pure (no database, no clock), so each
row takes microseconds. The same `plan_day` decides the delivery tick's rows and /today.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.content.library import Library
from bot.content.models import WEEKDAYS, Concern, Program, ProgramDate, Tip, Topic
from bot.schedule.plan import Decision, Profile, plan_day

UTC = dt.UTC
KL = "Asia/Kuala_Lumpur"  # +08:00, no DST
HOUR = dt.timedelta(hours=1)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def tip(ident: str, topic: Topic, *concerns: Concern) -> Tip:
    # Built without validation: the decision reads only the id, topic and concerns.
    return Tip.model_construct(id=ident, topic=topic, concerns=concerns)


TIPS = (
    tip("fiber-1", Topic.FIBER),
    tip("fiber-2", Topic.FIBER, Concern.ACNE),
    tip("sleep-1", Topic.SLEEP),
    tip("hydration-1", Topic.HYDRATION),
)
# Every weekday is fiber day, but 2026-12-25 is skipped and 2026-12-26 pins sleep-1.
PROGRAM = Program.model_construct(
    weekdays={day: Topic.FIBER for day in WEEKDAYS},
    mix=(Topic.HYDRATION,),
    dates=(
        ProgramDate.model_construct(date=dt.date(2026, 12, 25), skip=True, note="Christmas"),
        ProgramDate.model_construct(date=dt.date(2026, 12, 26), skip=False, tip="sleep-1"),
    ),
)
LIBRARY = Library(TIPS, PROGRAM)
PAUSED = Library(TIPS, PROGRAM, paused=True)
ONLY_SLEEP_TIPS = Library((tip("sleep-1", Topic.SLEEP),), PROGRAM)

DUE = at("2026-12-02T00:00")  # 08:00 on 2 December in Kuala Lumpur
SEEN_FIBER_1 = {"fiber-1": dt.date(2026, 12, 1)}
SEEN_ALL_FIBER = {"fiber-1": dt.date(2026, 11, 30), "fiber-2": dt.date(2026, 11, 29)}

CASES = [
    # case, library, profile, seen, due_at, now, catch_up, planned -> decision, day, tip or why
    ("tip of the day", LIBRARY, Profile(KL), {}, DUE, DUE, None, None,
     Decision.TIP, "2026-12-02", "fiber-1"),
    ("not seen before comes first", LIBRARY, Profile(KL), SEEN_FIBER_1, DUE, DUE, None, None,
     Decision.TIP, "2026-12-02", "fiber-2"),
    ("their concern comes first", LIBRARY, Profile(KL, concern="acne"), {}, DUE, DUE, None, None,
     Decision.TIP, "2026-12-02", "fiber-2"),
    ("the one seen longest ago comes back", LIBRARY, Profile(KL, topics="fiber"),
     {**SEEN_ALL_FIBER, "hydration-1": dt.date(2026, 12, 1)}, DUE, DUE, None, None,
     Decision.TIP, "2026-12-02", "fiber-2"),
    ("core topic turned off: one of theirs", LIBRARY, Profile(KL, topics="sleep"), {},
     DUE, DUE, None, None, Decision.TIP, "2026-12-02", "sleep-1"),
    ("local date, not UTC date", LIBRARY, Profile(KL), {}, at("2026-12-24T16:00"),
     at("2026-12-24T16:00"), None, None, Decision.SKIPPED, "2026-12-25", "Christmas"),
    ("same instant, a zone still on the 24th", LIBRARY, Profile("Pacific/Pago_Pago"), {},
     at("2026-12-24T16:00"), at("2026-12-24T16:00"), None, None,
     Decision.TIP, "2026-12-24", "fiber-1"),
    ("pinned date", LIBRARY, Profile(KL, topics="fiber"), {}, at("2026-12-26T00:00"),
     at("2026-12-26T00:00"), None, None, Decision.TIP, "2026-12-26", "sleep-1"),
    ("nothing for their topics", ONLY_SLEEP_TIPS, Profile(KL, topics="fiber"), {}, DUE, DUE,
     None, None, Decision.SKIPPED, "2026-12-02", "no tips for these topics"),
    ("deliveries paused", PAUSED, Profile(KL), {}, DUE, DUE, None, None,
     Decision.PAUSED, "2026-12-02", "deliveries paused"),
    ("inactive before anything", PAUSED, Profile(KL, active=False), {}, DUE, DUE + 9 * HOUR,
     3 * HOUR, None, Decision.INACTIVE, "2026-12-02", "inactive"),
    ("late inside the catch-up window", LIBRARY, Profile(KL), {}, DUE, DUE + 3 * HOUR,
     3 * HOUR, None, Decision.TIP, "2026-12-02", "fiber-1"),
    ("later than the window: missed", LIBRARY, Profile(KL), {}, DUE,
     DUE + 3 * HOUR + dt.timedelta(microseconds=1), 3 * HOUR, None,
     Decision.MISSED, "2026-12-02", "missed"),
    ("missed before paused", PAUSED, Profile(KL), {}, DUE, DUE + 4 * HOUR, 3 * HOUR, None,
     Decision.MISSED, "2026-12-02", "missed"),
    ("no window (/today): never missed", LIBRARY, Profile(KL), {}, DUE, DUE + 20 * HOUR,
     None, None, Decision.TIP, "2026-12-02", "fiber-1"),
    ("a planned tip stays the day's tip", LIBRARY, Profile(KL), {}, DUE, DUE, None,
     TIPS[2], Decision.TIP, "2026-12-02", "sleep-1"),
    ("a planned tip on a paused day", PAUSED, Profile(KL), {}, DUE, DUE, None, TIPS[2],
     Decision.PAUSED, "2026-12-02", "deliveries paused"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("library", "profile", "seen", "due_at", "now", "catch_up", "planned", "decision", "day",
     "shown"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)  # fmt: skip
def test_plan_day(
    library: Library,
    profile: Profile,
    seen: dict[str, dt.date],
    due_at: dt.datetime,
    now: dt.datetime,
    catch_up: dt.timedelta | None,
    planned: Tip | None,
    decision: Decision,
    day: str,
    shown: str,
) -> None:
    plan = plan_day(
        library, profile, seen, due_at=due_at, now=now, catch_up=catch_up, planned=planned
    )
    assert plan.decision == decision
    assert plan.day == dt.date.fromisoformat(day)
    choice = plan.choice
    assert (choice.id if isinstance(choice, Tip) else choice.reason) == shown
    assert (plan.tip is not None) == (decision == Decision.TIP)
