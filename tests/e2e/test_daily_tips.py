"""Daily tips end to end: the real bot, its scheduler and sender, the sandbox over HTTP."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import Mapping
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.admin import stats
from bot.content.library import Library
from bot.db.models import Delivery, Subscriber
from bot.delivery import today as today_logic
from bot.delivery.engine import DeliveryEngine
from bot.outbound.outcome import MessageSender, OnStart, SendResult
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
    label = "I agree, subscribe" if language == "en" else "Saya setuju, langgan"
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


@pytest.mark.slow
async def test_faults_lose_nothing_and_blocked_users_become_inactive(harness: Harness) -> None:
    """429s, 5xx, slow answers and blocked users during one delivery to 40 subscribers.

    (The engine tests cover a 403 at send time; here Telegram tells the bot first.) A 5xx
    may come after Telegram sent the message, so those sends are in doubt: recorded
    "unknown" and never sent again. A slow answer that still delivers is simply sent.
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
    # The bot hears of the blocks before the send time, so the injected faults below fall on
    # deliveries, not on a blocked user's request.
    await harness.idle()
    # Telegram's limit is tighter than the bot's pace here, so 429s happen for real.
    await harness.client.set_rate_limit(15)
    await harness.client.inject_faults(method="sendMessage", status=502, count=4)
    await harness.client.inject_faults(method="sendMessage", status=500, count=1, delay_seconds=2)
    await harness.client.inject_faults(method="sendMessage", status=0, count=3, delay_seconds=2)

    await move_clock_to(harness, due + dt.timedelta(seconds=1))

    async def settled() -> bool:
        async with harness.db.session() as session:
            open_rows = await session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.status.in_(("claimed", "sending", "failed")))
            )
            done = await session.scalar(select(func.count()).select_from(Delivery))
        # The blocked users' my_chat_member updates usually mark them before the tick (no
        # row); one that comes later leaves a "blocked" row.
        return (done or 0) >= len(users) - len(blocked) and open_rows == 0

    await wait_until(settled, 45)
    outcomes: Counter[tuple[int, tuple[str, ...]]] = Counter()
    for uid in users:
        got = await tips_in(harness, uid)
        rows = [r.status for r in await ledger(harness, uid)]
        if uid in blocked:
            assert got == [] and rows in ([], ["blocked"]), (uid, rows)
            assert (await stored(harness, uid)).status == "blocked"
        else:
            outcomes[(len(got), tuple(rows))] += 1
    # Never two; the five 5xx answers are in doubt (and in this sandbox never delivered);
    # everyone else got theirs, the three slow answers included.
    assert outcomes == {(1, ("sent",)): 33, (0, ("unknown",)): 5}
    counters = await harness.client.counters()
    assert counters["rate_limited"] >= 1
    async with harness.db.session() as session:
        found = await stats.report(session, harness.clock.now(), "Asia/Kuala_Lumpur")
    assert found.deliveries["unknown"] == 5


class GatedSender:
    """The app's sender, held at a gate: before the "sending" mark (the row stays
    claimed) or after it (the request is as good as on the wire)."""

    def __init__(self, inner: MessageSender, *, after_mark: bool) -> None:
        self.inner = inner
        self.after_mark = after_mark
        self.gate = asyncio.Event()
        self.waiting = 0

    async def send(
        self,
        chat_id: int,
        method: str,
        params: Mapping[str, Any],
        *,
        on_start: OnStart | None = None,
        bulk: bool = True,
    ) -> SendResult:
        if self.after_mark and on_start is not None:
            await on_start()
            on_start = None
        self.waiting += 1
        await self.gate.wait()
        return await self.inner.send(chat_id, method, params, on_start=on_start, bulk=bulk)


def gate_engine(harness: Harness, *, after_mark: bool) -> GatedSender:
    found = engine(harness)
    gated = GatedSender(found._sender, after_mark=after_mark)
    found._sender = gated
    return gated


async def _row_is(harness: Harness, user_id: int, status: str) -> bool:
    return [r.status for r in await ledger(harness, user_id)] == [status]


async def test_today_while_the_days_tip_is_claimed_but_not_sent_gives_exactly_one(
    harness: Harness,
) -> None:
    chat = await harness.user(5104, "Nurul")
    await subscribe(chat)
    due = (await stored(harness, 5104)).next_due_at
    assert due is not None
    gated = gate_engine(harness, after_mark=False)
    await move_clock_to(harness, due + dt.timedelta(seconds=1))
    await wait_until(lambda: _gated(gated))
    assert await _row_is(harness, 5104, "claimed")

    today = await chat.say("/today", contains=TIP_MARK)
    gated.gate.set()
    await wait_until(lambda: _ticked_past(harness, due))
    # /today took the planned row and sent it; the tick's mark found it taken.
    [row] = await ledger(harness, 5104)
    assert (row.status, row.message_id) == ("sent", today["message_id"])
    assert len(await tips_in(harness, 5104)) == 1


async def test_today_while_the_days_tip_is_on_the_wire_says_so_and_sends_nothing(
    harness: Harness,
) -> None:
    chat = await harness.user(5105, "Kavitha")
    await subscribe(chat)
    due = (await stored(harness, 5105)).next_due_at
    assert due is not None
    gated = gate_engine(harness, after_mark=True)
    await move_clock_to(harness, due + dt.timedelta(seconds=1))
    await wait_until(lambda: _gated(gated))
    assert await _row_is(harness, 5105, "sending")

    reply = await chat.say("/today")
    assert reply["text"] == "Today's tip is on its way to you right now."
    gated.gate.set()
    await wait_until(lambda: _row_is(harness, 5105, "sent"))
    await wait_until(lambda: _ticked_past(harness, due))
    assert len(await tips_in(harness, 5105)) == 1


async def test_today_whose_send_fails_is_not_lost_and_never_doubled(harness: Harness) -> None:
    chat = await harness.user(5106, "Farah")
    await subscribe(chat)
    due = (await stored(harness, 5106)).next_due_at
    assert due is not None
    # The Bot API answers /today's tip with a 502: it may have arrived, so it is in doubt.
    await harness.client.inject_faults(method="sendMessage", status=502, count=1)
    sorry = await chat.say("/today")
    assert "went wrong" in sorry["text"]
    assert await _row_is(harness, 5106, "unknown")
    # Asking again shows the day's tip (nothing new is recorded)...
    again = await chat.say("/today", contains=TIP_MARK)
    assert "👍 Helpful" in buttons(again)
    # ...and the schedule sends nothing more that day.
    await move_clock_to(harness, due + dt.timedelta(seconds=1))
    await wait_until(lambda: _ticked_past(harness, due))
    assert await _row_is(harness, 5106, "unknown")
    assert len(await tips_in(harness, 5106)) == 1


async def test_today_whose_first_attempt_never_left_is_sent_by_the_tick(harness: Harness) -> None:
    """A /today whose send certainly did not arrive leaves the row "failed": the tick
    sends the day's tip later, once."""
    chat = await harness.user(5107, "Mei")
    await subscribe(chat)
    sub = await stored(harness, 5107)
    now = harness.clock.now()
    async with harness.db.session() as session:
        found = await today_logic.todays_tip(
            session, await _library(harness), sub, now, "Asia/Kuala_Lumpur"
        )
    assert found.send_id is not None
    async with harness.db.session() as session:
        await today_logic.record_outcome(
            session, found.send_id, "failed", now, reason="ConnectFailed"
        )
    assert await _row_is(harness, 5107, "failed")
    await move_clock_to(harness, now + dt.timedelta(seconds=61))
    await wait_until(lambda: _row_is(harness, 5107, "sent"))
    assert len(await tips_in(harness, 5107)) == 1


async def _library(harness: Harness) -> Library:
    content = harness.app.bot_data["services"].content
    return Library(content.tips, content.program)


async def _gated(gated: GatedSender) -> bool:
    return gated.waiting > 0
