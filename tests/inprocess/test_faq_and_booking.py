"""Asking questions, urgent symptoms, and booking, as a person does it (in process; an English
answer and /book run end to end in tests/e2e/test_faq_and_booking.py)."""

from __future__ import annotations

import pytest

from bot.db.models import BookingIntent, Question
from tests.inprocess.conftest import Harness, buttons

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _questions(harness: Harness) -> list[tuple[str, str | None, str | None]]:
    return [(q.outcome, q.entry_id, q.text) for q in await harness.new(Question)]


async def _intents(harness: Harness) -> list[tuple[str, str]]:
    return [(b.clinic_id, b.origin) for b in await harness.new(BookingIntent)]


async def test_malay_question_gets_the_malay_answer_and_related_tip(harness: Harness) -> None:
    chat = harness.user("Siti", language="ms")
    reply = await chat.say("probiotik untuk ekzema")
    assert "probiotik" in reply["text"].lower()
    assert "bukan nasihat perubatan" in reply["text"].lower()
    tip_label = buttons(reply)[0]
    tip = await chat.press(reply, tip_label)
    assert tip["text"].startswith(tip_label.removeprefix("Tip: "))
    assert "Cuba hari ini:" in tip["text"]
    assert buttons(tip) == ["Buat temu janji"]


async def test_malay_question_with_typos_and_texting_shorthand(harness: Harness) -> None:
    chat = harness.user("Amir", language="ms")
    reply = await chat.say("jerawatt sbb minum susu ke")
    assert reply["text"].startswith("Adakah susu")
    assert buttons(reply)[-2:] == ["Buat temu janji", "Tanya soalan lain"]


async def test_ambiguous_question_offers_choices_and_a_choice_answers(harness: Harness) -> None:
    chat = harness.user()
    choices = await chat.say("sleep and stress")
    assert choices["text"] == "I'm not sure which question you mean. Did you mean one of these?"
    labels = buttons(choices)
    assert 2 <= len(labels) - 1 <= 3 and labels[-1] == "None of these"
    assert any("sleep" in label.lower() for label in labels)
    assert any("stress" in label.lower() for label in labels)
    answer = await chat.press(choices, labels[0])
    assert answer["text"].startswith(labels[0])
    outcomes = await _questions(harness)
    assert outcomes[0] == ("ambiguous", None, "sleep and stress")
    assert outcomes[1][0] == "answered"


async def test_unknown_question_falls_back_and_is_recorded_for_admins(harness: Harness) -> None:
    chat = harness.user()
    reply = await chat.say("who won the football match yesterday")
    assert reply["text"].startswith("Sorry, I don't have a reviewed answer to that yet.")
    assert buttons(reply) == ["Browse questions", "Ask the clinic team", "Book a consultation"]
    assert "NextMed Clinic Cheras: +60 3-0000 0001" in reply["text"]
    assert await _questions(harness) == [
        ("unanswered", None, "who won the football match yesterday")
    ]
    menu = await chat.press(reply, "Browse questions")
    assert menu["text"].startswith("Questions I can answer")
    assert "Food and diet" in buttons(menu)


async def test_faq_menu_browses_by_topic(harness: Harness) -> None:
    chat = harness.user()
    menu = await chat.say("/faq")
    listed = await chat.press_edit(menu, "The clinic and booking")
    assert "Choose a question" in listed["text"]
    assert listed["message_id"] == menu["message_id"] and listed["edited"]
    assert "Back" in buttons(listed)


async def test_urgent_message_gets_the_safety_reply_not_an_answer(harness: Harness) -> None:
    chat = harness.user()
    reply = await chat.say("my lips and face are swollen after the laser, is it dairy?")
    assert reply["text"].startswith("This may need urgent care.")
    assert "999" in reply["text"]
    assert buttons(reply) == ["Contact the clinic", "Ask the clinic team"]
    (outcome,) = await _questions(harness)
    assert outcome[0] == "urgent" and outcome[2] is None  # no health text kept


async def test_urgent_in_malay(harness: Harness) -> None:
    chat = harness.user(language="ms")
    reply = await chat.say("muka bengkak lepas laser")
    assert reply["text"].startswith("Ini mungkin memerlukan rawatan segera.")


async def test_negated_symptom_is_not_urgent(harness: Harness) -> None:
    chat = harness.user()
    reply = await chat.say("eczema on my arms, no fever, does diet help with eczema?")
    assert reply["text"].startswith("Can diet help eczema?"), reply["text"]


async def test_booking_from_an_answer_remembers_the_answer(harness: Harness) -> None:
    chat = harness.user()
    answer = await chat.say("does dairy cause acne")
    branches = await chat.press(answer, "Book a consultation")
    await chat.press(branches, "NextMed Clinic Cheras")
    assert await _intents(harness) == [("cheras", "faq:dairy-and-acne")]


async def test_shared_location_picks_the_nearest_branch(harness: Harness) -> None:
    chat = harness.user()
    card = await chat.share(3.0738, 101.5183)  # Shah Alam
    assert card["text"].startswith("The nearest branch to you is about")
    assert "NextMed Clinic Setia Alam" in card["text"]
    assert await _intents(harness) == [("setia-alam", "location")]
