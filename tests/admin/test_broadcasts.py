"""Broadcasts: checks, audiences, the ledger, leases, stop and cancel, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.admin import broadcasts
from bot.admin.broadcasts import Audience, Draft, Invalid, Progress, RunnerConfig
from bot.clock import OffsetClock
from bot.content.loader import Content
from bot.db.engine import Database
from bot.db.models import (
    AuditEntry,
    Broadcast,
    BroadcastDelivery,
    Lease,
    Subscriber,
)
from bot.outbound.outcome import OnStart, SendOutcome, SendResult
from tests.conftest import ROOT, DbTarget
from tests.fixed_clock import clock_at

pytestmark = pytest.mark.dialect

KL = "Asia/Kuala_Lumpur"
FAST = RunnerConfig(poll=0.02, progress_every=0.0, retry_pause=0.0, batch=7, in_flight=5)


class FakeSender:
    """Records what it sends; some chats block the bot, some fail a few times first."""

    def __init__(
        self,
        *,
        blocked: frozenset[int] = frozenset(),
        failing: Mapping[int, int] | None = None,
        hang_after: int | None = None,
    ) -> None:
        self.sent: list[tuple[int, str, dict[str, Any]]] = []
        self.blocked = blocked
        self.failing = dict(failing or {})
        self.hang_after = hang_after
        self.hung = asyncio.Event()
        self.started = 0

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
        self.started += 1
        if self.hang_after is not None and self.started > self.hang_after:
            self.hung.set()
            await asyncio.Event().wait()  # in flight when the process dies
        await asyncio.sleep(0)
        if chat_id in self.blocked:
            return SendResult(SendOutcome.BLOCKED, reason="Forbidden")
        if self.failing.get(chat_id, 0) > 0:
            self.failing[chat_id] -= 1
            return SendResult(SendOutcome.FAILED, reason="http 502")
        self.sent.append((chat_id, method, dict(params)))
        return SendResult(SendOutcome.SENT, message_id=1000 + len(self.sent))

    def chats(self) -> list[int]:
        return [chat for chat, _m, _p in self.sent]


@pytest.fixture
def clock() -> OffsetClock:
    return clock_at(dt.datetime(2026, 12, 7, 20, 0, tzinfo=dt.UTC))  # whatever the hour


async def _subscriber(
    db: Database,
    chat_id: int,
    now: dt.datetime,
    *,
    status: str = "active",
    language: str = "en",
    topics: str | None = None,
    concern: str | None = None,
    source: str | None = None,
) -> None:
    async with db.session() as session:
        session.add(
            Subscriber(
                chat_id=chat_id,
                user_id=chat_id,
                language=language,
                timezone=KL,
                send_time=dt.time(8, 0),
                status=status,
                source=source,
                topics=topics,
                concern=concern,
                consented_at=now,
                next_due_at=now + dt.timedelta(hours=20) if status == "active" else None,
                created_at=now,
                updated_at=now,
            )
        )
        await session.commit()


async def _many(db: Database, now: dt.datetime, chats: range) -> None:
    for chat in chats:
        await _subscriber(db, chat, now)


async def _create(
    db: Database,
    now: dt.datetime,
    draft: Draft | None = None,
    *,
    send_at: dt.datetime | None = None,
    actor: int = 900001,
) -> int:
    async with db.session() as session:
        made = await broadcasts.create(
            session,
            draft or Draft("<b>Open day</b> on Saturday"),
            send_at=send_at or now,
            actor=actor,
            language="en",
            now=now,
        )
        return made.id


async def _ledger(db: Database, broadcast_id: int) -> dict[int, str]:
    async with db.session() as session:
        rows = await session.execute(
            select(Subscriber.chat_id, BroadcastDelivery.status)
            .join(Subscriber, Subscriber.id == BroadcastDelivery.subscriber_id)
            .where(BroadcastDelivery.broadcast_id == broadcast_id)
        )
        return {chat: status for chat, status in rows}


async def _broadcast(db: Database, broadcast_id: int) -> Broadcast:
    async with db.session() as session:
        found = await session.get(Broadcast, broadcast_id)
    assert found is not None
    return found


async def _until(condition: Callable[[], bool], within: float = 10.0) -> None:
    """Poll a condition with a deadline (what the test waits for has no event to await)."""
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


# -- checks ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("draft", "code"),
    [
        (Draft(""), "text_empty"),
        (Draft("   "), "text_empty"),
        (Draft("<b>unclosed"), "html"),
        (Draft("a & b"), "html"),
        (Draft("x" * 4097), "text_long"),
        (Draft("x" * 1025, photo="https://example.com/a.jpg"), "text_long"),
        (Draft("hi", photo="not a photo"), "photo"),
        (Draft("hi", button_text="Book", button_url="javascript:alert(1)"), "button_url"),
        (Draft("hi", button_text="", button_url="https://example.com"), "button_text"),
        (Draft("hi", button_text="x" * 65, button_url="https://example.com"), "button_text"),
    ],
)
def test_bad_drafts_are_refused_with_a_reason(draft: Draft, code: str) -> None:
    with pytest.raises(Invalid) as caught:
        broadcasts.check(draft)
    assert caught.value.code == code


def test_a_good_draft_becomes_one_bot_api_call() -> None:
    draft = broadcasts.check(
        Draft(
            " <b>Open day</b> &amp; talks ",
            photo="https://example.com/open-day.jpg",
            button_text="Book",
            button_url="https://nextmed.example/book",
        )
    )
    method, params = broadcasts.message(draft)
    assert method == "sendPhoto"
    assert params == {
        "photo": "https://example.com/open-day.jpg",
        "caption": "<b>Open day</b> &amp; talks",
        "parse_mode": "HTML",
        "reply_markup": {
            "inline_keyboard": [[{"text": "Book", "url": "https://nextmed.example/book"}]]
        },
    }
    assert broadcasts.message(Draft("hi"))[0] == "sendMessage"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("all", Audience()),
        ("language:ms", Audience("language", "ms")),
        ("topic:sleep", Audience("topic", "sleep")),
        ("concern:acne", Audience("concern", "acne")),
        ("source:ig-nov", Audience("source", "ig-nov")),
        (" Language : en ", Audience("language", "en")),
    ],
)
def test_audiences_are_read_from_a_spec(spec: str, expected: Audience) -> None:
    assert Audience.parse(spec) == expected
    assert Audience.parse(str(expected)) == expected


@pytest.mark.parametrize(
    "spec", ["everyone", "language:fr", "topic:hydration", "concern:", "source:has space", "all:x"]
)
def test_unknown_audiences_are_refused(spec: str) -> None:
    with pytest.raises(Invalid) as caught:
        Audience.parse(spec)
    assert caught.value.code == "audience"


NOW = dt.datetime(2026, 11, 21, 2, 0, tzinfo=dt.UTC)  # 10:00 in Kuala Lumpur


@pytest.mark.parametrize(
    ("typed", "local"),
    [
        ("2026-12-01 09:00", "2026-12-01 09:00"),
        ("2026-12-01 9pm", "2026-12-01 21:00"),
        ("1/12 9.30am", "2026-12-01 09:30"),
        ("01/12/2027 0900", "2027-12-01 09:00"),
        ("1/1 08:00", "2027-01-01 08:00"),  # a past day and month means next year
        ("tomorrow 8pm", "2026-11-22 20:00"),
        ("esok 8 pagi", "2026-11-22 08:00"),
        ("today 23:00", "2026-11-21 23:00"),
        ("21:00", "2026-11-21 21:00"),
        ("09:00", "2026-11-22 09:00"),  # a bare time already past today means tomorrow
        ("31/2 09:00", None),
        ("next week", None),
        ("2026-12-01", None),
    ],
)
def test_when_is_read_in_the_clinic_timezone(typed: str, local: str | None) -> None:
    found = broadcasts.parse_when(typed, NOW, KL)
    if local is None:
        assert found is None
        return
    assert found is not None
    assert found.astimezone(dt.UTC).tzinfo == dt.UTC
    assert found.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M") == local


# -- audiences and the ledger ---------------------------------------------------------------


async def test_audiences_pick_only_active_subscribers_who_match(
    db: Database, clock: OffsetClock
) -> None:
    now = clock.now()
    await _subscriber(db, 1, now, language="ms", topics="sleep,stress", concern="acne", source="ig")
    await _subscriber(db, 2, now, language="en", topics=None, concern="eczema", source="ig")
    await _subscriber(db, 3, now, language="en", topics="fiber", source="clinic-qr")
    await _subscriber(db, 4, now, status="paused", language="ms", source="ig")
    await _subscriber(db, 5, now, status="blocked", language="ms")
    await _subscriber(db, 6, now, status="unsubscribed")
    await _subscriber(db, 7, now, status="new")
    await _subscriber(db, 8, now, language="en", topics="sleeping")  # not "sleep"
    expected = {
        "all": 4,
        "language:ms": 1,
        "language:en": 3,
        "topic:sleep": 2,  # 1 chose it, 2 gets every topic
        "topic:fiber": 2,
        "concern:acne": 1,
        "source:ig": 2,
        "source:clinic-qr": 1,
    }
    async with db.session() as session:
        sizes = {
            spec: await broadcasts.audience_size(session, Audience.parse(spec)) for spec in expected
        }
        sources = await broadcasts.audience_options(session, "source")
        languages = await broadcasts.audience_options(session, "language")
    assert sizes == expected
    assert sources == [("ig", 2), ("clinic-qr", 1)]
    assert languages == [("en", 3), ("ms", 1)]
    await _create(db, now, Draft("Hello", audience=Audience("topic", "sleep")))
    sender = FakeSender()
    [progress] = await broadcasts.run_due_broadcasts(db, sender, clock, config=FAST)
    assert sorted(sender.chats()) == [1, 2]
    assert progress.status == "done" and progress.total == 2 and progress.sent == 2


async def test_a_broadcast_reaches_everyone_once_and_records_each_outcome(
    db: Database, clock: OffsetClock
) -> None:
    now = clock.now()
    await _many(db, now, range(100, 130))
    draft = Draft("Open day", button_text="Book", button_url="https://nextmed.example/book")
    broadcast_id = await _create(db, now, draft)
    sender = FakeSender(blocked=frozenset({105, 117}), failing={110: 1, 111: 5})
    reports: list[Progress] = []

    async def sink(progress: Progress) -> None:
        reports.append(progress)

    [final] = await broadcasts.run_due_broadcasts(db, sender, clock, on_progress=sink, config=FAST)
    ledger = await _ledger(db, broadcast_id)
    assert len(ledger) == 30
    assert {chat for chat, s in ledger.items() if s == "blocked"} == {105, 117}
    assert {chat for chat, s in ledger.items() if s == "failed"} == {111}  # 3 attempts spent
    assert sorted(sender.chats()) == sorted(set(range(100, 130)) - {105, 117, 111})
    assert len(sender.chats()) == len(set(sender.chats()))
    method, params = sender.sent[0][1], sender.sent[0][2]
    assert method == "sendMessage" and params["text"] == "Open day"
    assert params["chat_id"] == sender.sent[0][0]
    assert params["reply_markup"]["inline_keyboard"][0][0]["url"] == "https://nextmed.example/book"
    assert (final.status, final.total, final.sent, final.blocked, final.failed) == (
        "done",
        30,
        27,
        2,
        1,
    )
    assert final.fraction == 1.0 and final.seconds_left == 0.0
    assert reports[0].status == "sending" and reports[-1] == final
    stored = await _broadcast(db, broadcast_id)
    assert (stored.status, stored.total) == ("done", 30)
    assert stored.started_at is not None and stored.finished_at is not None
    async with db.session() as session:
        blocked = await session.scalars(
            select(Subscriber).where(Subscriber.chat_id.in_([105, 117]))
        )
        assert {(s.status, s.next_due_at) for s in blocked} == {("blocked", None)}
        assert await session.scalar(select(func.count()).select_from(Lease)) == 0
        attempts = await session.scalar(
            select(BroadcastDelivery.attempts)
            .join(Subscriber, Subscriber.id == BroadcastDelivery.subscriber_id)
            .where(Subscriber.chat_id == 110)
        )
    assert attempts == 2
    # Running again sends nothing more.
    assert await broadcasts.run_due_broadcasts(db, sender, clock, config=FAST) == []
    assert len(sender.sent) == 27


async def test_a_scheduled_broadcast_waits_for_its_time(db: Database, clock: OffsetClock) -> None:
    now = clock.now()
    await _many(db, now, range(1, 4))
    broadcast_id = await _create(db, now, send_at=now + dt.timedelta(hours=2))
    sender = FakeSender()
    assert await broadcasts.run_due_broadcasts(db, sender, clock, config=FAST) == []
    assert sender.sent == []
    clock.advance(dt.timedelta(hours=2, seconds=1))
    [done] = await broadcasts.run_due_broadcasts(db, sender, clock, config=FAST)
    assert done.broadcast_id == broadcast_id and sorted(sender.chats()) == [1, 2, 3]


async def test_cancel_before_start_sends_nothing_and_is_audited(
    db: Database, clock: OffsetClock
) -> None:
    now = clock.now()
    await _many(db, now, range(1, 4))
    broadcast_id = await _create(db, now, send_at=now + dt.timedelta(hours=1))
    async with db.session() as session:
        cancelled = await broadcasts.cancel(session, broadcast_id, actor=900001, now=now)
        assert cancelled.status == "cancelled"
        with pytest.raises(Invalid) as again:
            await broadcasts.cancel(session, broadcast_id, actor=900001, now=now)
        assert again.value.code == "not_scheduled"
        with pytest.raises(Invalid) as missing:
            await broadcasts.cancel(session, 999, actor=900001, now=now)
        assert missing.value.code == "not_found"
        log = list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert [(e.action, e.target, e.actor_id) for e in log] == [
        ("broadcast.create", f"broadcast:{broadcast_id}", 900001),
        ("broadcast.cancel", f"broadcast:{broadcast_id}", 900001),
    ]
    assert json.loads(log[0].after or "")["audience"] == "all"
    assert json.loads(log[1].after or "") == {"status": "cancelled"}
    clock.advance(dt.timedelta(hours=2))
    sender = FakeSender()
    assert await broadcasts.run_due_broadcasts(db, sender, clock, config=FAST) == []
    assert sender.sent == [] and await _ledger(db, broadcast_id) == {}


async def test_a_started_broadcast_cannot_be_cancelled_but_stop_ends_it(
    db: Database, clock: OffsetClock
) -> None:
    now = clock.now()
    await _many(db, now, range(1, 41))
    broadcast_id = await _create(db, now)
    gate = asyncio.Event()

    class Slow(FakeSender):
        async def send(
            self, chat_id: int, method: str, params: Mapping[str, Any], **kw: Any
        ) -> SendResult:
            if len(self.sent) >= 5:
                await gate.wait()
            return await super().send(chat_id, method, params, **kw)

    sender = Slow()
    config = RunnerConfig(poll=0.02, progress_every=0.0, retry_pause=0.0, batch=5, in_flight=2)
    run = asyncio.create_task(
        broadcasts.run_broadcast(db, sender, clock, broadcast_id, config=config)
    )
    await _until(lambda: len(sender.sent) >= 5)
    async with db.session() as session:
        with pytest.raises(Invalid) as caught:
            await broadcasts.cancel(session, broadcast_id, actor=900001, now=clock.now())
        assert caught.value.code == "not_scheduled"  # too late to cancel: it started
        stopped = await broadcasts.stop(session, broadcast_id, actor=900001, now=clock.now())
        assert stopped.status == "stopped"
    await asyncio.sleep(0.1)  # the runner notices within one poll
    gate.set()
    final = await asyncio.wait_for(run, 10)
    assert final is not None and final.status == "stopped"
    ledger = await _ledger(db, broadcast_id)
    assert list(ledger.values()).count("sent") == len(sender.sent) <= 7
    assert list(ledger.values()).count("cancelled") == 40 - len(sender.sent)
    assert (await _broadcast(db, broadcast_id)).finished_at is not None


async def test_a_stopped_broadcast_leaves_no_send_unsettled(
    db: Database, clock: OffsetClock
) -> None:
    """A send whose result was never written (here it raised after its mark) is in doubt
    when a stopped run ends: counted as not reached, not left "sending" and left out of the
    admin's summary."""
    now = clock.now()
    await _many(db, now, range(1, 21))
    broadcast_id = await _create(db, now)
    gate = asyncio.Event()

    class Broken(FakeSender):
        async def send(
            self, chat_id: int, method: str, params: Mapping[str, Any], **kw: Any
        ) -> SendResult:
            if chat_id == 3:
                on_start = kw.get("on_start")
                assert on_start is not None
                await on_start()
                raise RuntimeError("lost on the way back")
            if len(self.sent) >= 4:
                await gate.wait()
            return await super().send(chat_id, method, params, **kw)

    sender = Broken()
    config = RunnerConfig(poll=0.02, progress_every=0.0, retry_pause=0.0, batch=5, in_flight=2)
    run = asyncio.create_task(
        broadcasts.run_broadcast(db, sender, clock, broadcast_id, config=config)
    )
    await _until(lambda: len(sender.sent) >= 4)
    async with db.session() as session:
        await broadcasts.stop(session, broadcast_id, actor=900001, now=clock.now())
    await asyncio.sleep(0.1)
    gate.set()
    final = await asyncio.wait_for(run, 10)
    assert final is not None and final.status == "stopped"
    ledger = await _ledger(db, broadcast_id)
    statuses = list(ledger.values())
    assert "sending" not in statuses and "claimed" not in statuses
    assert statuses.count("unknown") == 1
    assert final.failed == 1 and final.sent == len(sender.sent)
    assert final.sent + final.failed + final.skipped == 20


async def test_no_duplicate_and_no_loss_after_a_crash(
    db: Database, db_target: DbTarget, clock: OffsetClock
) -> None:
    now = clock.now()
    await _many(db, now, range(1, 51))
    broadcast_id = await _create(db, now)
    config = RunnerConfig(
        lease=dt.timedelta(seconds=30),
        poll=0.02,
        progress_every=0.0,
        retry_pause=0.0,
        batch=10,
        in_flight=4,
    )
    first = FakeSender(hang_after=20)
    process = db_target.open()  # replica "a" is a process of its own, with its connections
    run = asyncio.create_task(
        broadcasts.run_broadcast(process, first, clock, broadcast_id, replica="a", config=config)
    )
    await asyncio.wait_for(first.hung.wait(), 10)
    await asyncio.sleep(0.05)
    run.cancel()  # the process dies with some sends in flight, and its connections with it
    with pytest.raises(asyncio.CancelledError):
        await run
    await process.close()
    in_doubt = [c for c, s in (await _ledger(db, broadcast_id)).items() if s == "sending"]
    assert 1 <= len(in_doubt) <= 4
    second = FakeSender()
    # The dead run's lease still holds: nobody else may start yet.
    assert await broadcasts.run_due_broadcasts(db, second, clock, replica="b", config=config) == []
    clock.advance(dt.timedelta(seconds=31))
    [final] = await broadcasts.run_due_broadcasts(db, second, clock, replica="b", config=config)
    ledger = await _ledger(db, broadcast_id)
    everyone = first.chats() + second.chats()
    assert len(everyone) == len(set(everyone))  # nobody got it twice
    assert set(everyone) | set(in_doubt) == set(range(1, 51))  # nobody was forgotten
    assert sorted(c for c, s in ledger.items() if s == "unknown") == sorted(in_doubt)
    assert final.status == "done" and final.sent == 50 - len(in_doubt)


async def test_only_one_replica_runs_a_broadcast(db: Database, clock: OffsetClock) -> None:
    now = clock.now()
    await _many(db, now, range(1, 31))
    broadcast_id = await _create(db, now)
    senders = [FakeSender() for _ in range(3)]
    results = await asyncio.gather(
        *(
            broadcasts.run_broadcast(db, sender, clock, broadcast_id, replica=f"r{i}", config=FAST)
            for i, sender in enumerate(senders)
        )
    )
    assert sum(r is not None for r in results) == 1
    everyone = [chat for sender in senders for chat in sender.chats()]
    assert sorted(everyone) == list(range(1, 31))


async def test_a_lease_held_elsewhere_is_taken_over_only_after_it_expires(
    db: Database, clock: OffsetClock
) -> None:
    now = clock.now()
    await _many(db, now, range(1, 6))
    broadcast_id = await _create(db, now)
    async with db.session() as session:
        session.add(
            Lease(
                name=f"broadcast:{broadcast_id}",
                holder="other#1",
                expires_at=now + dt.timedelta(seconds=60),
            )
        )
        await session.commit()
    sender = FakeSender()
    assert await broadcasts.run_broadcast(db, sender, clock, broadcast_id, config=FAST) is None
    clock.advance(dt.timedelta(seconds=61))
    done = await broadcasts.run_broadcast(db, sender, clock, broadcast_id, config=FAST)
    assert done is not None and done.sent == 5


async def test_shutting_down_hands_the_rest_to_the_next_start(
    db: Database, clock: OffsetClock
) -> None:
    now = clock.now()
    await _many(db, now, range(1, 21))
    broadcast_id = await _create(db, now)
    sender = FakeSender()
    config = RunnerConfig(poll=0.02, progress_every=0.0, retry_pause=0.0, batch=5, in_flight=1)
    halted = await broadcasts.run_broadcast(
        db, sender, clock, broadcast_id, config=config, halt=lambda: len(sender.sent) >= 8
    )
    assert halted is not None and halted.status == "sending"
    assert 8 <= len(sender.sent) < 20
    # The lease was given back, so the next start carries on at once.
    [final] = await broadcasts.run_due_broadcasts(db, sender, clock, config=FAST)
    assert final.status == "done" and sorted(sender.chats()) == list(range(1, 21))


async def test_a_subscriber_who_left_meanwhile_is_skipped(db: Database, clock: OffsetClock) -> None:
    now = clock.now()
    await _many(db, now, range(1, 4))
    broadcast_id = await _create(db, now)
    gate = asyncio.Event()

    class Gated(FakeSender):
        waiting = 0

        async def send(
            self, chat_id: int, method: str, params: Mapping[str, Any], **kw: Any
        ) -> SendResult:
            self.waiting += 1
            await gate.wait()
            return await super().send(chat_id, method, params, **kw)

    config = RunnerConfig(poll=0.02, progress_every=0.0, retry_pause=0.0, batch=1, in_flight=1)
    sender = Gated()
    run = asyncio.create_task(
        broadcasts.run_broadcast(db, sender, clock, broadcast_id, config=config)
    )
    await _until(lambda: sender.waiting > 0)
    async with db.session() as session:
        sub = await session.scalar(select(Subscriber).where(Subscriber.chat_id == 3))
        assert sub is not None
        sub.status = "unsubscribed"
        await session.commit()
    gate.set()
    final = await asyncio.wait_for(run, 10)
    assert final is not None and final.skipped == 1
    assert (await _ledger(db, broadcast_id))[3] == "skipped"
    assert sorted(sender.chats()) == [1, 2]


async def test_bad_times_are_refused(db: Database, clock: OffsetClock) -> None:
    now = clock.now()
    for when, code in (
        (now - dt.timedelta(hours=1), "when_past"),
        (now + dt.timedelta(days=400), "when_far"),
    ):
        with pytest.raises(Invalid) as caught:
            await _create(db, now, send_at=when)
        assert caught.value.code == code
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Broadcast)) == 0


async def test_two_thousand_recipients_with_some_blocked_reach_100_percent(
    db: Database, clock: OffsetClock
) -> None:
    now = clock.now()
    async with db.session() as session:
        session.add_all(
            Subscriber(
                chat_id=chat,
                user_id=chat,
                language="en",
                timezone=KL,
                send_time=dt.time(8, 0),
                status="active",
                consented_at=now,
                created_at=now,
                updated_at=now,
            )
            for chat in range(10_000, 12_000)
        )
        await session.commit()
    await _create(db, now)
    blocked = frozenset(range(10_000, 12_000, 40))  # 50 of them blocked the bot
    sender = FakeSender(blocked=blocked)
    reports: list[Progress] = []

    async def sink(progress: Progress) -> None:
        reports.append(progress)

    config = RunnerConfig(poll=0.05, progress_every=0.2, retry_pause=0.0)
    [final] = await broadcasts.run_due_broadcasts(
        db, sender, clock, on_progress=sink, config=config
    )
    assert (final.total, final.sent, final.blocked, final.failed) == (2000, 1950, 50, 0)
    assert final.fraction == 1.0 and final.status == "done"
    assert len(sender.chats()) == len(set(sender.chats())) == 1950
    assert [r.done for r in reports] == sorted(r.done for r in reports)  # never goes back
    assert reports[-1] == final
    async with db.session() as session:
        still = await session.scalar(select(func.count()).where(Subscriber.status == "active"))
    assert still == 1950


def test_every_refusal_has_a_message_in_both_languages(content: Content) -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "bot" / "admin" / "broadcasts").glob("*.py"))
    codes = set(re.findall(r'Invalid\(\s*"([a-z_]+)"', source))
    assert len(codes) >= 10  # the pattern really finds them
    for language in content.catalogs.languages:
        assert {f"bc_error_{code}" for code in codes} <= content.catalogs.keys(language)
