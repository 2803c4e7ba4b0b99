"""Changing time, language, pausing and stopping, as a subscriber does it (in process)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.db.models import SubscriberStatus
from tests.inprocess.conftest import Harness, buttons

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_time_by_button_and_by_typing(harness: Harness) -> None:
    chat = await harness.subscribed()
    prompt = await chat.say("/time")
    assert prompt["text"].startswith("Your tip arrives at 08:00 (Kuala Lumpur, UTC+8).")
    assert buttons(prompt) == ["07:00", "08:00", "12:30", "20:00", "21:30"]
    done = await chat.press(prompt, "20:00")
    assert done["text"] == "Done. Your tip now arrives every day at 20:00 (Kuala Lumpur, UTC+8)."
    assert (await harness.subscriber(chat)).send_time == dt.time(20, 0)
    await chat.say("/time")
    typed = await chat.say("7.30pm")
    assert typed["text"].startswith("Done. Your tip now arrives every day at 19:30")
    assert (await harness.subscriber(chat)).send_time == dt.time(19, 30)


async def test_unreadable_time_changes_nothing_and_a_question_still_gets_answered(
    harness: Harness,
) -> None:
    chat = await harness.subscribed()
    await chat.say("/time")
    bad = await chat.say("25:99")
    assert (
        bad["text"]
        == "Sorry, I couldn't read that time. Try 7.30pm, 19:30 or 730. Nothing was changed."
    )
    assert (await harness.subscriber(chat)).send_time == dt.time(8, 0)
    answer = await chat.say("does dairy cause acne?")
    assert answer["text"].startswith("Does dairy cause acne?")


async def test_time_before_subscribing_is_refused(harness: Harness) -> None:
    chat = harness.user()
    await chat.say("/start")
    reply = await chat.say("/time")
    assert reply["text"].startswith("You are not subscribed yet.")


async def test_language_switch_changes_later_replies(harness: Harness) -> None:
    chat = await harness.subscribed()
    prompt = await chat.say("/language")
    assert buttons(prompt) == ["English", "Bahasa Melayu"]
    done = await chat.press(prompt, "Bahasa Melayu")
    assert done["text"] == "Selesai. Saya akan menulis kepada anda dalam Bahasa Melayu."
    assert (await harness.subscriber(chat)).language == "ms"
    assert (await chat.say("/help"))["text"].startswith("Apa yang saya boleh buat")


async def test_pause_for_a_week_then_resume(harness: Harness) -> None:
    chat = await harness.subscribed()
    prompt = await chat.say("/pause")
    assert buttons(prompt) == ["1 day", "1 week", "Until I resume"]
    paused = await chat.press(prompt, "1 week")
    row = await harness.subscriber(chat)
    assert row.status == SubscriberStatus.PAUSED and row.paused_until is not None
    expected = row.paused_until.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert paused["text"].startswith(f"Your tips are paused until {expected:%d/%m/%Y}.")
    resumed = await chat.say("/resume")
    assert resumed["text"].startswith("Welcome back. Your tips arrive again every day at 08:00")
    row = await harness.subscriber(chat)
    assert row.status == SubscriberStatus.ACTIVE and row.paused_until is None


async def test_stop_asks_once_and_start_restores_preferences(harness: Harness) -> None:
    chat = await harness.subscribed(language="ms")
    await chat.say("/time")
    await chat.say("21:00")
    confirm = await chat.say("/stop")
    assert confirm["text"].startswith("Hentikan tip harian?")
    stopped = await chat.press(confirm, "Ya, hentikan tip saya")
    assert stopped["text"].startswith("Anda sudah berhenti melanggan")
    assert (await harness.subscriber(chat)).status == SubscriberStatus.UNSUBSCRIBED
    welcome = await chat.say("/start")
    await chat.press(welcome, "Saya setuju, langgan")
    row = await harness.subscriber(chat)
    assert (row.status, row.send_time, row.language) == (
        SubscriberStatus.ACTIVE,
        dt.time(21, 0),
        "ms",
    )


async def test_typed_stop_and_berhenti_unsubscribe(harness: Harness) -> None:
    english = await harness.subscribed()
    assert (await english.say("STOP"))["text"].startswith("You are unsubscribed")
    malay = await harness.subscribed(language="ms")
    assert (await malay.say("berhenti"))["text"].startswith("Anda sudah berhenti melanggan")
    for chat in (english, malay):
        assert (await harness.subscriber(chat)).status == SubscriberStatus.UNSUBSCRIBED
