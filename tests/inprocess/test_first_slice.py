"""The first slice, as a person uses it: /start, subscribe, /help, odd input; stored rows."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from bot.db.models import Subscriber, SubscriberStatus
from tests.inprocess.conftest import Chat, Harness, buttons

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _subscriber(harness: Harness, chat: Chat) -> Subscriber | None:
    async with harness.db.session() as session:
        return await session.scalar(select(Subscriber).where(Subscriber.chat_id == chat.user_id))


async def test_start_welcomes_with_the_notice_and_stores_nothing(harness: Harness) -> None:
    chat = harness.user("Aisyah")
    reply = await chat.say("/start")
    assert reply["text"].startswith("Hello Aisyah, welcome to NextMed's gut-skin tips!")
    assert "not medical advice" in reply["text"]
    assert "<b>Hello Aisyah" in reply["html"]
    assert buttons(reply) == ["I agree, subscribe", "What can you do?", "Baca dalam Bahasa Melayu"]
    # Nothing about the person before "I agree" (PDPA, #15).
    assert await _subscriber(harness, chat) is None


async def test_subscribe_button_confirms_and_records_consent(harness: Harness) -> None:
    chat = harness.user()
    welcome = await chat.say("/start")
    confirmation = await chat.press(welcome, "I agree, subscribe")
    assert confirmation["text"].startswith("You're subscribed. Your first tip arrives at 08:00")
    assert (await chat.message(welcome["message_id"]))["reply_markup"] is None
    row = await _subscriber(harness, chat)
    assert row is not None and row.status == SubscriberStatus.ACTIVE
    assert row.consented_at is not None
    again = await chat.say("/start")
    assert again["text"].startswith("Welcome back, Aisyah! You are subscribed")
    async with harness.db.session() as session:
        rows = select(func.count()).where(Subscriber.user_id == chat.user_id)
        assert await session.scalar(rows) == 1


async def test_malay_client_gets_malay_and_deep_link_source_is_kept(harness: Harness) -> None:
    chat = harness.user("Farid", language="ms")
    reply = await chat.say("/start qr-cheras")
    assert reply["text"].startswith("Hai Farid, selamat datang")
    assert "bukan nasihat perubatan" in reply["text"]
    assert buttons(reply)[0] == "Saya setuju, langgan"
    assert await _subscriber(harness, chat) is None  # the source rides on the button until then
    await chat.press(reply, "Saya setuju, langgan")
    row = await _subscriber(harness, chat)
    assert row is not None and (row.language, row.source) == ("ms", "qr-cheras")


async def test_help_unknown_command_and_plain_text(harness: Harness) -> None:
    chat = harness.user()
    assert "/start - subscribe" in (await chat.say("/help"))["text"]
    assert (await chat.say("/frobnicate"))["text"].startswith("I don't know that command.")
    # Small talk gets a friendly reply (#12); a question the FAQ can't answer, the fallback.
    assert (await chat.say("hello there"))["text"].startswith("Hello!")
    assert (await chat.say("best laptop for gaming"))["text"].startswith(
        "Sorry, I don't have a reviewed answer"
    )


async def test_mydata_sends_the_stored_row_and_deletemydata_erases_it(harness: Harness) -> None:
    chat = harness.user()
    welcome = await chat.say("/start qr-pj")
    await chat.press(await chat.say("/start qr-pj"), "I agree, subscribe")  # a second welcome
    await chat.say("/start")  # a /start after agreeing changes nothing
    document = await chat.say("/mydata")
    assert document["document"] and document["file_name"] == "gutskin-my-data.json"
    stored = json.loads(chat.file(document["message_id"]))
    assert (stored["chat_id"], stored["source"], stored["language"], stored["status"]) == (
        chat.user_id,
        "qr-pj",
        "en",
        "active",
    )
    assert [c["purpose"] for c in stored["consents"]] == ["tips"]
    assert document["caption"].startswith("Everything I store about you.")
    confirm = await chat.say("/deletemydata")
    assert confirm["text"].startswith("Erase your data?")
    await chat.tap(confirm, "Yes, erase everything")
    done = chat.reply_after(0, contains="Done. Everything")
    assert done["message_id"] == confirm["message_id"]
    assert await _subscriber(harness, chat) is None
    # "I agree" on a welcome from before the erasure is refused kindly; nothing is stored.
    answer = await chat.press_alert(welcome, "I agree, subscribe")
    assert answer["text"] == "That button is from an older message. Send /start to begin again."
    assert await _subscriber(harness, chat) is None
    assert (await chat.say("/mydata"))["text"].startswith("I don't store anything about you.")


async def test_deletemydata_cancel_keeps_everything(harness: Harness) -> None:
    chat = harness.user()
    await chat.press(await chat.say("/start"), "I agree, subscribe")
    confirm = await chat.say("/deletemydata")
    await chat.tap(confirm, "Cancel")
    chat.reply_after(0, contains="Nothing was erased.")
    assert await _subscriber(harness, chat) is not None


async def test_blocking_the_bot_marks_the_subscriber_and_start_restores(harness: Harness) -> None:
    chat = harness.user()
    welcome = await chat.say("/start")
    await chat.press(welcome, "I agree, subscribe")
    await chat.block()
    row = await _subscriber(harness, chat)
    assert row is not None and row.status == "blocked", "the block was never recorded"
    await chat.block(False)
    back = await chat.say("/start")
    assert back["text"].startswith("Welcome back")
    row = await _subscriber(harness, chat)
    assert row is not None and row.status == SubscriberStatus.ACTIVE
