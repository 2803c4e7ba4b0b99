"""One user's quick taps run in order and act once (#13 item 5).

Each test queues two or three updates in the same instant, so the bot fetches them in one
getUpdates batch: before the per-chat processor they ran concurrently and raced.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select
from telegram import Update
from telegram.ext import CommandHandler, ContextTypes

from bot.db.models import Subscriber
from bot.handlers.flows import Flow
from bot.handlers.onboarding import SUBSCRIBE
from bot.handlers.privacy import ERASE
from bot.handlers.settings import TOPIC
from tests.e2e.conftest import ADMIN_ID, Harness

pytestmark = pytest.mark.dialect

SORRY = "Sorry, something went wrong on my side. Please try again in a moment."
START = {"text": "/start", "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}


async def bot_texts(harness: Harness, user_id: int) -> list[str]:
    return [m["text"] for m in await harness.client.history(user_id) if m["from_bot"]]


async def rows(harness: Harness, user_id: int) -> int:
    async with harness.db.session() as session:
        count = await session.scalar(
            select(func.count()).select_from(Subscriber).where(Subscriber.chat_id == user_id)
        )
    return int(count or 0)


async def test_a_double_start_from_a_new_user_stores_one_row_without_error(
    harness: Harness,
) -> None:
    await harness.user(701001, "Mei")
    harness._queue_message(701001, START)
    harness._queue_message(701001, START)
    await harness.idle()
    texts = await bot_texts(harness, 701001)
    assert len(texts) == 2 and all(t.startswith("Hello Mei, welcome") for t in texts)
    assert SORRY not in texts
    assert await rows(harness, 701001) == 0  # nothing is stored before "I agree"
    assert await harness.client.history(ADMIN_ID) == []


async def test_a_double_subscribe_confirms_once_and_starts_one_onboarding(
    harness: Harness,
) -> None:
    chat = await harness.user(701002, "Mei")
    welcome = await chat.say("/start")
    first = harness.press_data(701002, welcome["message_id"], SUBSCRIBE)
    second = harness.press_data(701002, welcome["message_id"], SUBSCRIBE)
    await harness.idle()
    assert (await chat.answer_to(first)) is not None and (await chat.answer_to(second)) is not None
    texts = (await bot_texts(harness, 701002))[1:]
    assert len(texts) == 1, texts  # one message: the confirmation and the first step
    assert texts[0].startswith("You're subscribed. Your first tip arrives at")
    assert await harness.client.history(ADMIN_ID) == []


async def test_a_double_erase_confirm_acts_once_without_an_error(harness: Harness) -> None:
    chat = await harness.user(701003, "Mei")
    welcome = await chat.say("/start")
    await chat.press(welcome, "I agree, subscribe")
    confirm = await chat.say("/deletemydata")
    first = harness.press_data(701003, confirm["message_id"], ERASE)
    second = harness.press_data(701003, confirm["message_id"], ERASE)
    await harness.idle()
    assert (await chat.answer_to(first)).get("text") is None
    assert (await chat.answer_to(second))["text"].startswith("I don't store anything about you")
    texts = await bot_texts(harness, 701003)
    assert texts[-1].startswith("Done. Everything I stored about you has been erased.")
    assert SORRY not in texts
    assert await rows(harness, 701003) == 0
    assert await harness.client.history(ADMIN_ID) == []


async def test_three_quick_topic_taps_all_count(harness: Harness) -> None:
    chat = await harness.user(701004, "Mei")
    welcome = await chat.say("/start")
    await chat.press(welcome, "I agree, subscribe")
    topics = await chat.say("/topics")
    pressed = [
        harness.press_data(701004, topics["message_id"], f"{TOPIC}{Flow.COMMAND}:{topic}:0")
        for topic in ("fiber", "fermented", "sleep")
    ]
    await harness.idle()
    for query in pressed:
        await chat.answer_to(query)
    async with harness.db.session() as session:
        stored = await session.scalar(select(Subscriber.topics).where(Subscriber.chat_id == 701004))
    assert stored == "stress"
    assert SORRY not in await bot_texts(harness, 701004)


async def test_one_chat_runs_in_order_while_other_chats_go_on(harness: Harness) -> None:
    release = asyncio.Event()
    seen: list[tuple[int, str]] = []

    async def hold(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None and update.effective_message is not None
        seen.append((update.effective_chat.id, update.effective_message.text or ""))
        if update.effective_message.text == "/hold":
            await release.wait()

    harness.app.add_handler(CommandHandler(["hold", "after"], hold), group=-100)
    await harness.user(701005, "Mei")
    await harness.user(701006, "Ali")
    command: dict[str, Any] = {"entities": [{"type": "bot_command", "offset": 0, "length": 5}]}
    harness._queue_message(701005, {**command, "text": "/hold"})
    harness._queue_message(
        701005, {**command, "entities": [{**command["entities"][0], "length": 6}], "text": "/after"}
    )
    harness._queue_message(
        701006, {**command, "entities": [{**command["entities"][0], "length": 6}], "text": "/after"}
    )
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while (701006, "/after") not in seen:
            assert loop.time() < deadline, "another chat waited for a held one"
            await asyncio.sleep(0.01)
        # Ali was answered while Mei's first update still runs; Mei's second waits its turn.
        assert (701005, "/after") not in seen
    finally:
        release.set()
    await harness.idle()
    assert [s for s in seen if s[0] == 701005] == [(701005, "/hold"), (701005, "/after")]


async def test_admin_alerts_are_grouped_and_rate_limited(harness: Harness) -> None:
    async def boom(_update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        raise RuntimeError("user text that must not reach the admins")

    harness.app.add_handler(CommandHandler("boom", boom), group=-100)
    chat = await harness.user(701007, "Mei")
    for _ in range(5):
        await chat.say("/boom", contains="Sorry")
    await harness.idle()
    assert [m["text"] for m in await harness.client.history(ADMIN_ID)] == [
        "Error: RuntimeError while handling an update; see the logs."
    ]
    harness.clock.advance(dt.timedelta(minutes=6))
    await chat.say("/boom", contains="Sorry")
    note = await harness.client.wait_for_bot_message(ADMIN_ID, contains="errors while")
    assert note["text"] == (
        "5 errors while handling updates (RuntimeError ×5); see the logs. "
        "Alerts are grouped: at most one every 5 min."
    )
