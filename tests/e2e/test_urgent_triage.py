"""Urgent triage as a person meets it through the sandbox: a crisis, an infection with fever."""

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


async def test_a_suicidal_message_gets_the_crisis_reply_and_none_of_its_words_are_kept(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    # INFO is the shipped LOG_LEVEL; the bot's own loggers are watched down to DEBUG.
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="bot")
    chat = await harness.user(251)
    typed = "I want to kill myself because of my acne, nobody looks at me"
    reply = await chat.say(typed)
    assert reply["text"].startswith("Thank you for telling me. You matter")
    for needed in ("999", "112 from a mobile", "Befrienders KL", "03-7627 2929", "15555"):
        assert needed in reply["text"], needed
    assert buttons(reply) == ["Contact the clinic", "Ask the clinic team"]
    assert await _questions(harness) == [("crisis", "self-harm", None)]
    await harness.idle()

    stored = await _everything_stored(harness)
    logged = "\n".join(r.getMessage() for r in caplog.records).casefold()
    for words in ("kill myself", "acne, nobody", "nobody looks at me"):
        assert words not in stored, words
        assert words not in logged, words

    # The contact button still leads to the clinic's branches.
    branches = await chat.press(reply, "Contact the clinic")
    assert branches["text"].startswith("Book a consultation")


async def test_a_suicidal_message_in_malay_gets_the_malay_crisis_reply(harness: Harness) -> None:
    chat = await harness.user(252, language="ms")
    reply = await chat.say("saya rasa nak bunuh diri sebab jerawat ni")
    assert reply["text"].startswith("Terima kasih kerana memberitahu saya. Diri anda berharga")
    assert "112 dari telefon bimbit" in reply["text"]
    assert buttons(reply) == ["Hubungi klinik", "Tanya pasukan klinik"]
    assert await _questions(harness) == [("crisis", "self-harm", None)]


async def test_an_infection_with_fever_gets_the_urgent_reply(harness: Harness) -> None:
    chat = await harness.user(253)
    reply = await chat.say("boil super swollen and hot, high fever since last night")
    assert reply["text"].startswith("This may need urgent care.")
    assert "999" in reply["text"] and "112 from a mobile" in reply["text"]
    assert buttons(reply) == ["Contact the clinic", "Ask the clinic team"]
    malay = await harness.user(254, language="ms")
    reply = await malay.say("bisul bengkak bernanah, demam menggigil")
    assert reply["text"].startswith("Ini mungkin memerlukan rawatan segera.")
    assert await _questions(harness, 2) == [
        ("urgent", "skin-infection-fever", None),
        ("urgent", "skin-infection-fever", None),
    ]


async def test_a_message_edited_into_a_crisis_still_gets_the_crisis_reply(harness: Harness) -> None:
    chat = await harness.user(255)
    typed = await harness.client.send_text(255, "does dairy cause acne?")
    await harness.client.wait_for_bot_message(255, after_message_id=typed["message_id"])
    newest = await chat.newest_id()
    harness.edit_text(255, typed["message_id"], "actually i just want to end my life")
    reply = await harness.client.wait_for_bot_message(255, after_message_id=newest)
    assert reply["text"].startswith("Thank you for telling me. You matter")
    assert buttons(reply) == ["Contact the clinic"]
    await harness.idle()
    assert "end my life" not in await _everything_stored(harness)
