"""A crisis message end to end over HTTP through the sandbox (the other urgent conversations:
tests/inprocess/test_urgent_triage.py)."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import select, text

from bot.db.base import Base
from bot.db.models import Question
from tests.e2e.conftest import Harness, buttons


async def _questions(harness: Harness, count: int = 1) -> list[tuple[str, str | None, str | None]]:
    """Return the stored questions once `count` are there (they are stored after the reply)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while True:
        async with harness.db.session() as session:
            rows = (await session.scalars(select(Question).order_by(Question.id))).all()
        if len(rows) >= count or loop.time() > deadline:
            return [(q.outcome, q.entry_id, q.text) for q in rows]
        await asyncio.sleep(0.02)


async def _everything_stored(harness: Harness) -> str:
    """Return every value of every row of every table of the bot's database, as one text."""
    values: list[str] = []
    async with harness.db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = (await conn.execute(text(f'SELECT * FROM "{table.name}"'))).all()
            values += [str(v) for row in rows for v in row]
    return "\n".join(values).casefold()


@pytest.mark.parametrize(
    ("typed", "sign", "kept_words"),
    [
        (
            "I want to kill myself because of my acne, nobody looks at me",
            "self-harm",
            ("kill myself", "acne, nobody", "nobody looks at me"),
        ),
        # In words no sign lists: the triage model's second opinion (bot/faq/model.py).
        (
            "i gave my guitar away today and wrote a letter to each of my sisters",
            "model-crisis",
            ("guitar", "letter to each", "sisters"),
        ),
    ],
)
async def test_a_suicidal_message_gets_the_crisis_reply_and_none_of_its_words_are_kept(
    harness: Harness,
    caplog: pytest.LogCaptureFixture,
    typed: str,
    sign: str,
    kept_words: tuple[str, ...],
) -> None:
    # INFO is the shipped LOG_LEVEL; the bot's own loggers are watched down to DEBUG.
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="bot")
    chat = await harness.user(251)
    reply = await chat.say(typed)
    assert reply["text"].startswith("Thank you for telling me. You matter")
    for needed in ("999", "112 from a mobile", "Befrienders KL", "03-7627 2929", "15555"):
        assert needed in reply["text"], needed
    assert buttons(reply) == ["Contact the clinic", "Ask the clinic team"]
    assert await _questions(harness) == [("crisis", sign, None)]
    await harness.idle()

    stored = await _everything_stored(harness)
    logged = "\n".join(r.getMessage() for r in caplog.records).casefold()
    for words in kept_words:
        assert words not in stored, words
        assert words not in logged, words

    # The contact button still leads to the clinic's branches.
    branches = await chat.press(reply, "Contact the clinic")
    assert branches["text"].startswith("Book a consultation")
