"""Which tip a subscriber gets on a date: the program, their topics, concern and history.

Pure functions over content and a subscriber's history, so the rules are table-tested:
- the program gives the day's topic (a core topic, the mixed-in topics, a pinned tip, or a
  skipped date);
- a subscriber never gets a tip again until they have seen every tip of their topics
  (their chosen core topics plus the mixed-in ones);
- tips tagged with their skin concern come first; then the order of the tip files.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.content.library import Library as Library  # re-exported: it used to live here
from bot.content.models import (
    CORE_TOPICS,
    MIX,
    WEEKDAYS,
    Concern,
    ProgramDate,
    Tip,
    Topic,
)


@dataclass(frozen=True)
class Skip:
    """No tip this date (the program skips it, or there is nothing to send)."""

    reason: str


@functools.lru_cache(maxsize=256)
def parse_topics(stored: str | None) -> frozenset[Topic]:
    """A subscriber's core topics from the stored comma list; None or empty means all."""
    if not stored:
        return frozenset(CORE_TOPICS)
    chosen = frozenset(Topic(t) for t in stored.split(",") if t in {c.value for c in CORE_TOPICS})
    return chosen or frozenset(CORE_TOPICS)


@functools.lru_cache(maxsize=64)
def parse_concern(stored: str | None) -> Concern | None:
    """A subscriber's skin concern, or None."""
    try:
        return Concern(stored) if stored else None
    except ValueError:
        return None


@dataclass(frozen=True)
class _Menu:
    """What a date offers a set of topics, the same for every subscriber with those topics
    (worked out once per library, date and topics: a claim plans 1,000 subscribers, most
    with the same topics, and these lists cost more than the choice itself)."""

    fixed: Tip | Skip | None  # the answer whatever they have seen (a skip, a pinned tip)
    eligible: tuple[Tip, ...] = ()
    today: tuple[Tip, ...] = ()
    topic_of: Mapping[str, Topic] = field(default_factory=dict)  # eligible tip id: topic
    position: Mapping[str, int] = field(default_factory=dict)  # eligible tip id: file order


_MENUS_KEPT = 256


def _menu(library: Library, day: dt.date, topics: frozenset[Topic]) -> _Menu:
    # Kept with the library (`Library.memo`): the one a tick plans with never changes.
    key = ("choose.menu", day, topics)
    found = library.memo.get(key)
    if not isinstance(found, _Menu):
        if len(library.memo) >= _MENUS_KEPT:
            library.memo.clear()
        found = library.memo[key] = _work_out_menu(library, day, topics)
    return found


def _work_out_menu(library: Library, day: dt.date, topics: frozenset[Topic]) -> _Menu:
    plan = library.program.on(day)
    if isinstance(plan, ProgramDate):
        if plan.skip:
            return _Menu(Skip(plan.note or "skipped date"))
        if plan.tip is not None:
            pinned = library.tip(plan.tip)
            if pinned is not None:
                return _Menu(pinned)
            plan = library.program.weekdays[WEEKDAYS[day.weekday()]]
        else:
            assert plan.topic is not None
            plan = plan.topic
    mix = frozenset(library.program.mix)
    eligible = [t for t in library.tips if t.topic in topics or t.topic in mix]
    if not eligible:
        return _Menu(Skip("no tips for these topics"))
    pool = _pool(plan, topics, mix, day)
    return _Menu(
        None,
        tuple(eligible),
        tuple(t for t in eligible if t.topic in pool),
        {t.id: t.topic for t in eligible},
        {t.id: i for i, t in enumerate(eligible)},
    )


def choose_tip(
    library: Library,
    day: dt.date,
    *,
    topics: frozenset[Topic],
    concern: Concern | None,
    seen: Mapping[str, dt.date],
) -> Tip | Skip:
    """Return the tip for a subscriber on their local date `day`.

    `seen` maps tip ids they already received to the last local date they got each one.
    """
    menu = _menu(library, day, topics)
    if menu.fixed is not None:
        return menu.fixed
    unseen_today = [t for t in menu.today if t.id not in seen]
    if unseen_today:
        return _best(unseen_today, concern, seen, menu)
    unseen = [t for t in menu.eligible if t.id not in seen]
    if unseen:
        return _best(unseen, concern, seen, menu)
    # They have seen everything of their topics: the one they saw longest ago comes back.
    again = menu.today or menu.eligible
    order = menu.position
    return min(again, key=lambda t: (seen[t.id], _rank(t, concern), order[t.id]))


def _pool(
    plan: Topic | str, topics: frozenset[Topic], mix: frozenset[Topic], day: dt.date
) -> frozenset[Topic]:
    """The topics the day's tip comes from, for this subscriber."""
    if plan == MIX:
        return mix
    topic = Topic(plan)
    if topic in topics or topic in mix:
        return frozenset({topic})
    # They turned this core topic off: one of theirs instead, turning by the date so the
    # substitute is not always the same topic.
    own = sorted(topics, key=CORE_TOPICS.index)
    return frozenset({own[day.toordinal() % len(own)]})


def _rank(tip: Tip, concern: Concern | None) -> int:
    return 0 if concern is not None and concern in tip.concerns else 1


def _best(
    candidates: Iterable[Tip],
    concern: Concern | None,
    seen: Mapping[str, dt.date],
    menu: _Menu,
) -> Tip:
    """Concern first, then the topic they have seen least of (so mixes rotate), then file order."""
    # How many of each topic's eligible tips they have seen (counted over what they have
    # seen, a few dozen, rather than over every eligible tip).
    topic_of = menu.topic_of
    per_topic = Counter(topic_of[i] for i in seen if i in topic_of)
    position = menu.position
    return min(candidates, key=lambda t: (_rank(t, concern), per_topic[t.topic], position[t.id]))
