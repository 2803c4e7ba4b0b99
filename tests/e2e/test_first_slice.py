"""Over HTTP through the sandbox: the command lists per language, and a failing reply (the rest
of the first slice runs in process: tests/inprocess/test_first_slice.py)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select
from telegram import Bot

from bot.config import SANDBOX_TOKEN
from bot.db.models import Subscriber
from tests.e2e.conftest import Harness


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
