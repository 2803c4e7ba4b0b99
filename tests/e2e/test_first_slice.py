"""The first slice, as a person uses it: /start, subscribe, /help, odd input; stored rows."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from sqlalchemy import func, select
from telegram import Bot

from bot.config import SANDBOX_TOKEN
from bot.db.models import Subscriber, SubscriberStatus
from tests.e2e.conftest import Harness, buttons


async def _subscriber(harness: Harness, chat_id: int) -> Subscriber | None:
    async with harness.db.session() as session:
        return await session.scalar(select(Subscriber).where(Subscriber.chat_id == chat_id))


async def _callback_answer(harness: Harness, query_id: str) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while (answer := await harness.client.callback_answer(query_id)) is None:
        assert loop.time() < deadline, "the bot never answered the button press"
        await asyncio.sleep(0.02)
    return answer


async def test_start_welcomes_with_the_notice_and_stores_nothing(harness: Harness) -> None:
    chat = await harness.user(101, "Aisyah")
    reply = await chat.say("/start")
    assert reply["text"].startswith("Hello Aisyah, welcome to NextMed's gut-skin tips!")
    assert "not medical advice" in reply["text"]
    assert "<b>Hello Aisyah" in reply["html"]
    assert buttons(reply) == ["I agree, subscribe", "What can you do?", "Baca dalam Bahasa Melayu"]
    # Nothing about the person before "I agree" (PDPA, #15).
    assert await _subscriber(harness, 101) is None


async def test_subscribe_button_confirms_and_records_consent(harness: Harness) -> None:
    chat = await harness.user(102)
    welcome = await chat.say("/start")
    confirmation = await chat.press(welcome, "I agree, subscribe")
    assert confirmation["text"].startswith("You're subscribed. Your first tip arrives at 08:00")
    assert (await chat.message(welcome["message_id"]))["reply_markup"] is None
    row = await _subscriber(harness, 102)
    assert row is not None and row.status == SubscriberStatus.ACTIVE
    assert row.consented_at is not None
    again = await chat.say("/start")
    assert again["text"].startswith("Welcome back, Aisyah! You are subscribed")
    async with harness.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Subscriber)) == 1


async def test_malay_client_gets_malay_and_deep_link_source_is_kept(harness: Harness) -> None:
    chat = await harness.user(103, "Farid", language="ms")
    reply = await chat.say("/start qr-cheras")
    assert reply["text"].startswith("Hai Farid, selamat datang")
    assert "bukan nasihat perubatan" in reply["text"]
    assert buttons(reply)[0] == "Saya setuju, langgan"
    assert await _subscriber(harness, 103) is None  # the source rides on the button until then
    await chat.press(reply, "Saya setuju, langgan")
    row = await _subscriber(harness, 103)
    assert row is not None and (row.language, row.source) == ("ms", "qr-cheras")


async def test_help_unknown_command_and_plain_text(harness: Harness) -> None:
    chat = await harness.user(104)
    assert "/start - subscribe" in (await chat.say("/help"))["text"]
    assert (await chat.say("/frobnicate"))["text"].startswith("I don't know that command.")
    # Small talk gets a friendly reply (#12); a question the FAQ can't answer, the fallback.
    assert (await chat.say("hello there"))["text"].startswith("Hello!")
    assert (await chat.say("best laptop for gaming"))["text"].startswith(
        "Sorry, I don't have a reviewed answer"
    )


async def test_commands_are_registered_per_language(harness: Harness) -> None:
    async with Bot(SANDBOX_TOKEN, base_url=harness.sandbox.base_url) as bot:
        english = await bot.get_my_commands()
        malay = await bot.get_my_commands(language_code="ms")
    names = ["start", "today", "faq", "book", "settings", "time", "timezone", "topics"]
    names += ["language", "pause", "resume", "stop", "privacy", "mydata", "deletemydata", "help"]
    assert [c.command for c in english] == names
    described = {c.command: c.description for c in english}
    assert described["start"] == "Subscribe to daily tips"
    assert described["time"] == "Change when your tip arrives"
    assert described["settings"] == "See and change your settings"
    assert described["timezone"] == "Change your timezone"
    assert described["topics"] == "Choose topics and skin concern"
    assert described["privacy"] == "What I store and why"
    assert described["today"] == "Today's tip now"
    assert [c.command for c in malay] == names
    malay_described = {c.command: c.description for c in malay}
    assert malay_described["start"] == "Langgan tip harian"
    assert malay_described["settings"] == "Lihat dan tukar tetapan anda"
    assert malay_described["privacy"] == "Apa yang saya simpan dan mengapa"


async def test_a_failing_reply_gets_a_kind_error_and_admins_are_told(harness: Harness) -> None:
    chat = await harness.user(105)
    await harness.client.inject_faults(method="sendMessage", status=502, count=1)
    reply = await chat.say("/help")
    assert reply["text"] == "Sorry, something went wrong on my side. Please try again in a moment."
    admin_note = await harness.client.wait_for_bot_message(900001, contains="Error:")
    assert admin_note["text"] == "Error: NetworkError while handling an update; see the logs."


async def test_mydata_sends_the_stored_row_and_deletemydata_erases_it(harness: Harness) -> None:
    chat = await harness.user(106)
    welcome = await chat.say("/start qr-pj")
    await chat.press(await chat.say("/start qr-pj"), "I agree, subscribe")  # a second welcome
    await chat.say("/start")  # a /start after agreeing changes nothing
    document = await chat.say("/mydata")
    assert document["document"] and document["file_name"] == "gutskin-my-data.json"
    stored = json.loads(await harness.client.file(106, document["message_id"]))
    assert (stored["chat_id"], stored["source"], stored["language"], stored["status"]) == (
        106,
        "qr-pj",
        "en",
        "active",
    )
    assert [c["purpose"] for c in stored["consents"]] == ["tips"]
    assert document["caption"].startswith("Everything I store about you.")
    confirm = await chat.say("/deletemydata")
    assert confirm["text"].startswith("Erase your data?")
    await harness.client.press_button(106, confirm["message_id"], text="Yes, erase everything")
    done = await harness.client.wait_for_bot_message(106, contains="Done. Everything")
    assert done["message_id"] == confirm["message_id"]
    assert await _subscriber(harness, 106) is None
    # "I agree" on a welcome from before the erasure is refused kindly; nothing is stored.
    pressed = await harness.client.press_button(
        106, welcome["message_id"], text="I agree, subscribe"
    )
    answer = await _callback_answer(harness, pressed["callback_query_id"])
    assert answer["text"] == "That button is from an older message. Send /start to begin again."
    assert await _subscriber(harness, 106) is None
    assert (await chat.say("/mydata"))["text"].startswith("I don't store anything about you.")


async def test_deletemydata_cancel_keeps_everything(harness: Harness) -> None:
    chat = await harness.user(107)
    await chat.press(await chat.say("/start"), "I agree, subscribe")
    confirm = await chat.say("/deletemydata")
    await harness.client.press_button(107, confirm["message_id"], text="Cancel")
    await harness.client.wait_for_bot_message(107, contains="Nothing was erased.")
    assert await _subscriber(harness, 107) is not None


async def test_blocking_the_bot_marks_the_subscriber_and_start_restores(harness: Harness) -> None:
    chat = await harness.user(108)
    welcome = await chat.say("/start")
    await chat.press(welcome, "I agree, subscribe")
    await harness.client.block(108)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while (row := await _subscriber(harness, 108)) is None or row.status != "blocked":
        assert loop.time() < deadline, "the block was never recorded"
        await asyncio.sleep(0.02)
    await harness.client.unblock(108)
    back = await chat.say("/start")
    assert back["text"].startswith("Welcome back")
    row = await _subscriber(harness, 108)
    assert row is not None and row.status == SubscriberStatus.ACTIVE
