"""Odd input at any step: media, edits, forwards, huge, emoji and right-to-left text; old buttons.

The bot answers briefly and the stored row stays as it was.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from bot.db.models import Subscriber, SubscriberStatus
from tests.e2e.conftest import Chat, Harness, buttons

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


async def _row(harness: Harness, chat_id: int) -> Subscriber | None:
    async with harness.db.session() as session:
        return await session.scalar(select(Subscriber).where(Subscriber.chat_id == chat_id))


async def _settings(harness: Harness, chat_id: int) -> tuple[object, ...]:
    row = await _row(harness, chat_id)
    assert row is not None
    return (row.status, row.send_time, row.timezone, row.topics, row.concern, row.language)


async def _subscribed(harness: Harness, user_id: int, language: str) -> Chat:
    chat = await harness.user(user_id, language=language)
    welcome = await chat.say("/start")
    await chat.press(welcome, buttons(welcome)[0])
    return chat


async def _reply_to(harness: Harness, user_id: int, message_id: int) -> dict[str, object]:
    return await harness.client.wait_for_bot_message(user_id, after_message_id=message_id)


@pytest.mark.parametrize("language", ["en", "ms"])
async def test_stickers_voice_and_photos_get_a_short_answer_at_any_step(
    harness: Harness, language: str
) -> None:
    user_id = 501 if language == "en" else 502
    chat = await _subscribed(harness, user_id, language)
    before = await _settings(harness, user_id)
    for step in (None, "/settings", "/topics", "/time", "/timezone"):
        if step:
            await chat.say(step)
        for kind in ("sticker", "voice", "photo"):
            sent = harness.send_media(user_id, kind)
            reply = await _reply_to(harness, user_id, sent)
            assert reply["text"] == UNREADABLE[language], (step, kind)
    assert await _settings(harness, user_id) == before
    # The timezone step (the last one above) still waits for its answer after the media.
    tokyo = await chat.say("Tokyo")
    assert "Tokyo, UTC+9" in tokyo["text"]
    assert (await _settings(harness, user_id))[2] == "Asia/Tokyo"


@pytest.mark.parametrize("language", ["en", "ms"])
async def test_an_edited_message_is_not_acted_on(harness: Harness, language: str) -> None:
    user_id = 503 if language == "en" else 504
    chat = await _subscribed(harness, user_id, language)
    await chat.say("/time")
    typed = await harness.client.send_text(user_id, "21:00")
    await _reply_to(harness, user_id, typed["message_id"])
    assert (await _settings(harness, user_id))[1] == dt.time(21, 0)
    newest = await chat.newest_id()
    harness.edit_text(user_id, typed["message_id"], "07:00")
    note = await _reply_to(harness, user_id, newest)
    assert note["text"] == EDITED[language]
    # Editing an old message into STOP or a command does nothing either.
    for edit in ("STOP", "/deletemydata", "/stop"):
        newest = await chat.newest_id()
        harness.edit_text(user_id, typed["message_id"], edit)
        assert (await _reply_to(harness, user_id, newest))["text"] == EDITED[language]
    status, send_time, *_ = await _settings(harness, user_id)
    assert (status, send_time) == (SubscriberStatus.ACTIVE, dt.time(21, 0))


async def test_forwarded_text_never_changes_settings(harness: Harness) -> None:
    chat = await _subscribed(harness, 505, "en")
    before = await _settings(harness, 505)
    sent = harness.send_forwarded(505, "STOP")
    reply = await _reply_to(harness, 505, sent)
    assert not reply["text"].startswith("You are unsubscribed")
    await chat.say("/time")
    sent = harness.send_forwarded(505, "7pm")
    reply = await _reply_to(harness, 505, sent)
    assert not reply["text"].startswith("Done.")
    await chat.say("/timezone")
    sent = harness.send_forwarded(505, "London")
    await _reply_to(harness, 505, sent)
    assert await _settings(harness, 505) == before
    # A forwarded question is still answered.
    sent = harness.send_forwarded(505, "does dairy cause acne?")
    assert (await _reply_to(harness, 505, sent))["text"].startswith("Does dairy cause acne?")


@pytest.mark.parametrize("language", ["en", "ms"])
async def test_huge_emoji_and_right_to_left_text_in_the_time_and_timezone_steps(
    harness: Harness, language: str
) -> None:
    user_id = 506 if language == "en" else 507
    chat = await _subscribed(harness, user_id, language)
    before = await _settings(harness, user_id)
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
    assert await _settings(harness, user_id) == before
    # Names and text in any script are escaped, never break the HTML.
    await harness.client.add_user(user_id, "<b>Ali & Co</b>", language_code=language)
    again = await chat.say("/start")
    assert "<b>Ali & Co</b>" in again["text"]


@pytest.mark.parametrize("language", ["en", "ms"])
async def test_old_buttons_after_deletemydata_are_refused_kindly(
    harness: Harness, language: str
) -> None:
    user_id = 508 if language == "en" else 509
    chat = await harness.user(user_id, language=language)
    welcome = await chat.say("/start")
    step1 = await chat.press(welcome, buttons(welcome)[0])
    screen = await chat.say("/settings")
    topics = await chat.say("/topics")
    timezone = await chat.say("/timezone")
    confirm = await chat.say("/deletemydata")
    await harness.client.press_button(user_id, confirm["message_id"], text=buttons(confirm)[0])
    await harness.client.wait_for_bot_message(user_id, contains="/start")
    assert await _row(harness, user_id) is None
    for message in (step1, screen, topics, timezone):
        for label in buttons(message):
            answer = await chat.press_alert(message, label)
            assert answer["text"] == EXPIRED[language], label
    # Typing a place after erasing does not recreate anything (the wait was forgotten).
    await chat.say("Tokyo")
    assert await _row(harness, user_id) is None


async def test_old_settings_screen_shows_the_current_values(harness: Harness) -> None:
    chat = await _subscribed(harness, 510, "en")
    old = await chat.say("/settings")
    await chat.say("/time")
    await chat.say("20:00")
    picker = await chat.press_edit(old, "⏰ Time")
    assert picker["text"].startswith("Your tip arrives at 20:00")
    back = await chat.press_edit(picker, "Back")
    assert "Time: 20:00" in back["text"]


async def test_made_up_button_data_gets_the_stale_answer(harness: Harness) -> None:
    chat = await _subscribed(harness, 511, "en")
    screen = await chat.say("/settings")
    before = await _settings(harness, 511)
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
        query_id = harness.press_data(511, screen["message_id"], data)
        answer = await chat.answer_to(query_id)
        assert answer["text"] == EXPIRED["en"], data
    assert await _settings(harness, 511) == before


async def test_privacy_in_both_languages_and_mydata_lists_topics_and_concern(
    harness: Harness,
) -> None:
    english = await harness.user(512)
    text = (await english.say("/privacy"))["text"]
    assert text.startswith(
        "Your privacy\n\nWho: the clinic (the data user) runs this bot and holds your data."
        "\n\nWhat I store: your Telegram chat and user id"
    )
    for part in ("Why:", "How long:", "Personal Data Protection Act", "/mydata", "/deletemydata"):
        assert part in text
    malay = await harness.user(513, language="ms")
    text = (await malay.say("/privacy"))["text"]
    assert text.startswith("Privasi anda\n\nSiapa: the clinic (pengguna data)")
    assert "Apa yang saya simpan:" in text
    assert "Akta Perlindungan Data Peribadi 2010" in text

    chat = await _subscribed(harness, 514, "en")
    topics = await chat.say("/topics")
    topics = await chat.press_edit(topics, "✅ Sleep")
    concern = await chat.press(topics, "🩺 Skin concern: None")
    await chat.press(await chat.press(concern, "Rosacea"), "I agree")  # health data: consent
    await chat.say("/timezone")
    await chat.say("UTC+8")
    document = await chat.say("/mydata")
    stored = json.loads(await harness.client.file(514, document["message_id"]))
    assert (stored["topics"], stored["skin_concern"], stored["timezone"], stored["tips"]) == (
        ["fiber", "fermented", "stress"],
        "rosacea",
        "Etc/GMT-8",
        [],
    )
