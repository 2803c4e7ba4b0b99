"""Daily tips end to end: the real bot, its scheduler and sender, the sandbox over HTTP."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.db.models import Delivery, Subscriber
from bot.delivery.engine import DeliveryEngine
from bot.services import services_in
from bot.subscribers import store as subscribers
from tests.e2e.conftest import Chat, Harness, buttons

pytestmark = pytest.mark.dialect

TIP_MARK = "Try today"


def engine(harness: Harness) -> DeliveryEngine:
    found = services_in(harness.app.bot_data).engine
    assert isinstance(found, DeliveryEngine)
    return found


async def subscribe(chat: Chat, language: str = "en") -> None:
    """Start and press Subscribe as the user would."""
    welcome = await chat.say("/start")
    label = "Subscribe to daily tips" if language == "en" else "Langgan tip harian"
    await chat.press(welcome, label)


async def stored(harness: Harness, user_id: int) -> Subscriber:
    async with harness.db.session() as session:
        sub = await subscribers.find(session, user_id)
        assert sub is not None
        return sub


async def ledger(harness: Harness, user_id: int) -> list[Delivery]:
    async with harness.db.session() as session:
        query = (
            select(Delivery)
            .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
            .where(Subscriber.chat_id == user_id)
        )
        return list(await session.scalars(query))


async def move_clock_to(harness: Harness, instant: dt.datetime) -> None:
    """Move the shared clock (the sandbox's and the bot's) and wake the scheduler."""
    seconds = (instant - harness.clock.now()).total_seconds()
    await harness.client.advance_clock(max(0.0, seconds))
    engine(harness).wake()


async def tips_in(harness: Harness, user_id: int) -> list[dict[str, Any]]:
    history = await harness.client.history(user_id)
    return [m for m in history if m["from_bot"] and TIP_MARK in (m["text"] or "")]


async def wait_until(check: Any, seconds: float = 15.0) -> None:
    for _ in range(int(seconds * 20)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not done after {seconds} s")


async def test_the_tip_arrives_at_their_time_with_its_buttons(harness: Harness) -> None:
    chat = await harness.user(5101, "Mei Ling")
    await subscribe(chat)
    due = (await stored(harness, 5101)).next_due_at
    assert due is not None and due > harness.clock.now()
    before = await chat.newest_id()

    await move_clock_to(harness, due + dt.timedelta(seconds=1))
    tip = await harness.client.wait_for_bot_message(
        5101, after_message_id=before, contains=TIP_MARK, timeout=15
    )
    assert "Not medical advice" in tip["text"]
    assert buttons(tip) == [
        "👍 Helpful",
        "👎 Not for me",
        "More on this topic",
        "Book a consultation",
    ]
    await wait_until(lambda: _status_is(harness, 5101, "sent"))
    [row] = await ledger(harness, 5101)
    assert row.message_id == tip["message_id"]
    assert (await stored(harness, 5101)).next_due_at == due + dt.timedelta(days=1)

    # Feedback is stored against that delivery.
    await harness.client.press_button(5101, tip["message_id"], text="👍 Helpful")
    await wait_until(lambda: _feedback_is(harness, 5101, "helpful"))

    # "More on this topic" brings another tip of the same topic, not the same one.
    more = await chat.press(tip, "More on this topic")
    assert TIP_MARK in more["text"] and more["text"] != tip["text"]

    # "Book a consultation" leads to the branches.
    branches = await chat.press(tip, "Book a consultation")
    assert "Cheras" in " ".join(buttons(branches))

    # /today shows the same tip again, and no second delivery is recorded.
    again = await chat.say("/today", contains=TIP_MARK)
    assert again["text"].split("\n")[0] == tip["text"].split("\n")[0]
    assert len(await ledger(harness, 5101)) == 1


async def _status_is(harness: Harness, user_id: int, status: str) -> bool:
    rows = await ledger(harness, user_id)
    return bool(rows) and rows[0].status == status


async def _feedback_is(harness: Harness, user_id: int, value: str) -> bool:
    rows = await ledger(harness, user_id)
    return bool(rows) and rows[0].feedback == value


async def test_malay_subscriber_gets_the_tip_in_malay(harness: Harness) -> None:
    chat = await harness.user(5102, "Siti", language="ms")
    await subscribe(chat, "ms")
    due = (await stored(harness, 5102)).next_due_at
    assert due is not None
    before = await chat.newest_id()
    await move_clock_to(harness, due + dt.timedelta(seconds=1))
    tip = await harness.client.wait_for_bot_message(
        5102, after_message_id=before, contains="Cuba hari ini", timeout=15
    )
    assert buttons(tip)[2:] == ["Lagi tentang topik ini", "Buat temu janji"]


async def test_today_before_the_time_means_no_second_tip_later(harness: Harness) -> None:
    chat = await harness.user(5103, "Ravi")
    await subscribe(chat)
    due = (await stored(harness, 5103)).next_due_at
    assert due is not None
    today = await chat.say("/today", contains=TIP_MARK)
    assert "👍 Helpful" in buttons(today)
    await move_clock_to(harness, due + dt.timedelta(seconds=1))
    await wait_until(lambda: _ticked_past(harness, due))
    # The scheduled send for that date found /today's row and sent nothing more, unless
    # the due instant fell on the next local date (then that is a new day's tip).
    rows = await ledger(harness, 5103)
    tips = await tips_in(harness, 5103)
    assert len(tips) == len(rows)
    assert len({r.local_date for r in rows}) == len(rows)


async def _ticked_past(harness: Harness, instant: dt.datetime) -> bool:
    last = engine(harness).last_tick_at
    return last is not None and last >= instant and not engine(harness).busy


async def test_faults_lose_nothing_and_blocked_users_become_inactive(harness: Harness) -> None:
    """429s, 5xx, a timeout and blocked users during one delivery to 40 subscribers.

    (The engine tests cover a 403 at send time; here Telegram tells the bot first.)
    """
    users = list(range(5200, 5240))
    blocked = {5203, 5217}
    now = harness.clock.now()
    due = now + dt.timedelta(minutes=2)
    local = due.astimezone(dt.timezone(dt.timedelta(hours=8)))
    for uid in users:
        await harness.client.add_user(uid, f"User {uid}")
        async with harness.db.session() as session:
            await subscribers.record_start(
                session,
                chat_id=uid,
                user_id=uid,
                language="en",
                source="poster-cheras",
                defaults=subscribers.Defaults("Asia/Kuala_Lumpur", local.time()),
                now=now,
            )
            await subscribers.subscribe(session, uid, now)
    for uid in blocked:
        await harness.client.block(uid)
    # Telegram's limit is tighter than the bot's pace here, so 429s happen for real.
    await harness.client.set_rate_limit(15)
    await harness.client.inject_faults(method="sendMessage", status=502, count=4)
    await harness.client.inject_faults(method="sendMessage", status=500, count=1, delay_seconds=6.0)

    await move_clock_to(harness, due + dt.timedelta(seconds=1))

    async def settled() -> bool:
        async with harness.db.session() as session:
            open_rows = await session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.status.in_(("claimed", "sending", "failed")))
            )
            done = await session.scalar(select(func.count()).select_from(Delivery))
        # The blocked users' my_chat_member updates mark them before the tick: no rows.
        return done == len(users) - len(blocked) and open_rows == 0

    async def settled_or_retry() -> bool:
        if await settled():
            return True
        if not engine(harness).busy:
            # Failed sends are retried by a later tick, and a planned send whose attempt
            # broke is taken up when its lease ends: move the clock past both.
            await move_clock_to(harness, harness.clock.now() + dt.timedelta(seconds=301))
            await asyncio.sleep(0.5)
        return False

    await wait_until(settled_or_retry, 45)
    for uid in users:
        got = await tips_in(harness, uid)
        rows = [r.status for r in await ledger(harness, uid)]
        if uid in blocked:
            assert (got, rows, (await stored(harness, uid)).status) == ([], [], "blocked")
        else:
            assert (len(got), rows) == (1, ["sent"]), uid
    counters = await harness.client.counters()
    assert counters["rate_limited"] >= 1
