"""Which tip comes next, as a table over a small library written here (no database, no files).

The library: three fiber tips (the second tagged eczema, the third acne), one each of the other
core topics, and the mixed-in topics prebiotics (two tips, the second tagged acne) and
hydration (one). The week: Monday and Friday fiber, Tuesday fermented, Wednesday sleep,
Thursday stress, the weekend mix; some dates differ (a skip, a pinned tip, another topic).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bot.content.library import Library
from bot.content.models import CORE_TOPICS, Concern, Program, Tip, Topic
from bot.schedule.choose import Skip, choose_tip, parse_concern, parse_topics

MONDAY = dt.date(2026, 11, 23)
TUESDAY, WEDNESDAY, THURSDAY = (MONDAY + dt.timedelta(days=n) for n in (1, 2, 3))
SATURDAY = MONDAY + dt.timedelta(days=5)
SKIPPED_WITH_NOTE = dt.date(2026, 12, 25)
SKIPPED = dt.date(2026, 12, 26)
PINNED = dt.date(2026, 12, 7)  # a Monday: fiber, but the program pins a prebiotics tip
PINNED_GONE = dt.date(2026, 12, 14)  # a Monday pinning a tip that is no longer in use
FERMENTED_MONDAY = dt.date(2026, 12, 21)
PREBIOTICS_MONDAY = dt.date(2026, 12, 28)
ALL = frozenset(CORE_TOPICS)


def tip(tip_id: str, topic: Topic, *concerns: Concern) -> Tip:
    text = {
        "title": f"Tip {tip_id}",
        "body": "A sentence long enough to pass the body's minimum length of forty.",
        "try_today": "Try it today.",
    }
    return Tip.model_validate(
        {
            "id": tip_id,
            "topic": topic,
            "concerns": concerns,
            "source": "https://example.org/source",
            "review": {"status": "reviewed", "by": "Dr Test", "on": "2026-01-01"},
            "text": {"en": text, "ms": text},
        }
    )


TIPS = (
    tip("f1", Topic.FIBER),
    tip("f2", Topic.FIBER, Concern.ECZEMA),
    tip("f3", Topic.FIBER, Concern.ACNE),
    tip("m1", Topic.FERMENTED),
    tip("s1", Topic.SLEEP),
    tip("t1", Topic.STRESS),
    tip("p1", Topic.PREBIOTICS),
    tip("p2", Topic.PREBIOTICS, Concern.ACNE),
    tip("h1", Topic.HYDRATION),
)


def program(**more: Any) -> Program:
    return Program.model_validate(
        {
            "weekdays": {
                "monday": "fiber",
                "tuesday": "fermented",
                "wednesday": "sleep",
                "thursday": "stress",
                "friday": "fiber",
                "saturday": "mix",
                "sunday": "mix",
            },
            "mix": ["prebiotics", "hydration"],
            "dates": [
                {"date": SKIPPED_WITH_NOTE, "skip": True, "note": "clinic closed"},
                {"date": SKIPPED, "skip": True},
                {"date": PINNED, "tip": "p2"},
                {"date": PINNED_GONE, "tip": "retired"},
                {"date": FERMENTED_MONDAY, "topic": "fermented"},
                {"date": PREBIOTICS_MONDAY, "topic": "prebiotics"},
            ],
            **more,
        }
    )


LIBRARY = Library(TIPS, program())


def choose(
    day: dt.date,
    *,
    topics: frozenset[Topic] = ALL,
    concern: Concern | None = None,
    seen: dict[str, dt.date] | None = None,
    library: Library = LIBRARY,
) -> str:
    """The chosen tip's id, or "skip: <reason>"."""
    chosen = choose_tip(library, day, topics=topics, concern=concern, seen=seen or {})
    return f"skip: {chosen.reason}" if isinstance(chosen, Skip) else chosen.id


def seen(*ids: str, on: dt.date = MONDAY - dt.timedelta(days=30)) -> dict[str, dt.date]:
    return dict.fromkeys(ids, on)


EVERY_ID = [t.id for t in TIPS]


CASES = [
    ("the weekday's topic, first in file order", MONDAY, {}, "f1"),
    ("Tuesday is fermented", TUESDAY, {}, "m1"),
    ("Thursday is stress", THURSDAY, {}, "t1"),
    ("a concern puts its tagged tip first", MONDAY, {"concern": Concern.ECZEMA}, "f2"),
    ("another concern, another tip", MONDAY, {"concern": Concern.ACNE}, "f3"),
    (
        "a concern never pulls in another topic's tip on a topic's day",
        TUESDAY,
        {"concern": Concern.ACNE},
        "m1",
    ),
    ("no repeat while the day's topic has unseen tips", MONDAY, {"seen": seen("f1")}, "f2"),
    (
        "a concern's tip already seen: the next in file order",
        MONDAY,
        {"concern": Concern.ECZEMA, "seen": seen("f2")},
        "f1",
    ),
    ("mix day: file order first", SATURDAY, {}, "p1"),
    (
        "mix day: the mixed topic seen least comes next (not file order)",
        SATURDAY,
        {"seen": seen("p1")},
        "h1",
    ),
    (
        "mix day: a concern goes before the topic seen least",
        SATURDAY,
        {"concern": Concern.ACNE, "seen": seen("p1")},
        "p2",
    ),
    (
        "the day's topic all seen: an unseen tip of another of their topics",
        MONDAY,
        {"seen": seen("f1", "f2", "f3")},
        "m1",
    ),
    (
        "then the topic they have seen least of (not file order)",
        MONDAY,
        {"seen": seen("f1", "f2", "f3", "m1", "s1", "t1", "p1")},
        "h1",
    ),
    (
        "then a concern's tip from anywhere they get",
        MONDAY,
        {"concern": Concern.ACNE, "seen": seen("f1", "f2", "f3")},
        "p2",
    ),
    (
        "a subscriber's topics limit the other tips",
        MONDAY,
        {"topics": frozenset({Topic.FIBER, Topic.STRESS}), "seen": seen("f1", "f2", "f3")},
        "t1",
    ),
    ("a skipped date with its note", SKIPPED_WITH_NOTE, {}, "skip: clinic closed"),
    ("a skipped date without one", SKIPPED, {}, "skip: skipped date"),
    ("a pinned tip, though Monday is fiber", PINNED, {}, "p2"),
    ("a pinned tip even when seen before", PINNED, {"seen": seen("p2")}, "p2"),
    ("a pinned tip no longer in use: the weekday's topic", PINNED_GONE, {}, "f1"),
    ("a date given another topic", FERMENTED_MONDAY, {}, "m1"),
    (
        "a date given a mixed topic reaches someone whose core topics differ",
        PREBIOTICS_MONDAY,
        {"topics": frozenset({Topic.SLEEP})},
        "p1",
    ),
]


@pytest.mark.parametrize(
    ("day", "kwargs", "expected"), [pytest.param(*case[1:], id=case[0]) for case in CASES]
)
def test_choose_tip(day: dt.date, kwargs: dict[str, Any], expected: str) -> None:
    assert choose(day, **kwargs) == expected


def test_when_everything_was_seen_the_day_topic_seen_longest_ago_comes_back() -> None:
    history = seen(*EVERY_ID, on=dt.date(2026, 10, 1))  # other topics: longer ago still
    history |= {"f1": dt.date(2026, 11, 10), "f2": dt.date(2026, 11, 1), "f3": dt.date(2026, 11, 5)}
    assert choose(MONDAY, seen=history) == "f2"


def test_when_everything_was_seen_on_the_same_day_a_concern_then_file_order_decides() -> None:
    history = seen(*EVERY_ID)
    assert choose(MONDAY, seen=history) == "f1"
    assert choose(MONDAY, seen=history, concern=Concern.ACNE) == "f3"
    assert choose(SATURDAY, seen=history, concern=Concern.ACNE) == "p2"


def test_when_the_day_topic_has_no_tips_the_oldest_seen_of_theirs_comes_back() -> None:
    library = Library(tuple(t for t in TIPS if t.topic != Topic.STRESS), program())
    history = seen("f1", "f2", "f3", "s1", "p1", "p2", "h1", on=dt.date(2026, 11, 1))
    history["m1"] = dt.date(2026, 10, 1)
    assert choose(THURSDAY, seen=history, library=library) == "m1"
    assert choose(THURSDAY, library=library) == "f1"


def test_a_topic_turned_off_is_replaced_by_each_of_theirs_in_turn() -> None:
    mine = frozenset({Topic.SLEEP, Topic.STRESS})
    mondays = [MONDAY + dt.timedelta(weeks=n) for n in range(2)]
    assert {choose(day, topics=mine) for day in mondays} == {"s1", "t1"}
    assert choose(WEDNESDAY, topics=mine) == "s1"  # their own topic's day stays theirs


def test_no_tips_for_their_topics_is_a_skip() -> None:
    library = Library(tuple(t for t in TIPS if t.topic == Topic.FIBER), program())
    assert choose(WEDNESDAY, topics=frozenset({Topic.SLEEP}), library=library) == (
        "skip: no tips for these topics"
    )


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        (None, ALL),
        ("", ALL),
        ("sleep,stress", {Topic.SLEEP, Topic.STRESS}),
        ("fiber", {Topic.FIBER}),
        ("sleep,prebiotics", {Topic.SLEEP}),  # not a core topic: dropped
        ("bogus", ALL),  # nothing left: all of them
    ],
)
def test_parse_topics(stored: str | None, expected: set[Topic]) -> None:
    assert parse_topics(stored) == expected


@pytest.mark.parametrize(
    ("stored", "expected"),
    [("eczema", Concern.ECZEMA), ("rosacea", Concern.ROSACEA), ("bogus", None), ("", None)],
)
def test_parse_concern(stored: str | None, expected: Concern | None) -> None:
    assert parse_concern(stored) is expected


def test_parse_concern_of_nothing_is_none() -> None:
    assert parse_concern(None) is None
