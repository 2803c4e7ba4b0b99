"""Real bot processes (`gutskin-bot run`) delivering to the sandbox: kill -9 and replicas.

Each process is the real command with its environment; the sandbox runs in the test. A
send the killed process may have had on the wire is recorded "unknown" and never resent
(at most one tip per subscriber per local date); these tests check that no one gets two,
that no one is lost outside those in-doubt rows, and how many there were.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from bot.config import SANDBOX_TOKEN
from bot.db import migrate
from bot.db.engine import Database
from bot.db.models import Delivery, Subscriber
from bot.sandbox import users as sandbox_users
from bot.sandbox.limits import Fault
from bot.sandbox.server import Sandbox
from tests.conftest import ROOT, SHIPPED_CONTENT_ENV, TIPS_DIR, DbTarget

pytestmark = [pytest.mark.slow, pytest.mark.dialect]

_PASSTHROUGH = ("PATH", "HOME", "LANG", "SYSTEMROOT")
FIRST = 7_000_000
COUNT = 2_000
KL = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    box = Sandbox(token=SANDBOX_TOKEN, rate_limit_per_second=None)
    await box.start()
    for uid in range(FIRST, FIRST + COUNT):
        sandbox_users.add_user(box.world, uid, f"U{uid}", language_code="en")
    try:
        yield box
    finally:
        await box.stop()


async def seed(db: Database, now: dt.datetime, count: int = COUNT) -> None:
    """`count` active subscribers, all due a few seconds ago."""
    await migrate.upgrade(db)
    due = now - dt.timedelta(seconds=5)
    rows = [
        {
            "chat_id": uid,
            "user_id": uid,
            "language": "en" if uid % 3 else "ms",
            "timezone": "Asia/Kuala_Lumpur",
            "send_time": due.astimezone(KL).time().replace(microsecond=0),
            "status": "active",
            "consented_at": now,
            "next_due_at": due,
            "created_at": now,
            "updated_at": now,
        }
        for uid in range(FIRST, FIRST + count)
    ]
    async with db.session() as session, session.begin():
        await session.execute(insert(Subscriber), rows)


def start_bot(
    tmp_path: Path,
    sandbox: Sandbox,
    target: DbTarget,
    replica: str,
    **settings: str,
) -> asyncio.Future[asyncio.subprocess.Process]:
    env = {k: v for k, v in os.environ.items() if k in _PASSTHROUGH}
    env.update(SHIPPED_CONTENT_ENV)
    env.update(target.env)
    env.update(
        {
            "TELEGRAM_BOT_TOKEN": SANDBOX_TOKEN,
            "TELEGRAM_API_BASE_URL": sandbox.base_url,
            "TIPS_DIR": str(TIPS_DIR),
            "DATA_DIR": str(tmp_path / "data"),
            "DELIVERY_TICK_SECONDS": "0.5",
            "DELIVERY_RATE": "200",
            "ALLOW_PAID_BROADCAST": "true",
            "DELIVERY_LEASE_SECONDS": "4",
            "REPLICA_ID": replica,
            # The code of this checkout, whatever is installed.
            "PYTHONPATH": str(ROOT),
            "LOG_LEVEL": "WARNING",
        }
    )
    env.update(settings)

    log_path = tmp_path / f"{replica}-{os.urandom(2).hex()}.log"

    async def spawn() -> asyncio.subprocess.Process:
        log = os.open(log_path, os.O_WRONLY | os.O_CREAT)
        try:
            return await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env, stdout=log, stderr=log
            )
        finally:
            os.close(log)

    return asyncio.ensure_future(spawn())


def tips_per_chat(sandbox: Sandbox, count: int = COUNT) -> Counter[int]:
    """How many daily tips each subscriber's chat holds, from the sandbox's own record."""
    counts: Counter[int] = Counter()
    for uid in range(FIRST, FIRST + count):
        for message in sandbox.world.messages.get(uid, []):
            if message.from_bot and "fb:" in str(message.reply_markup):
                counts[uid] += 1
    return counts


async def wait_for(check: Any, seconds: float) -> None:
    for _ in range(int(seconds * 10)):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not done after {seconds} s")


async def ledger_counts(db: Database) -> dict[str, int]:
    async with db.session() as session:
        rows = await session.execute(
            select(Delivery.status, func.count()).group_by(Delivery.status)
        )
        return {status: n for status, n in rows}


async def _sent_by(db: Database, replica: str) -> bool:
    """Whether tips this replica claimed have been recorded as sent."""
    async with db.session() as session:
        n = await session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.status == "sent", Delivery.claimed_by.startswith(replica))
        )
    return bool(n)


async def settled(db: Database, count: int = COUNT) -> bool:
    counts = await ledger_counts(db)
    open_rows = sum(counts.get(s, 0) for s in ("claimed", "sending", "failed"))
    return sum(counts.values()) == count and open_rows == 0


async def answered(sandbox: Sandbox) -> bool:
    """Every request the sandbox took has been answered (slow answers included)."""
    world = sandbox.world
    return world.requests_log.last_seq == sum(world.counters.requests_by_method.values())


def check_exactly_once(sandbox: Sandbox, counts: dict[str, int]) -> None:
    got = tips_per_chat(sandbox)
    twice = [uid for uid, n in got.items() if n > 1]
    missing = COUNT - len(got)
    assert twice == [], f"{len(twice)} subscribers got two tips"
    # Only a send in doubt (recorded "unknown", never resent) may have not arrived.
    assert missing <= counts.get("unknown", 0)
    assert counts.get("sent", 0) + counts.get("unknown", 0) == COUNT
    print(f"delivered {len(got)} of {COUNT}; in doubt: {counts.get('unknown', 0)}, lost: {missing}")


async def test_kill_9_mid_delivery_then_restart(
    tmp_path: Path, sandbox: Sandbox, db_target: DbTarget
) -> None:
    db = db_target.open()
    try:
        await seed(db, dt.datetime.now(dt.UTC))
        first = await start_bot(tmp_path, sandbox, db_target, "solo")
        await wait_for(lambda: _delivered_at_least(sandbox, 500), 60)
        first.send_signal(signal.SIGKILL)
        await first.wait()
        at_kill = len(tips_per_chat(sandbox))
        assert at_kill < COUNT, "the delivery finished before the kill; nothing was tested"

        second = await start_bot(tmp_path, sandbox, db_target, "solo")
        try:
            await wait_for(lambda: settled(db), 60)
        finally:
            second.send_signal(signal.SIGTERM)
            await asyncio.wait_for(second.wait(), 15)
        check_exactly_once(sandbox, await ledger_counts(db))
    finally:
        await db.close()


async def _delivered_at_least(sandbox: Sandbox, n: int) -> bool:
    return len(tips_per_chat(sandbox)) >= n


async def test_two_replicas_on_postgres_share_the_work_one_killed(
    tmp_path: Path, sandbox: Sandbox, db_target: DbTarget
) -> None:
    if db_target.schema is None:
        pytest.skip("several replicas need PostgreSQL (SQLite is single-process)")
    db = db_target.open()
    try:
        await seed(db, dt.datetime.now(dt.UTC))
        # DELIVERY_RATE is the deployment's: two replicas at 200/s each, as before it was.
        a = await start_bot(tmp_path, sandbox, db_target, "replica-a", DELIVERY_RATE="400")
        b = await start_bot(tmp_path, sandbox, db_target, "replica-b", DELIVERY_RATE="400")
        try:
            # Killed once it has sent part of the work (the two start a moment apart, and
            # the second holds its sends until the first has seen it).
            await wait_for(lambda: _sent_by(db, "replica-a"), 60)
            a.send_signal(signal.SIGKILL)
            await a.wait()
            await wait_for(lambda: settled(db), 90)
        finally:
            if b.returncode is None:
                b.send_signal(signal.SIGTERM)
                await asyncio.wait_for(b.wait(), 15)
        by_replica: Counter[str] = Counter()
        async with db.session() as session:
            claims = await session.execute(
                select(Delivery.claimed_by, func.count()).group_by(Delivery.claimed_by)
            )
            for claimed_by, n in claims:
                by_replica[str(claimed_by).split("#")[0]] += n
        # Both replicas did part of the work, and the survivor finished the dead one's.
        assert by_replica.get("replica-a", 0) > 0 and by_replica.get("replica-b", 0) > 0
        check_exactly_once(sandbox, await ledger_counts(db))
    finally:
        await db.close()


async def test_sigterm_mid_delivery_stops_within_10_s_and_loses_nothing(
    tmp_path: Path, sandbox: Sandbox, db_target: DbTarget
) -> None:
    db = db_target.open()
    try:
        await seed(db, dt.datetime.now(dt.UTC))
        first = await start_bot(tmp_path, sandbox, db_target, "solo")
        await wait_for(lambda: _delivered_at_least(sandbox, 300), 60)
        loop = asyncio.get_running_loop()
        asked = loop.time()
        first.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(first.wait(), 15)
        assert loop.time() - asked < 10
        assert code == 0
        assert len(tips_per_chat(sandbox)) < COUNT, "finished before the SIGTERM"
        counts = await ledger_counts(db)
        # A graceful stop leaves nothing in doubt: what was on its way finished.
        assert counts.get("sending", 0) == 0 and counts.get("unknown", 0) == 0

        second = await start_bot(tmp_path, sandbox, db_target, "solo")
        try:
            await wait_for(lambda: settled(db), 60)
        finally:
            second.send_signal(signal.SIGTERM)
            await asyncio.wait_for(second.wait(), 15)
        counts = await ledger_counts(db)
        assert counts == {"sent": COUNT}
        check_exactly_once(sandbox, counts)
    finally:
        await db.close()


async def test_a_storm_of_429s_5xx_slow_answers_and_blocks_duplicates_nothing_loses_nothing(
    tmp_path: Path, sandbox: Sandbox, db_target: DbTarget
) -> None:
    """600 subscribers; Telegram allows 100/s against the bot's 200/s (429s), answers 30
    sends with a 5xx (in doubt: never resent), 30 slowly (6 s, still delivered: under the
    read timeout) and 10 subscribers have blocked the bot."""
    count, doubtful, slow = 600, 30, 30
    blocked = set(range(FIRST + 5, FIRST + count, 60))
    db = db_target.open()
    try:
        await seed(db, dt.datetime.now(dt.UTC), count)
        world = sandbox.world
        world.rate_limiter.per_second = 100
        for uid in blocked:
            world.users[uid].blocked = True
        for fault in (
            Fault("sendMessage", 502, 15, 0.0),
            Fault("sendMessage", 0, slow, 6.0),
            Fault("sendMessage", 500, 10, 0.0),
            Fault("sendMessage", 503, 5, 2.0),
        ):
            world.faults.arm(fault)
        bot = await start_bot(tmp_path, sandbox, db_target, "storm")
        try:
            await wait_for(lambda: settled(db, count), 90)
        finally:
            bot.send_signal(signal.SIGTERM)
            await asyncio.wait_for(bot.wait(), 15)
        await wait_for(lambda: answered(sandbox), 15)
        counts = await ledger_counts(db)
        got = tips_per_chat(sandbox, count)
        statuses = await statuses_by_chat(db)
        twice = [uid for uid, n in got.items() if n > 1]
        lost = [uid for uid, status in statuses.items() if status == "sent" and got[uid] != 1]
        lacking = {uid for uid in statuses if got[uid] == 0}
        print(
            f"storm: {counts}; delivered {len(got)} of {count}; duplicates {len(twice)}; "
            f"in doubt {counts.get('unknown', 0)}; lost {len(lost)}; "
            f"429s {world.counters.rate_limited}"
        )
        assert twice == [] and lost == []
        # Only rows in doubt (the 5xx answers) or of those who blocked the bot lack a tip.
        assert {statuses[uid] for uid in lacking} <= {"unknown", "blocked"}
        assert counts.get("unknown", 0) == doubtful
        assert counts.get("sent", 0) + doubtful + counts.get("blocked", 0) == count
        assert world.counters.rate_limited > 0 and world.faults.faults == []
    finally:
        await db.close()


async def statuses_by_chat(db: Database) -> dict[int, str]:
    async with db.session() as session:
        rows = await session.execute(
            select(Subscriber.chat_id, Delivery.status).join(
                Subscriber, Subscriber.id == Delivery.subscriber_id
            )
        )
        return {int(chat): str(status) for chat, status in rows}


async def test_sigterm_during_slow_answers_exits_within_10_s_and_duplicates_nothing(
    tmp_path: Path, sandbox: Sandbox, db_target: DbTarget
) -> None:
    """Telegram answers slowly (8 s, longer than the 5 s grace) when SIGTERM comes: no new
    send starts, the unanswered ones are recorded in doubt, the process exits in time, and
    the restart sends the rest without repeating any."""
    db = db_target.open()
    try:
        await seed(db, dt.datetime.now(dt.UTC))
        first = await start_bot(tmp_path, sandbox, db_target, "solo")
        await wait_for(lambda: _delivered_at_least(sandbox, 300), 60)
        sandbox.world.faults.arm(Fault("sendMessage", 0, 400, 8.0))

        async def slow_in_flight() -> bool:
            return not sandbox.world.faults.faults or sandbox.world.faults.faults[0].count < 350

        await wait_for(slow_in_flight, 30)
        loop = asyncio.get_running_loop()
        asked = loop.time()
        first.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(first.wait(), 15)
        took = loop.time() - asked
        at_stop = await ledger_counts(db)
        print(f"SIGTERM during slow answers: exit {code} after {took:.1f} s; ledger {at_stop}")
        assert took < 10  # a generous bound (the grace is 5 s)
        assert code == 0
        assert at_stop.get("sending", 0) == 0 and at_stop.get("unknown", 0) > 0

        sandbox.world.faults.clear()
        second = await start_bot(tmp_path, sandbox, db_target, "solo")
        try:
            await wait_for(lambda: settled(db), 60)
        finally:
            second.send_signal(signal.SIGTERM)
            await asyncio.wait_for(second.wait(), 15)
        await wait_for(lambda: answered(sandbox), 15)
        check_exactly_once(sandbox, await ledger_counts(db))
    finally:
        await db.close()


async def test_failover_after_kill_9_on_postgres_within_60_s_with_the_default_lease(
    tmp_path: Path, sandbox: Sandbox, db_target: DbTarget
) -> None:
    """Two replicas with the default lease (DELIVERY_LEASE_SECONDS unset: 30 s); one is
    killed with -9 mid-delivery and the survivor finishes its tips within a minute."""
    if db_target.schema is None:
        pytest.skip("several replicas need PostgreSQL (SQLite is single-process)")
    db = db_target.open()
    # DELIVERY_RATE is the deployment's: 100/s for each of the two replicas.
    default_lease = {"DELIVERY_LEASE_SECONDS": "", "DELIVERY_RATE": "200"}
    try:
        await seed(db, dt.datetime.now(dt.UTC))
        a = await start_bot(tmp_path, sandbox, db_target, "replica-a", **default_lease)
        b = await start_bot(tmp_path, sandbox, db_target, "replica-b", **default_lease)
        loop = asyncio.get_running_loop()
        try:
            await wait_for(lambda: _delivered_at_least(sandbox, 500), 60)
            a.send_signal(signal.SIGKILL)
            await a.wait()
            killed = loop.time()
            at_kill = len(tips_per_chat(sandbox))
            assert await _left_by(db, "replica-a") > 0, "replica-a had nothing left to take"
            await wait_for(lambda: settled(db), 60)
            took = loop.time() - killed
        finally:
            if b.returncode is None:
                b.send_signal(signal.SIGTERM)
                await asyncio.wait_for(b.wait(), 15)
        counts = await ledger_counts(db)
        print(f"failover: {at_kill} delivered at the kill; settled {took:.1f} s later; {counts}")
        check_exactly_once(sandbox, counts)
    finally:
        await db.close()


async def _left_by(db: Database, replica: str) -> int:
    """Planned or in-flight rows a replica holds."""
    async with db.session() as session:
        found = await session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(
                Delivery.claimed_by.like(f"{replica}#%"),
                Delivery.status.in_(("claimed", "sending")),
            )
        )
        return int(found or 0)


async def test_two_live_replicas_never_take_each_others_tips_even_when_answers_outlast_the_lease(
    tmp_path: Path, sandbox: Sandbox, db_target: DbTarget
) -> None:
    """A 2 s lease and answers that take 3 s: each replica renews what it holds while its
    requests are on the wire, so the other never records them in doubt or takes them."""
    if db_target.schema is None:
        pytest.skip("several replicas need PostgreSQL (SQLite is single-process)")
    db = db_target.open()
    # DELIVERY_RATE is the deployment's: 200/s for each of the two replicas.
    short = {"DELIVERY_LEASE_SECONDS": "2", "DELIVERY_RATE": "400"}
    try:
        await seed(db, dt.datetime.now(dt.UTC))
        sandbox.world.faults.arm(Fault("sendMessage", 0, 600, 3.0))
        a = await start_bot(tmp_path, sandbox, db_target, "replica-a", **short)
        b = await start_bot(tmp_path, sandbox, db_target, "replica-b", **short)
        try:
            await wait_for(lambda: settled(db), 90)
        finally:
            for bot in (a, b):
                bot.send_signal(signal.SIGTERM)
            for bot in (a, b):
                await asyncio.wait_for(bot.wait(), 15)
        counts = await ledger_counts(db)
        print(f"two live replicas, 2 s lease, 3 s answers: {counts}")
        assert counts == {"sent": COUNT}
        check_exactly_once(sandbox, counts)
    finally:
        await db.close()
