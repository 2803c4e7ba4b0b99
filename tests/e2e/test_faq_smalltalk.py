"""Small talk, off-topic questions, the other language and admins' /try, through the sandbox."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.db.models import Question
from tests.e2e.conftest import ADMIN_ID, Chat, Harness, buttons


async def _questions(harness: Harness, count: int) -> list[tuple[str, str | None, str | None]]:
    """Return the stored questions once `count` are there (they are stored after the reply)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while True:
        async with harness.db.session() as session:
            rows = (await session.scalars(select(Question).order_by(Question.id))).all()
        if len(rows) >= count or loop.time() > deadline:
            return [(q.outcome, q.entry_id, q.text) for q in rows]
        await asyncio.sleep(0.02)


async def test_thanks_gets_a_friendly_reply_and_is_not_an_unanswered_question(
    harness: Harness,
) -> None:
    chat = await harness.user(221)
    thanks = await chat.say("thanks!")
    assert thanks["text"].startswith("You're welcome!")
    hello = await chat.say("terima kasih")  # in the user's language (English), not recorded
    assert hello["text"].startswith("You're welcome!")
    petrol = await chat.say("harga minyak petrol")
    # The honest fallback, in Malay since it was typed in Malay; no offer to switch the
    # setting, since nothing is stored before "I agree" (#15).
    assert petrol["text"].startswith("Maaf")
    assert buttons(petrol) == ["Lihat senarai soalan", "Tanya pasukan klinik", "Buat temu janji"]
    # Only the real question is stored for the admins; neither "thanks" nor "terima kasih".
    assert await _questions(harness, 1) == [("unanswered", None, "harga minyak petrol")]


async def test_malay_question_from_an_english_user_is_answered_in_malay_with_a_switch(
    harness: Harness,
) -> None:
    chat = await harness.user(222)
    welcome = await chat.say("/start")
    # Before "I agree" the answer comes in Malay, but no setting can be stored (#15).
    before = await chat.say("susu lembu buat jerawat naik ke")
    assert before["text"].startswith("Adakah susu")
    assert "Balas dalam Bahasa Melayu selepas ini" not in buttons(before)
    await chat.press(welcome, "I agree, subscribe")
    reply = await chat.say("susu lembu buat jerawat naik ke")
    assert reply["text"].startswith("Adakah susu")
    assert buttons(reply)[-1] == "Balas dalam Bahasa Melayu selepas ini"
    await chat.press(reply, "Balas dalam Bahasa Melayu selepas ini")
    greeting = await chat.say("hello")  # English small talk, answered in the new setting
    assert greeting["text"].startswith("Hai!")


async def test_admins_try_shows_the_decision_without_answering(harness: Harness) -> None:
    admin = Chat(harness.client, ADMIN_ID)
    shown = await admin.say("/try does milk cause pimples")
    assert "kind: answer" in shown["text"]
    assert "dairy-and-acne" in shown["text"]
    urgent = await admin.say("/try my lips are swelling and i cannot breathe")
    assert "kind: urgent" in urgent["text"]
    usage = await admin.say("/try")
    assert usage["text"].startswith("Usage: /try")
    assert await _questions(harness, 0) == []


async def test_try_is_not_for_subscribers(harness: Harness) -> None:
    chat = await harness.user(223)
    reply = await chat.say("/try does milk cause pimples")
    assert "kind:" not in reply["text"]
