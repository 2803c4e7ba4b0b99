"""Answering questions: urgent triage first, then FAQ matching; outcomes recorded. No Telegram."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import Content
from bot.content.models import FaqEntry, Tip
from bot.db.models import Question
from bot.faq.matcher import FaqMatcher
from bot.faq.urgent import detect_urgent

Outcome = Literal["answered", "ambiguous", "unanswered", "urgent"]


@dataclass(frozen=True)
class Reply:
    """What the bot should answer to a question."""

    outcome: Outcome
    entries: tuple[FaqEntry, ...] = ()  # one when answered, up to three when ambiguous
    sign_id: str | None = None  # the urgent sign found


def triage(content: Content, matcher: FaqMatcher, text: str, language: str) -> Reply:
    """Decide how to answer: urgent signs win over everything, then the FAQ."""
    finding = detect_urgent(text, content.urgent)
    if finding is not None:
        return Reply("urgent", sign_id=finding.sign_id)
    result = matcher.match(text, language=language)
    entries = tuple(e for c in result.candidates if (e := content.faq_entry(c.entry_id)))
    if result.kind == "confident" and entries:
        return Reply("answered", entries[:1])
    if result.kind == "ambiguous" and entries:
        return Reply("ambiguous", entries)
    return Reply("unanswered")


def related_tip(content: Content, entry: FaqEntry) -> Tip | None:
    """Return a tip on one of the entry's related topics, if there is one."""
    for topic in entry.related_topics:
        for tip in content.tips:
            if tip.topic == topic:
                return tip
    return None


async def record(
    session: AsyncSession, reply: Reply, text: str, language: str, now: dt.datetime
) -> None:
    """Store the question's outcome; the words only when admins need them to improve the FAQ."""
    keep_text = reply.outcome in ("ambiguous", "unanswered")
    entry_id = reply.sign_id if reply.outcome == "urgent" else None
    if reply.outcome == "answered":
        entry_id = reply.entries[0].id
    session.add(
        Question(
            outcome=reply.outcome,
            entry_id=entry_id,
            # PostgreSQL text cannot hold NUL; nothing a person meant is lost without it.
            text=text.replace("\x00", "")[:4096] if keep_text else None,
            language=language,
            created_at=now,
        )
    )
    await session.commit()


async def record_pick(
    session: AsyncSession, entry_id: str, language: str, now: dt.datetime
) -> None:
    """Store that an entry was opened from a menu or a "did you mean" choice."""
    session.add(
        Question(
            outcome="answered", entry_id=entry_id, text=None, language=language, created_at=now
        )
    )
    await session.commit()
