"""A question answered and a booking, end to end over HTTP through the sandbox, and the urgent
reply without a database (the other conversations: tests/inprocess/test_faq_and_booking.py)."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select, text

from bot.db.models import BookingIntent, Question
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


async def _intents(harness: Harness) -> list[tuple[str, str]]:
    async with harness.db.session() as session:
        rows = (await session.scalars(select(BookingIntent).order_by(BookingIntent.id))).all()
    return [(b.clinic_id, b.origin) for b in rows]


def _urls(message: dict) -> dict[str, str]:  # type: ignore[type-arg]
    markup = message.get("reply_markup") or {}
    return {b["text"]: b["url"] for row in markup["inline_keyboard"] for b in row if "url" in b}


async def test_question_with_typos_in_english_gets_the_answer(harness: Harness) -> None:
    chat = await harness.user(201)
    reply = await chat.say("does dairy cause acnee??")
    assert reply["text"].startswith("Does dairy cause acne?")
    assert "not medical advice" in reply["text"]
    labels = buttons(reply)
    assert labels[-2:] == ["Book a consultation", "Ask something else"]
    assert labels[0].startswith("Tip: ")
    assert await _questions(harness) == [("answered", "dairy-and-acne", None)]


async def test_urgent_reply_does_not_depend_on_the_database(harness: Harness) -> None:
    chat = await harness.user(212)
    async with harness.db.engine.begin() as conn:
        await conn.execute(text("DROP TABLE questions"))
    reply = await chat.say("I don't know why but my lips are swollen and I can't breathe")
    assert reply["text"].startswith("This may need urgent care.")


async def test_book_leads_to_the_branch_card_and_records_the_intent(harness: Harness) -> None:
    chat = await harness.user(209)
    branches = await chat.say("/book")
    assert buttons(branches) == [
        "NextMed Clinic Cheras",
        "NextMed Clinic PJ",
        "NextMed Clinic Setia Alam",
    ]
    card = await chat.press(branches, "NextMed Clinic PJ")
    assert card["text"].startswith("NextMed Clinic PJ\nPetaling Jaya, Selangor")
    urls = _urls(card)
    assert set(urls) == {"Book online", "WhatsApp", "Directions"}
    booking = urlsplit(urls["Book online"])
    assert parse_qs(booking.query) == {"branch": ["pj"], "utm_source": ["telegram-bot"]}
    assert urls["WhatsApp"] == "https://wa.me/60300000002"
    assert await _intents(harness) == [("pj", "command")]
