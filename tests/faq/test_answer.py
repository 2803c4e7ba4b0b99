"""Storing questions: anonymous, the words only when admins need them, any text accepted."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.db.engine import Database
from bot.db.models import Question
from bot.faq import answer as questions

pytestmark = pytest.mark.dialect

NOW = dt.datetime(2026, 11, 21, 8, 0, tzinfo=dt.UTC)


async def test_an_unanswered_question_keeps_its_words_even_with_odd_characters(
    db: Database,
) -> None:
    odd = "y0\U0007a353µ\x04\x01/\x00[×ñ³G\x94 " + "🙂" * 10 + "ا" * 5000
    async with db.session() as session:
        await questions.record(session, questions.Reply("unanswered"), odd, "en", NOW)
    async with db.session() as session:
        [stored] = list(await session.scalars(select(Question)))
    assert stored.outcome == "unanswered"
    assert stored.text == odd.replace("\x00", "")[:4096]


async def test_an_urgent_message_keeps_no_words(db: Database) -> None:
    reply = questions.Reply("urgent", sign_id="breathing")
    async with db.session() as session:
        await questions.record(session, reply, "my throat is closing", "en", NOW)
    async with db.session() as session:
        [stored] = list(await session.scalars(select(Question)))
    assert (stored.outcome, stored.entry_id, stored.text) == ("urgent", "breathing", None)
