"""Odd input at any step: media, edits, forwards, huge, emoji and right-to-left text; old buttons.

The bot answers briefly and the stored row stays as it was.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from bot.db.models import Subscriber, SubscriberStatus
from tests.inprocess.conftest import Chat, Harness, buttons

pytestmark = pytest.mark.asyncio(loop_scope="session")

UNREADABLE = {
    "en": "I can't read that kind of message yet. Please send text, or /help to see what I can do.",
    "ms": "Saya belum boleh membaca mesej jenis itu. Sila hantar teks, atau /help untuk melihat "
    "apa yang saya boleh buat.",
}
EDITED = {
    "en": "I only read new messages, so I didn't act on that edit. Please send it again as a "
    "new message.",
    "ms": "Saya hanya membaca mesej baharu, jadi saya tidak bertindak atas suntingan itu. Sila "
    "hantar semula sebagai mesej baharu.",
}
EXPIRED = {
    "en": "That button is from an older message. Send /start to begin again.",
    "ms": "Butang itu daripada mesej lama. Hantar /start untuk bermula semula.",
}


async def _row(harness: Harness, chat: Chat) -> Subscriber | None:
    async with harness.db.session() as session:
        return await session.scalar(select(Subscriber).where(Subscriber.chat_id == chat.user_id))


async def _settings(harness: Harness, chat: Chat) -> tuple[object, ...]:
    row = await _row(harness, chat)
    assert row is not None
    return (row.status, row.send_time, row.timezone, row.topics, row.concern, row.language)


async def _subscribed(harness: Harness, language: str) -> Chat:
    chat = harness.user(language=language)
    welcome = await chat.say("/start")
    await chat.press(welcome, buttons(welcome)[0])
    return chat


def _last_typed(chat: Chat) -> int:
    return max(m["message_id"] for m in chat.history() if not m["from_bot"])


@pytest.mark.parametrize("language", ["en", "ms"])
async def test_stickers_voice_and_photos_get_a_short_answer_at_any_step(
    harness: Harness, language: str
) -> None:
    chat = await _subscribed(harness, language)
    before = await _settings(harness, chat)
    for step in (None, "/settings", "/topics", "/time", "/timezone"):
        if step:
            await chat.say(step)
        for kind in ("sticker", "voice", "photo"):
            reply = await chat.send_media(kind)
            assert reply["text"] == UNREADABLE[language], (step, kind)
    assert await _settings(harness, chat) == before
    # The timezone step (the last one above) still waits for its answer after the media.
    tokyo = await chat.say("Tokyo")
    assert "Tokyo, UTC+9" in tokyo["text"]
    assert (await _settings(harness, chat))[2] == "Asia/Tokyo"


@pytest.mark.parametrize("language", ["en", "ms"])
async def test_an_edited_message_is_not_acted_on(harness: Harness, language: str) -> None:
    chat = await _subscribed(harness, language)
    await chat.say("/time")
    await chat.say("21:00")
    typed = _last_typed(chat)
    assert (await _settings(harness, chat))[1] == dt.time(21, 0)
    note = await chat.edit(typed, "07:00")
    assert note["text"] == EDITED[language]
    # Editing an old message into STOP or a command does nothing either.
    for edit in ("STOP", "/deletemydata", "/stop"):
        assert (await chat.edit(typed, edit))["text"] == EDITED[language]
    status, send_time, *_ = await _settings(harness, chat)
    assert (status, send_time) == (SubscriberStatus.ACTIVE, dt.time(21, 0))


async def test_forwarded_text_never_changes_settings(harness: Harness) -> None:
    chat = await _subscribed(harness, "en")
    before = await _settings(harness, chat)
    reply = await chat.forward("STOP")
    assert not reply["text"].startswith("You are unsubscribed")
    await chat.say("/time")
    reply = await chat.forward("7pm")
    assert not reply["text"].startswith("Done.")
    await chat.say("/timezone")
    await chat.forward("London")
    assert await _settings(harness, chat) == before
    # A forwarded question is still answered.
    assert (await chat.forward("does dairy cause acne?"))["text"].startswith(
        "Does dairy cause acne?"
    )


@pytest.mark.parametrize("language", ["en", "ms"])
async def test_huge_emoji_and_right_to_left_text_in_the_time_and_timezone_steps(
    harness: Harness, language: str
) -> None:
    chat = await _subscribed(harness, language)
    before = await _settings(harness, chat)
    unknown = {"en": "Sorry, I couldn't find that place", "ms": "Maaf, saya tidak jumpa tempat"}
    for odd in ("🙂🙂🙂", "القاهرة", "שלום", "‮evil‬", "👍🏽‍"):
        await chat.say("/timezone")
        reply = await chat.say(odd)
        assert reply["text"].startswith(unknown[language]), odd
    await chat.say("/timezone")
    huge = await chat.say("Kuala Lumpur " * 315)  # 4,095 characters: a message, not a place
    assert "Nothing was changed" not in huge["text"]
    for odd in ("🙂", "القاهرة", "a" * 4096):
        await chat.say("/time")
        reply = await chat.say(odd)
        assert reply["text"], odd  # answered (by the FAQ), and nothing stored
    assert await _settings(harness, chat) == before
    # Names and text in any script are escaped, never break the HTML.
    harness.rename(chat, "<b>Ali & Co</b>", language)
    again = await chat.say("/start")
    assert "<b>Ali & Co</b>" in again["text"]


@pytest.mark.parametrize("language", ["en", "ms"])
async def test_old_buttons_after_deletemydata_are_refused_kindly(
    harness: Harness, language: str
) -> None:
    chat = harness.user(language=language)
    welcome = await chat.say("/start")
    step1 = await chat.press(welcome, buttons(welcome)[0])
    screen = await chat.say("/settings")
    topics = await chat.say("/topics")
    timezone = await chat.say("/timezone")
    confirm = await chat.say("/deletemydata")
    await chat.tap(confirm, buttons(confirm)[0])
    chat.reply_after(confirm["message_id"] - 1, contains="/start")
    assert await _row(harness, chat) is None
    for message in (step1, screen, topics, timezone):
        for label in buttons(message):
            answer = await chat.press_alert(message, label)
            assert answer["text"] == EXPIRED[language], label
    # Typing a place after erasing does not recreate anything (the wait was forgotten).
    await chat.say("Tokyo")
    assert await _row(harness, chat) is None


async def test_old_settings_screen_shows_the_current_values(harness: Harness) -> None:
    chat = await _subscribed(harness, "en")
    old = await chat.say("/settings")
    await chat.say("/time")
    await chat.say("20:00")
    picker = await chat.press_edit(old, "⏰ Time")
    assert picker["text"].startswith("Your tip arrives at 20:00")
    back = await chat.press_edit(picker, "Back")
    assert "Time: 20:00" in back["text"]


async def test_made_up_button_data_gets_the_stale_answer(harness: Harness) -> None:
    chat = await _subscribed(harness, "en")
    screen = await chat.say("/settings")
    before = await _settings(harness, chat)
    for data in (
        "tz:c:Mars/Olympus",
        "tz:o:../../etc/passwd",
        "time:s:9999",
        "time:c:7pm",
        "lang:s:zh",
        "topic:c:hydration:0",
        "topic:s:fiber:2",
        "concern:o:warts",
        "pause:s:365",
        "set:nothing",
        "sub:no",
        "",
        "💥" * 16,
    ):
        answer = await chat.press_data(screen, data)
        assert answer["text"] == EXPIRED["en"], data
    assert await _settings(harness, chat) == before


async def test_privacy_in_both_languages_and_mydata_lists_topics_and_concern(
    harness: Harness,
) -> None:
    english = harness.user()
    text = (await english.say("/privacy"))["text"]
    assert text.startswith(
        "Your privacy\n\nWho: the clinic (the data user) runs this bot and holds your data."
        "\n\nWhat I store: your Telegram chat and user id"
    )
    for part in ("Why:", "How long:", "Personal Data Protection Act", "/mydata", "/deletemydata"):
        assert part in text
    malay = harness.user(language="ms")
    text = (await malay.say("/privacy"))["text"]
    assert text.startswith("Privasi anda\n\nSiapa: the clinic (pengguna data)")
    assert "Apa yang saya simpan:" in text
    assert "Akta Perlindungan Data Peribadi 2010" in text

    chat = await _subscribed(harness, "en")
    topics = await chat.say("/topics")
    topics = await chat.press_edit(topics, "✅ Sleep")
    concern = await chat.press(topics, "🩺 Skin concern: None")
    await chat.press(await chat.press(concern, "Rosacea"), "I agree")  # health data: consent
    await chat.say("/timezone")
    await chat.say("UTC+8")
    document = await chat.say("/mydata")
    stored = json.loads(chat.file(document["message_id"]))
    assert (stored["topics"], stored["skin_concern"], stored["timezone"], stored["tips"]) == (
        ["fiber", "fermented", "stress"],
        "rosacea",
        "Etc/GMT-8",
        [],
    )
