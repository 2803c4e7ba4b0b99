"""Small talk, off-topic questions, the other language and admins' /try (in process)."""

from __future__ import annotations

import pytest

from bot.db.models import Question
from tests.inprocess.conftest import Harness, buttons

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _questions(harness: Harness) -> list[tuple[str, str | None, str | None]]:
    return [(q.outcome, q.entry_id, q.text) for q in await harness.new(Question)]


async def test_thanks_gets_a_friendly_reply_and_is_not_an_unanswered_question(
    harness: Harness,
) -> None:
    chat = harness.user()
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
    assert await _questions(harness) == [("unanswered", None, "harga minyak petrol")]


async def test_malay_question_from_an_english_user_is_answered_in_malay_with_a_switch(
    harness: Harness,
) -> None:
    chat = harness.user()
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
    admin = harness.admin()
    shown = await admin.say("/try does milk cause pimples")
    assert "kind: answer" in shown["text"]
    assert "dairy-and-acne" in shown["text"]
    urgent = await admin.say("/try my lips are swelling and i cannot breathe")
    assert "kind: urgent" in urgent["text"]
    usage = await admin.say("/try")
    assert usage["text"].startswith("Usage: /try")
    assert await _questions(harness) == []


async def test_try_is_not_for_subscribers(harness: Harness) -> None:
    chat = harness.user()
    reply = await chat.say("/try does milk cause pimples")
    assert "kind:" not in reply["text"]
