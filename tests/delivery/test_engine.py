"""The delivery engine against a real database and the sandbox Bot API over HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select, update

from bot.clock import OffsetClock
from bot.config import SANDBOX_TOKEN
from bot.content.library import Library
from bot.content.loader import Content
from bot.content.models import Program, ProgramDate
from bot.db.engine import Database
from bot.db.models import Delivery, Subscriber, TickRun
from bot.delivery.engine import DeliveryEngine, EngineConfig, static_library
from bot.outbound.outcome import OnStart, SendOutcome, SendResult
from bot.sandbox.client import SandboxClient
from bot.sandbox.server import Sandbox
from bot.schedule.due import due_on
from bot.subscribers import store as subscribers
from tests.fixed_clock import clock_at

pytestmark = pytest.mark.dialect

KL = "Asia/Kuala_Lumpur"


class HttpSender:
    """A plain, unpaced MessageSender over aiohttp: enough to drive the engine in tests."""

    def __init__(self, base_url: str) -> None:
        self._base = f"{base_url}{SANDBOX_TOKEN}"
        self._session = aiohttp.ClientSession()
        self.calls = 0

    async def close(self) -> None:
        await self._session.close()

    async def send(
        self,
        chat_id: int,
        method: str,
        params: Mapping[str, Any],
        *,
        on_start: OnStart | None = None,
        bulk: bool = True,
    ) -> SendResult:
        if on_start is not None:
            await on_start()
        self.calls += 1
        async with self._session.post(f"{self._base}/{method}", json=dict(params)) as response:
            body = await response.json()
        if body.get("ok"):
            return SendResult(SendOutcome.SENT, message_id=body["result"]["message_id"])
        code = body.get("error_code")
        if code == 403 or "chat not found" in body.get("description", ""):
            return SendResult(SendOutcome.BLOCKED, reason=f"http {code}")
        if code == 400:
            return SendResult(SendOutcome.REJECTED, reason="http 400")
        return SendResult(SendOutcome.FAILED, reason=f"http {code}")


@dataclass
class World:
    db: Database
    content: Content
    clock: OffsetClock
    sandbox: Sandbox
    client: SandboxClient
    sender: HttpSender

    def engine(self, library: Library | None = None, **config: Any) -> DeliveryEngine:
        lib = library or Library(self.content.tips, self.content.program)
        return DeliveryEngine(
            self.db,
            self.content.catalogs,
            self.sender,
            self.clock,
            static_library(lib),
            EngineConfig(**config),
        )

    async def subscriber(
        self, user_id: int, *, send_time: dt.time, tz: str = KL, language: str = "en"
    ) -> Subscriber:
        """A subscribed user (in the sandbox and the database) whose tip comes at send_time."""
        await self.client.add_user(user_id, f"User {user_id}", language_code=language)
        now = self.clock.now()
        async with self.db.session() as session:
            await subscribers.record_start(
                session,
                chat_id=user_id,
                user_id=user_id,
                language=language,
                source=None,
                defaults=subscribers.Defaults(tz, send_time),
                now=now,
            )
            sub = await subscribers.subscribe(session, user_id, now)
            assert sub is not None
            return sub

    async def tips_received(self, user_id: int) -> list[dict[str, Any]]:
        """The daily tips in a user's chat (messages with feedback buttons)."""
        history = await self.client.history(user_id)
        return [m for m in history if "fb:" in str(m.get("reply_markup"))]

    async def ledger(self, user_id: int) -> list[Delivery]:
        async with self.db.session() as session:
            query = (
                select(Delivery)
                .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
                .where(Subscriber.chat_id == user_id)
                .order_by(Delivery.local_date)
            )
            return list(await session.scalars(query))

    async def row(self, user_id: int) -> Subscriber:
        async with self.db.session() as session:
            sub = await subscribers.find(session, user_id)
            assert sub is not None
            return sub

    def move_to(self, instant: dt.datetime) -> None:
        self.clock.move_to(instant)


@pytest.fixture
async def world(db: Database, content: Content) -> AsyncIterator[World]:
    clock = clock_at(dt.datetime(2026, 12, 7, 20, 0, tzinfo=dt.UTC))  # whatever the hour
    sandbox = Sandbox(token=SANDBOX_TOKEN, rate_limit_per_second=None, clock=clock)
    await sandbox.start()
    sender = HttpSender(sandbox.base_url)
    try:
        async with SandboxClient(sandbox.control_url) as client:
            yield World(db, content, clock, sandbox, client, sender)
    finally:
        await sender.close()
        await sandbox.stop()


def _next(world: World, send_time: dt.time, tz: str = KL) -> dt.datetime:
    """A coming instant of `send_time` in `tz`; the clock moves to 12 hours before it, so
    subscribers made after this call are due exactly then."""
    day = world.clock.now().astimezone(dt.UTC).date() + dt.timedelta(days=2)
    due = due_on(day, send_time, tz)
    world.move_to(due - dt.timedelta(hours=12))
    return due


async def test_a_due_subscriber_gets_one_tip_and_the_next_is_tomorrow(world: World) -> None:
    due = _next(world, dt.time(8, 0))
    await world.subscriber(101, send_time=dt.time(8, 0))
    engine = world.engine()
    world.move_to(due - dt.timedelta(seconds=30))
    assert (await engine.tick()).counts.total() == 0
    assert await world.tips_received(101) == []

    world.move_to(due + dt.timedelta(seconds=5))
    report = await engine.tick()
    assert report.counts["sent"] == 1
    tips = await world.tips_received(101)
    assert len(tips) == 1
    assert "Not medical advice" in tips[0]["text"]
    labels = [b["text"] for row in tips[0]["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["👍 Helpful", "👎 Not for me", "More on this topic", "Book a consultation"]
    [row] = await world.ledger(101)
    assert (row.status, row.local_date, row.message_id) == (
        "sent",
        due.astimezone(dt.timezone(dt.timedelta(hours=8))).date(),
        tips[0]["message_id"],
    )
    assert (await world.row(101)).next_due_at == due + dt.timedelta(days=1)

    # Ticking again the same minute sends nothing more.
    assert (await engine.tick()).counts.total() == 0
    assert len(await world.tips_received(101)) == 1
    async with world.db.session() as session:
        runs = list(await session.scalars(select(TickRun)))
    assert [(r.due, r.sent) for r in runs] == [(1, 1)]


async def test_a_malay_subscriber_gets_the_tip_in_malay(world: World) -> None:
    due = _next(world, dt.time(20, 0))
    await world.subscriber(102, send_time=dt.time(20, 0), language="ms")
    world.move_to(due + dt.timedelta(seconds=1))
    await world.engine().tick()
    [tip] = await world.tips_received(102)
    assert "Bukan nasihat perubatan" in tip["text"] or "nasihat perubatan" in tip["text"]
    labels = [b["text"] for row in tip["reply_markup"]["inline_keyboard"] for b in row]
    assert "Lagi tentang topik ini" in labels


async def test_late_within_the_window_is_sent_beyond_it_is_missed(world: World) -> None:
    eight = _next(world, dt.time(8, 0))
    await world.subscriber(103, send_time=dt.time(8, 0))
    await world.subscriber(104, send_time=dt.time(4, 0))
    # The bot was down: it comes back at 10:30 local; 08:00 is 2.5 h late, 04:00 is 6.5 h.
    world.move_to(eight + dt.timedelta(hours=2, minutes=30))
    report = await world.engine().tick()
    assert (report.counts["sent"], report.counts["missed"]) == (1, 1)
    assert len(await world.tips_received(103)) == 1
    assert await world.tips_received(104) == []
    [missed] = await world.ledger(104)
    assert (missed.status, missed.tip_id) == ("missed", None)
    # And the missed one is due again tomorrow at 04:00, not at 3 a.m. tonight or now.
    assert (await world.row(104)).next_due_at == eight - dt.timedelta(hours=4) + dt.timedelta(
        days=1
    )


async def test_blocked_subscriber_is_marked_and_never_retried(world: World) -> None:
    due = _next(world, dt.time(8, 0))
    await world.subscriber(105, send_time=dt.time(8, 0))
    await world.client.block(105)
    world.move_to(due + dt.timedelta(seconds=1))
    engine = world.engine()
    report = await engine.tick()
    assert report.counts["blocked"] == 1
    sub = await world.row(105)
    assert (sub.status, sub.next_due_at) == ("blocked", None)
    [row] = await world.ledger(105)
    assert row.status == "blocked"
    world.clock.advance(dt.timedelta(days=1))
    calls = world.sender.calls
    await engine.tick()
    assert world.sender.calls == calls


async def test_failures_are_retried_on_a_later_tick_within_the_window(world: World) -> None:
    due = _next(world, dt.time(8, 0))
    await world.subscriber(106, send_time=dt.time(8, 0))
    world.move_to(due + dt.timedelta(seconds=1))
    await world.client.inject_faults(method="sendMessage", status=502, count=1)
    engine = world.engine()
    assert (await engine.tick()).counts["failed"] == 1
    [row] = await world.ledger(106)
    assert (row.status, row.error) == ("failed", "http 502")
    # Not before its retry time...
    assert (await engine.tick()).counts["sent"] == 0
    world.clock.advance(dt.timedelta(seconds=61))
    assert (await engine.tick()).counts["sent"] == 1
    assert len(await world.tips_received(106)) == 1
    [row] = await world.ledger(106)
    assert (row.status, row.attempts) == ("sent", 2)


async def test_a_restart_resends_what_never_left_and_not_what_may_have(world: World) -> None:
    due = _next(world, dt.time(8, 0))
    for uid in (107, 108, 109):
        await world.subscriber(uid, send_time=dt.time(8, 0))
    world.move_to(due + dt.timedelta(seconds=1))

    class Dies(Exception):
        pass

    first = world.engine(replica="host-a")
    real_send = world.sender.send
    started: list[int] = []

    async def dying_send(chat_id: int, method: str, params: Any, **kw: Any) -> SendResult:
        # 107 is sent; 108's request "leaves" and the process dies before the answer;
        # 109 never reaches the sender.
        if chat_id == 107:
            return await real_send(chat_id, method, params, **kw)
        if chat_id == 108:
            await kw["on_start"]()
            started.append(chat_id)
            await real_send(chat_id, method, dict(params), on_start=None)
        raise Dies

    world.sender.send = dying_send  # type: ignore[method-assign]
    await first.tick()
    world.sender.send = real_send  # type: ignore[method-assign]
    statuses = {
        r.subscriber_id: r.status for uid in (107, 108, 109) for r in await world.ledger(uid)
    }
    assert sorted(statuses.values()) == ["claimed", "sending", "sent"]

    # The process restarts (same replica, new instance).
    second = world.engine(replica="host-a")
    await second.tick()
    assert [len(await world.tips_received(uid)) for uid in (107, 108, 109)] == [1, 1, 1]
    assert [(await world.ledger(uid))[0].status for uid in (107, 108, 109)] == [
        "sent",
        "unknown",
        "sent",
    ]


async def test_no_tip_repeats_until_all_of_their_topics_are_seen(world: World) -> None:
    first = _next(world, dt.time(9, 0))
    await world.subscriber(110, send_time=dt.time(9, 0))
    async with world.db.session() as session:
        sub = await subscribers.find(session, 110)
        assert sub is not None
        sub.topics = "sleep"
        await session.commit()
    library = Library(world.content.tips, world.content.program)
    mix = set(library.program.mix)
    eligible = {t.id for t in library.tips if t.topic == "sleep" or t.topic in mix}
    engine = world.engine(library)
    for day in range(len(eligible) + 3):
        world.move_to(max(first + dt.timedelta(days=day, seconds=1), world.clock.now()))
        await engine.tick()
    got = [r.tip_id or "" for r in await world.ledger(110)]
    assert len(got) == len(eligible) + 3
    assert set(got[: len(eligible)]) == eligible  # every tip once before any repeat
    assert len(set(got[len(eligible) :])) == 3


async def test_a_skipped_date_sends_nothing_and_says_why(world: World) -> None:
    due = _next(world, dt.time(8, 0))
    await world.subscriber(111, send_time=dt.time(8, 0))
    holiday = due.astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    program = world.content.program
    skipping = Program(
        weekdays=program.weekdays,
        mix=program.mix,
        dates=(ProgramDate(date=holiday, skip=True, note="Public holiday"),),
    )
    world.move_to(due + dt.timedelta(seconds=1))
    await world.engine(Library(world.content.tips, skipping)).tick()
    assert await world.tips_received(111) == []
    [row] = await world.ledger(111)
    assert (row.status, row.error) == ("skipped", "Public holiday")


async def test_a_pause_with_an_end_resumes_by_itself(world: World) -> None:
    due = _next(world, dt.time(8, 0))
    await world.subscriber(112, send_time=dt.time(8, 0))
    now = world.clock.now()
    async with world.db.session() as session:
        await subscribers.pause(session, 112, now + dt.timedelta(days=1), now)
    engine = world.engine()
    world.move_to(due + dt.timedelta(seconds=1))
    await engine.tick()
    assert await world.tips_received(112) == []
    world.clock.advance(dt.timedelta(days=1))
    await engine.tick()
    assert len(await world.tips_received(112)) == 1
    assert (await world.row(112)).status == "active"


async def test_a_row_due_but_no_longer_active_gets_nothing_and_its_due_instant_follows_it(
    world: World,
) -> None:
    # Rows whose status changed without their due instant (an old writer, a hand edit): the
    # tick sends nothing, writes no ledger row, and sets the instant from their status.
    due = _next(world, dt.time(8, 0))
    await world.subscriber(113, send_time=dt.time(8, 0))
    await world.subscriber(114, send_time=dt.time(8, 0))
    resume = due + dt.timedelta(days=2, hours=3)
    async with world.db.session() as session, session.begin():
        await session.execute(
            update(Subscriber).where(Subscriber.chat_id == 113).values(status="unsubscribed")
        )
        await session.execute(
            update(Subscriber)
            .where(Subscriber.chat_id == 114)
            .values(status="paused", paused_until=resume)
        )
    world.move_to(due + dt.timedelta(seconds=1))
    report = await world.engine().tick()
    assert (report.due, report.counts.total()) == (2, 0)
    assert await world.tips_received(113) == await world.tips_received(114) == []
    assert await world.ledger(113) == await world.ledger(114) == []
    assert (await world.row(113)).next_due_at is None
    # The first 08:00 after the pause ends.
    assert (await world.row(114)).next_due_at == due + dt.timedelta(days=3)


@pytest.mark.parametrize(
    ("tz", "day", "send_time", "utc"),
    [
        # Kathmandu is UTC+05:45: 08:00 there is 02:15 UTC.
        (
            "Asia/Kathmandu",
            dt.date(2027, 3, 10),
            dt.time(8, 0),
            dt.datetime(2027, 3, 10, 2, 15, tzinfo=dt.UTC),
        ),
        # New York springs forward on 2027-03-14: 02:30 does not exist; it comes at 03:30 EDT.
        (
            "America/New_York",
            dt.date(2027, 3, 14),
            dt.time(2, 30),
            dt.datetime(2027, 3, 14, 7, 30, tzinfo=dt.UTC),
        ),
        (
            "America/New_York",
            dt.date(2027, 3, 15),
            dt.time(8, 0),
            dt.datetime(2027, 3, 15, 12, 0, tzinfo=dt.UTC),
        ),
        # London falls back on 2027-10-31: 01:30 happens twice; the first one counts.
        (
            "Europe/London",
            dt.date(2027, 10, 31),
            dt.time(1, 30),
            dt.datetime(2027, 10, 31, 0, 30, tzinfo=dt.UTC),
        ),
        (
            "Europe/London",
            dt.date(2027, 11, 1),
            dt.time(8, 0),
            dt.datetime(2027, 11, 1, 8, 0, tzinfo=dt.UTC),
        ),
    ],
)
async def test_zones_and_daylight_saving(
    world: World, tz: str, day: dt.date, send_time: dt.time, utc: dt.datetime
) -> None:
    expected = utc
    assert due_on(day, send_time, tz) == expected
    # From the day before, the next due instant is exactly that one, and it delivers once.
    world.move_to(expected - dt.timedelta(hours=20))
    await world.subscriber(113, send_time=send_time, tz=tz)
    engine = world.engine()
    assert (await world.row(113)).next_due_at == expected
    world.move_to(expected + dt.timedelta(seconds=1))
    await engine.tick()
    world.clock.advance(dt.timedelta(hours=2))
    await engine.tick()
    assert len(await world.tips_received(113)) == 1
    [row] = await world.ledger(113)
    assert row.local_date == day
