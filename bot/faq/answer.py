"""Answering questions: urgent triage, small talk, then FAQ matching; outcomes recorded.

No Telegram: the handler, the `faq ask` command, the admins' /try and the tests share triage().
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import Content
from bot.content.models import FaqEntry, Tip
from bot.db.models import Question
from bot.faq.matcher import Candidate, FaqMatcher
from bot.faq.model import off_topic_in, shipped_model, urgent_in
from bot.faq.smalltalk import SmallTalkDetector, SmallTalkFile
from bot.faq.urgent import detect_urgent

Outcome = Literal["answered", "ambiguous", "unanswered", "urgent", "crisis", "smalltalk"]


@dataclass(frozen=True)
class Reply:
    """What the bot should answer to a question."""

    outcome: Outcome
    entries: tuple[FaqEntry, ...] = ()  # one when answered, up to three when ambiguous
    sign_id: str | None = None  # the urgent (or crisis) sign found
    smalltalk: str | None = None  # the small-talk kind ("thanks", "greeting", ...)
    language: str | None = None  # the language to answer in, when the text is in the other one
    scores: tuple[Candidate, ...] = ()  # the matcher's candidates, for `faq ask` and /try


_detectors: dict[int, tuple[SmallTalkFile, SmallTalkDetector]] = {}


def _smalltalk(content: Content, text: str) -> str | None:
    data = content.smalltalk
    if data is None:
        return None
    cached = _detectors.get(id(data))
    if cached is None or cached[0] is not data:
        if len(_detectors) > 8:  # content reloads are rare; keep the newest few
            _detectors.clear()
        cached = _detectors[id(data)] = (data, SmallTalkDetector(data))
    return cached[1].detect(text)


def triage(content: Content, matcher: FaqMatcher, text: str, language: str) -> Reply:
    """Decide: urgent signs (crisis first) win over everything, then the triage model's second
    opinion (bot.faq.model), then small talk, then the FAQ, unless the model says the message
    is about something else."""
    finding = detect_urgent(text, content.urgent)
    if finding is not None:
        return Reply("crisis" if finding.kind == "crisis" else "urgent", sign_id=finding.sign_id)
    # A second opinion for words the signs do not list, before small talk: a goodbye can be a
    # farewell ("selamat tinggal semua 🥀"). Its sign ids (model-crisis, model-urgent) show
    # editors what the rules missed.
    model = shipped_model()
    said = model.probabilities(text)
    verdict = urgent_in(said)
    if verdict is not None:
        return Reply(verdict[0], sign_id=f"model-{verdict[0]}")
    kind = _smalltalk(content, text)
    if kind is not None:
        return Reply("smalltalk", smalltalk=kind)
    typed = matcher.language_of(text)
    answer_in = typed if typed is not None and typed != language else None
    result = matcher.match(text, language=answer_in or language)
    entries = tuple(e for c in result.candidates if (e := content.faq_entry(c.entry_id)))
    if entries and off_topic_in(said) and entries[0].id in model.faq_entries:
        # The model's second opinion: about something else (a food place, the weather), where
        # a word or two met a keyword ("nasi lemak place in PJ"). An entry added since the
        # model was fitted keeps its answers: it never saw them.
        return Reply("unanswered", language=answer_in, scores=result.candidates)
    if result.kind == "confident" and entries:
        return Reply("answered", entries[:1], language=answer_in, scores=result.candidates)
    if result.kind == "ambiguous" and entries:
        # The choices in the order the model, fitted on the cases, finds likelier.
        ranked = model.rank(text, [e.id for e in entries])
        if ranked is not None:
            by_id = {e.id: e for e in entries}
            entries = tuple(by_id[e] for e in ranked)
        return Reply("ambiguous", entries, language=answer_in, scores=result.candidates)
    return Reply("unanswered", language=answer_in, scores=result.candidates)


KINDS: dict[str, str] = {"answered": "answer", "ambiguous": "choices", "unanswered": "none"}
"""Outcomes as `faq ask` and /try name them; the others keep their own name."""


def describe(reply: Reply) -> dict[str, Any]:
    """Return what the bot would do, as plain data: kind, entry ids, scores, sign, language."""
    shown = [e.id for e in reply.entries]
    return {
        "kind": KINDS.get(reply.outcome, reply.outcome),
        "ids": shown,
        "scores": {c.entry_id: c.score for c in reply.scores},
        "sign": reply.sign_id,
        "smalltalk": reply.smalltalk,
        "language": reply.language,
    }


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
    """Store the question's outcome; the words only when admins need them to improve the FAQ.

    Urgent and crisis messages keep only the sign id and the time, never their words.
    Small talk is not a question: nothing is stored for it.
    """
    if reply.outcome == "smalltalk":
        return
    keep_text = reply.outcome in ("ambiguous", "unanswered")
    entry_id = reply.sign_id if reply.outcome in ("urgent", "crisis") else None
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
