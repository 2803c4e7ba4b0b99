"""Urgent triage as a person meets it: a crisis in Malay, an infection with fever, a message
edited into a crisis (in process; the English crisis goes end to end in tests/e2e)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from bot.db.base import Base
from bot.db.models import Question
from tests.inprocess.conftest import Harness, buttons

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _questions(harness: Harness) -> list[tuple[str, str | None, str | None]]:
    return [(q.outcome, q.entry_id, q.text) for q in await harness.new(Question)]


async def _everything_stored(harness: Harness) -> str:
    """Return every value of every row of every table of the bot's database, as one text
    (the session's: other tests' rows too, which can only make this stricter)."""
    values: list[str] = []
    async with harness.db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = (await conn.execute(text(f'SELECT * FROM "{table.name}"'))).all()
            values += [str(v) for row in rows for v in row]
    return "\n".join(values).casefold()


async def test_a_suicidal_message_in_malay_gets_the_malay_crisis_reply(harness: Harness) -> None:
    chat = harness.user(language="ms")
    reply = await chat.say("saya rasa nak bunuh diri sebab jerawat ni")
    assert reply["text"].startswith("Terima kasih kerana memberitahu saya. Diri anda berharga")
    assert "112 dari telefon bimbit" in reply["text"]
    assert buttons(reply) == ["Hubungi klinik", "Tanya pasukan klinik"]
    assert await _questions(harness) == [("crisis", "self-harm", None)]


async def test_an_infection_with_fever_gets_the_urgent_reply(harness: Harness) -> None:
    chat = harness.user()
    reply = await chat.say("boil super swollen and hot, high fever since last night")
    assert reply["text"].startswith("This may need urgent care.")
    assert "999" in reply["text"] and "112 from a mobile" in reply["text"]
    assert buttons(reply) == ["Contact the clinic", "Ask the clinic team"]
    malay = harness.user(language="ms")
    reply = await malay.say("bisul bengkak bernanah, demam menggigil")
    assert reply["text"].startswith("Ini mungkin memerlukan rawatan segera.")
    assert await _questions(harness) == [
        ("urgent", "skin-infection-fever", None),
        ("urgent", "skin-infection-fever", None),
    ]


async def test_a_message_edited_into_a_crisis_still_gets_the_crisis_reply(harness: Harness) -> None:
    chat = harness.user()
    await chat.say("does dairy cause acne?")
    typed = max(m["message_id"] for m in chat.history() if not m["from_bot"])
    reply = await chat.edit(typed, "actually i just want to end my life")
    assert reply["text"].startswith("Thank you for telling me. You matter")
    assert buttons(reply) == ["Contact the clinic", "Ask the clinic team"]
    assert "end my life" not in await _everything_stored(harness)


async def test_a_photo_captioned_with_an_emergency_gets_the_urgent_reply(harness: Harness) -> None:
    # Patients send a picture of the swelling with the words beside it.
    chat = harness.user()
    reply = await chat.send_media("photo", caption="my lips swelling like this and cant breathe")
    assert reply["text"].startswith("This may need urgent care.")
    assert buttons(reply) == ["Contact the clinic", "Ask the clinic team"]
    malay = harness.user(language="ms")
    reply = await malay.send_media("photo", caption="saya rasa nak bunuh diri tengok muka ni")
    assert reply["text"].startswith("Terima kasih kerana memberitahu saya. Diri anda berharga")
    assert await _questions(harness) == [
        ("urgent", "swelling-face-throat", None),
        ("crisis", "self-harm", None),
    ]
    assert "bunuh diri" not in await _everything_stored(harness)


async def test_a_photo_with_a_question_beside_it_gets_the_answer_and_no_diagnosis(
    harness: Harness,
) -> None:
    chat = harness.user()
    note = await chat.send_media("photo", caption="does dairy cause acne? my chin like this")
    assert note["text"].startswith("I can't look at photos, and a photo can't tell what a rash")
    answer = chat.reply_after(note["message_id"])
    assert "dairy" in answer["text"].casefold()
    assert await _questions(harness) == [("answered", "dairy-and-acne", None)]
    # A photo alone still gets the short answer.
    alone = await chat.send_media("photo")
    assert alone["text"].startswith("I can't read that kind of message yet.")
