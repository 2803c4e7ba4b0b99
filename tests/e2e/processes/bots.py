"""Helpers for the tests that run real bot processes (`gutskin-bot run`) against a sandbox
in the test: a crowd of subscribers all due at once, the processes, and what the sandbox and
the ledger say afterwards.

A send a killed process may have had on the wire is recorded "unknown" and never resent (at
most one tip per subscriber per local date); `check_exactly_once` checks that no one got
two, that no one is lost outside those in-doubt rows, and says how many there were.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from bot.config import SANDBOX_TOKEN
from bot.db import migrate
from bot.db.engine import Database
from bot.db.models import Delivery, Subscriber
from bot.sandbox import users as sandbox_users
from bot.sandbox.limits import RateLimiter
from bot.sandbox.server import Sandbox
from tests.conftest import ROOT, SHIPPED_CONTENT_ENV, TIPS_DIR, DbTarget

_PASSTHROUGH = ("PATH", "HOME", "LANG", "SYSTEMROOT")
FIRST = 7_000_000
COUNT = 2_000
KL = dt.timezone(dt.timedelta(hours=8))


@contextlib.asynccontextmanager
async def crowd(
    count: int = COUNT, *, limiter: RateLimiter | None = None
) -> AsyncIterator[Sandbox]:
    """A running sandbox with `count` users (no rate limit unless `limiter` is given)."""
    box = Sandbox(token=SANDBOX_TOKEN, rate_limit_per_second=None)
    if limiter is not None:
        box.world.rate_limiter = limiter
    await box.start()
    for uid in range(FIRST, FIRST + count):
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


async def sent_by(db: Database, replica: str) -> bool:
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


async def delivered_at_least(sandbox: Sandbox, n: int) -> bool:
    return len(tips_per_chat(sandbox)) >= n


async def statuses_by_chat(db: Database) -> dict[int, str]:
    async with db.session() as session:
        rows = await session.execute(
            select(Subscriber.chat_id, Delivery.status).join(
                Subscriber, Subscriber.id == Delivery.subscriber_id
            )
        )
        return {int(chat): str(status) for chat, status in rows}


async def left_by(db: Database, replica: str) -> int:
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


async def stop(*bots: asyncio.subprocess.Process) -> None:
    """SIGTERM each process still running, and wait (up to 15 s each) for them to exit."""
    for bot in bots:
        if bot.returncode is None:
            bot.send_signal(signal.SIGTERM)
    for bot in bots:
        await asyncio.wait_for(bot.wait(), 15)


async def restart_until_settled(
    tmp_path: Path, sandbox: Sandbox, target: DbTarget, db: Database
) -> None:
    """Start the bot again (replica "solo") and stop it once every row is settled."""
    bot = await start_bot(tmp_path, sandbox, target, "solo")
    try:
        await wait_for(lambda: settled(db), 60)
    finally:
        await stop(bot)
