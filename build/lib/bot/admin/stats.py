"""What the admins' stats show: subscribers, deliveries, feedback, questions, bookings and
sources, counted by the clinic's local day. No Telegram here.

Subscriber history is not stored as snapshots, so the daily series are rebuilt from each
row's own dates: a subscription starts at `consented_at`; one that ended (unsubscribed or
blocked) ended at its last change, `updated_at`. That is exact for everyone who stays gone.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.content.models import LANGUAGES
from bot.db.models import (
    BookingIntent,
    Delivery,
    Question,
    Subscriber,
    SubscriberStatus,
)
from bot.schedule.due import local_date, zone

LOST = (SubscriberStatus.UNSUBSCRIBED, SubscriberStatus.BLOCKED)
TOP = 5


@dataclass(frozen=True)
class Day:
    """One local day of the subscriber and delivery series."""

    date: dt.date
    subscribed: int  # subscriptions standing at the end of the day
    new: int  # subscribed that day
    lost: int  # unsubscribed or blocked the bot that day
    deliveries: Counter[str] = field(default_factory=Counter)  # ledger status -> count


@dataclass(frozen=True)
class TipScore:
    """How subscribers rated one tip with its feedback buttons."""

    tip_id: str
    helpful: int
    not_helpful: int

    @property
    def votes(self) -> int:
        """All votes."""
        return self.helpful + self.not_helpful

    @property
    def net(self) -> int:
        """Helpful votes minus not helpful ones: above 0 helpful on balance, below 0 not."""
        return self.helpful - self.not_helpful

    @property
    def share(self) -> float:
        """The share of votes that said helpful."""
        return self.helpful / self.votes if self.votes else 0.0


@dataclass(frozen=True)
class OpenQuestion:
    """A question the FAQ could not answer with confidence (its words are kept)."""

    id: int
    text: str
    language: str
    outcome: str
    created_at: dt.datetime


@dataclass(frozen=True)
class Report:
    """Everything the stats screen and the command line show, for one period."""

    start: dt.date
    end: dt.date
    statuses: Counter[str]  # every subscriber row by status
    days: list[Day]
    deliveries: Counter[str]  # ledger status -> count in the period
    most_helpful: list[TipScore]
    least_helpful: list[TipScore]
    questions: Counter[str]  # outcome -> count in the period
    top_answers: list[tuple[str, int]]  # FAQ entry id -> times answered
    open_questions: list[OpenQuestion]
    bookings_by_branch: list[tuple[str, int]]
    bookings_by_origin: list[tuple[str, int]]
    sources: list[tuple[str | None, int, int]]  # source, everyone, still subscribed
    rated_tips: int = 0  # tips with at least one vote (all time)

    @property
    def total(self) -> int:
        """Everyone who ever started the bot and is still stored."""
        return sum(self.statuses.values())

    @property
    def new(self) -> int:
        """Subscriptions started in the period."""
        return sum(day.new for day in self.days)

    @property
    def lost(self) -> int:
        """Subscriptions ended in the period."""
        return sum(day.lost for day in self.days)


def _start_of(day: dt.date, tz: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone(tz)).astimezone(dt.UTC)


async def report(session: AsyncSession, now: dt.datetime, tz: str, days: int = 30) -> Report:
    """Count everything for the `days` local days up to and including today in zone `tz`."""
    end = local_date(now, tz)
    start = end - dt.timedelta(days=days - 1)
    since = _start_of(start, tz)
    statuses = Counter(
        {
            str(status): int(n)
            for status, n in await session.execute(
                select(Subscriber.status, func.count()).group_by(Subscriber.status)
            )
        }
    )
    series = await _days(session, start, end, since, tz)
    deliveries: Counter[str] = Counter()
    for day in series:
        deliveries.update(day.deliveries)
    most, least, rated = await _feedback(session)
    questions = Counter(
        {
            str(outcome): int(n)
            for outcome, n in await session.execute(
                select(Question.outcome, func.count())
                .where(Question.created_at >= since)
                .group_by(Question.outcome)
            )
        }
    )
    return Report(
        start=start,
        end=end,
        statuses=statuses,
        days=series,
        deliveries=deliveries,
        most_helpful=most,
        least_helpful=least,
        rated_tips=rated,
        questions=questions,
        top_answers=await _top(
            session,
            Question.entry_id,
            (Question.created_at >= since) & (Question.outcome == "answered"),
        ),
        open_questions=await open_questions(session, since=since),
        bookings_by_branch=await _top(
            session, BookingIntent.clinic_id, BookingIntent.created_at >= since, limit=20
        ),
        bookings_by_origin=await _top(
            session, BookingIntent.origin, BookingIntent.created_at >= since
        ),
        sources=await _sources(session),
    )


async def _days(
    session: AsyncSession, start: dt.date, end: dt.date, since: dt.datetime, tz: str
) -> list[Day]:
    consented = Subscriber.consented_at.is_not(None)
    lost = consented & Subscriber.status.in_(LOST)
    before = int(
        await session.scalar(select(func.count()).where(consented, Subscriber.consented_at < since))
        or 0
    ) - int(
        await session.scalar(select(func.count()).where(lost, Subscriber.updated_at < since)) or 0
    )
    joined = Counter(
        local_date(at, tz)
        for at in await session.scalars(
            select(Subscriber.consented_at).where(consented, Subscriber.consented_at >= since)
        )
        if at is not None
    )
    left = Counter(
        local_date(at, tz)
        for at in await session.scalars(
            select(Subscriber.updated_at).where(lost, Subscriber.updated_at >= since)
        )
    )
    sent: dict[dt.date, Counter[str]] = {}
    for day, status, n in await session.execute(
        select(Delivery.local_date, Delivery.status, func.count())
        .where(Delivery.local_date >= start, Delivery.local_date <= end)
        .group_by(Delivery.local_date, Delivery.status)
    ):
        sent.setdefault(day, Counter())[str(status)] = int(n)
    series = []
    standing = before
    day = start
    while day <= end:
        standing += joined[day] - left[day]
        series.append(Day(day, standing, joined[day], left[day], sent.get(day, Counter())))
        day += dt.timedelta(days=1)
    return series


async def _feedback(session: AsyncSession) -> tuple[list[TipScore], list[TipScore], int]:
    """The best and worst rated tips, and how many tips have votes (all time: votes are few
    and slow to come)."""
    votes: dict[str, Counter[str]] = {}
    for tip_id, feedback, n in await session.execute(
        select(Delivery.tip_id, Delivery.feedback, func.count())
        .where(Delivery.feedback.is_not(None), Delivery.tip_id.is_not(None))
        .group_by(Delivery.tip_id, Delivery.feedback)
    ):
        votes.setdefault(str(tip_id), Counter())[str(feedback)] = int(n)
    scores = [TipScore(t, c["helpful"], c["not_helpful"]) for t, c in votes.items()]
    # By net helpfulness (👍 minus 👎): "most helpful" only with more 👍 than 👎, "least" only
    # with more 👎, so a tip with 0👍 1👎 is never called helpful; an even tip is in neither.
    most = sorted((s for s in scores if s.net > 0), key=lambda s: (-s.net, -s.votes, s.tip_id))
    least = sorted((s for s in scores if s.net < 0), key=lambda s: (s.net, -s.votes, s.tip_id))
    return most[:TOP], least[:TOP], len(scores)


async def _top(
    session: AsyncSession,
    column: InstrumentedAttribute[Any],
    where: ColumnElement[bool],
    limit: int = TOP,
) -> list[tuple[str, int]]:
    count = func.count().label("n")
    query = (
        select(column, count)
        .where(where)
        .group_by(column)
        .order_by(count.desc(), column)
        .limit(limit)
    )
    return [(str(key), int(n)) for key, n in await session.execute(query) if key is not None]


async def _sources(session: AsyncSession) -> list[tuple[str | None, int, int]]:
    everyone = Counter(
        {
            source: int(n)
            for source, n in await session.execute(
                select(Subscriber.source, func.count()).group_by(Subscriber.source)
            )
        }
    )
    standing = Counter(
        {
            source: int(n)
            for source, n in await session.execute(
                select(Subscriber.source, func.count())
                .where(Subscriber.status.in_((SubscriberStatus.ACTIVE, SubscriberStatus.PAUSED)))
                .group_by(Subscriber.source)
            )
        }
    )
    ranked = sorted(everyone.items(), key=lambda item: (-item[1], item[0] is None, item[0] or ""))
    return [(source, n, standing[source]) for source, n in ranked[:10]]


async def open_questions(
    session: AsyncSession, *, since: dt.datetime | None = None, limit: int = 10
) -> list[OpenQuestion]:
    """The newest questions the FAQ could not answer with confidence, with their words."""
    query = (
        select(Question)
        .where(Question.outcome.in_(("unanswered", "ambiguous")), Question.text.is_not(None))
        .order_by(Question.created_at.desc(), Question.id.desc())
        .limit(limit)
    )
    if since is not None:
        query = query.where(Question.created_at >= since)
    return [
        OpenQuestion(q.id, q.text or "", q.language, q.outcome, q.created_at)
        for q in await session.scalars(query)
    ]


async def question(session: AsyncSession, question_id: int) -> OpenQuestion | None:
    """One kept question by id (None if gone or never kept)."""
    found = await session.get(Question, question_id)
    if found is None or found.text is None:
        return None
    return OpenQuestion(found.id, found.text, found.language, found.outcome, found.created_at)


_NOT_SLUG = re.compile(r"[^a-z0-9]+")
TODO_ANSWER = (
    "TODO: write a reviewed answer here (40 to 800 characters): the answer first, then what to do."
)


def faq_draft(
    open_question: OpenQuestion,
    today: dt.date,
    *,
    topics: Sequence[str] = ("about",),
    by: str = "clinic admin",
) -> str:
    """A YAML snippet of a draft FAQ entry prefilled from a question, in tips/faq.yaml's
    shape, for an admin to complete and add (or import). `topics` are the FAQ's groups."""
    words = " ".join(open_question.text.split())
    slug = _NOT_SLUG.sub("-", words.lower()).strip("-")[:40].strip("-")
    entry_id = slug if len(slug) >= 3 else f"question-{open_question.id}"
    asked = words[:200] if len(words) >= 5 else f"{words} (?)"
    keyword = _NOT_SLUG.sub(" ", words.lower()).strip()[:60] or "todo"
    if len(keyword) < 2:
        keyword = "todo"
    text = {}
    keywords = {}
    for lang in LANGUAGES:
        mine = lang == open_question.language
        text[lang] = {
            "question": asked if mine else f"TODO ({lang}): {asked}"[:200],
            "answer": TODO_ANSWER,
        }
        keywords[lang] = [keyword] if mine else ["todo"]
    entry = {
        "id": entry_id,
        "topic": topics[0] if topics else "about",
        "keywords": keywords,
        "review": {"status": "draft", "by": by, "on": today},
        "text": text,
    }
    header = (
        f"# Draft from question #{open_question.id} ({open_question.outcome}, "
        f"{open_question.language}). Complete the answers and keywords, choose the topic"
        + (f" ({', '.join(topics)})" if topics else "")
        + ",\n# then add it to tips/faq.yaml or import it.\n"
    )
    body = yaml.safe_dump({"faq": [entry]}, allow_unicode=True, sort_keys=False, width=88)
    return header + body
