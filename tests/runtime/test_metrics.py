"""/metrics: Prometheus text whose numbers match the ledger, the sender and the updates."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, insert, select

from bot.clock import OffsetClock
from bot.config import SANDBOX_TOKEN, load_settings
from bot.content.loader import Content
from bot.db import migrate
from bot.db.engine import Database
from bot.db.models import Delivery, Subscriber
from bot.runtime.app import AnyApplication, build_application, running
from bot.sandbox import users as sandbox_users
from bot.sandbox.client import SandboxClient
from bot.sandbox.server import Sandbox
from bot.services import services_in
from tests.conftest import TIPS_DIR, DbTarget
from tests.e2e.conftest import Chat
from tests.runtime.test_webhook import free_port

FIRST, COUNT = 8_100_000, 40
BLOCKED_ONE = FIRST + 7
KL = dt.timezone(dt.timedelta(hours=8))

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    """Every sample of a Prometheus text answer, by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value (0 when absent, as Prometheus reads a missing series)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


@dataclass
class Scraped:
    """The running bot, its sandbox and database, and its /metrics."""

    app: AnyApplication
    sandbox: Sandbox
    client: SandboxClient
    db: Database
    url: str

    async def metrics(self) -> Samples:
        """GET /metrics and parse it."""
        async with aiohttp.ClientSession() as session, session.get(self.url) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain")
            return parse(await response.text())


async def seed_due(db: Database, now: dt.datetime) -> None:
    """COUNT active subscribers whose daily tip was due a few seconds ago."""
    await migrate.upgrade(db)
    due = now - dt.timedelta(seconds=5)
    rows = [
        {
            "chat_id": uid,
            "user_id": uid,
            "language": "en" if uid % 2 else "ms",
            "timezone": "Asia/Kuala_Lumpur",
            "send_time": due.astimezone(KL).time().replace(microsecond=0),
            "status": "active",
            "consented_at": now,
            "next_due_at": due,
            "created_at": now,
            "updated_at": now,
        }
        for uid in range(FIRST, FIRST + COUNT)
    ]
    async with db.session() as session, session.begin():
        await session.execute(insert(Subscriber), rows)


async def ledger(db: Database) -> dict[str, int]:
    """The ledger's rows by status."""
    async with db.session() as session:
        rows = await session.execute(
            select(Delivery.status, func.count()).group_by(Delivery.status)
        )
        return {str(status): int(n) for status, n in rows}


@contextlib.asynccontextmanager
async def scraped_bot(
    db_target: DbTarget, content: Content, *, deliveries: bool
) -> AsyncIterator[Scraped]:
    """The bot with /metrics; with `deliveries`, COUNT subscribers are due as it starts,
    one of whom blocked the bot, and one send meets a 500."""
    db = db_target.open()
    clock = OffsetClock()
    sandbox = Sandbox(token=SANDBOX_TOKEN, rate_limit_per_second=None, clock=clock)
    await sandbox.start()
    port = free_port()
    settings = load_settings(
        database_url=db_target.url,
        database_schema=db_target.schema,
        tips_dir=TIPS_DIR,
        health_port=port,
        delivery_tick_seconds=0.2,
    )
    app = build_application(
        settings, content, token=SANDBOX_TOKEN, base_url=sandbox.base_url, clock=clock
    )
    try:
        async with SandboxClient(sandbox.control_url) as client:
            if deliveries:
                await seed_due(db, dt.datetime.now(dt.UTC))
                for uid in range(FIRST, FIRST + COUNT):
                    sandbox_users.add_user(sandbox.world, uid, f"U{uid}", language_code="en")
                # Blocked while the bot was away (Telegram told nobody): the send meets a 403.
                sandbox.world.users[BLOCKED_ONE].blocked = True
                # And one request meets a 500: it may have arrived, so it is in doubt.
                await client.inject_faults(method="sendMessage", status=500, count=1)
            async with running(app):
                yield Scraped(app, sandbox, client, db, f"http://127.0.0.1:{port}/metrics")
    finally:
        await db.close()
        await sandbox.stop()


async def settled(db: Database) -> dict[str, int]:
    """Wait until every due subscriber has a final ledger row; return the ledger."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while True:
        counts = await ledger(db)
        open_rows = sum(counts.get(s, 0) for s in ("claimed", "sending", "failed"))
        if sum(counts.values()) == COUNT and not open_rows:
            return counts
        assert loop.time() < deadline, f"delivery not settled: {counts}"
        await asyncio.sleep(0.1)


async def test_metrics_match_the_ledger_after_a_delivery(
    db_target: DbTarget, content: Content
) -> None:
    async with scraped_bot(db_target, content, deliveries=True) as scraped:
        await check_against_the_ledger(scraped)


async def check_against_the_ledger(scraped: Scraped) -> None:
    """Every number /metrics gives about the delivery, against the ledger and the sandbox."""
    counts = await settled(scraped.db)
    assert counts == {"sent": COUNT - 2, "blocked": 1, "unknown": 1}
    m = await scraped.metrics()
    for status, n in counts.items():
        assert value(m, "gutskin_deliveries", status=status) == n
    assert value(m, "gutskin_messages_sent_total") == counts["sent"]
    assert value(m, "gutskin_messages_failed_total", reason="blocked") == counts["blocked"]
    assert value(m, "gutskin_messages_in_doubt_total", reason="http 500") == counts["unknown"]
    healthz = scraped.url.replace("/metrics", "/healthz")
    async with aiohttp.ClientSession() as session, session.get(healthz) as response:
        health = await response.json()
    assert (health["deliveries_in_doubt"], health["broadcast_deliveries_in_doubt"]) == (1, 0)
    assert value(m, "gutskin_send_retries_total") == 0
    assert value(m, "gutskin_subscribers", status="active") == COUNT - 1
    assert value(m, "gutskin_subscribers", status="blocked") == 1
    assert value(m, "gutskin_due_backlog") == 0
    assert value(m, "gutskin_database_up") == 1
    assert value(m, "gutskin_delivery_ticks_total") >= 1
    assert value(m, "gutskin_rate_limited_total") == 0
    assert value(m, "gutskin_sender_paused_seconds") == 0
    assert (
        value(
            m,
            "gutskin_info",
            replica=scraped.app.bot_data["services"].settings.replica_id,
            updates="polling",
        )
        == 1
    )
    assert value(m, "process_resident_memory_bytes") > 0


@pytest.mark.slow
async def test_updates_are_counted_by_type_and_timed(db_target: DbTarget, content: Content) -> None:
    async with scraped_bot(db_target, content, deliveries=False) as scraped:
        await check_updates(scraped)


async def check_updates(scraped: Scraped) -> None:
    """Talk to the bot, then read the update counters and the latency histogram."""
    await scraped.client.add_user(101, "Aisyah", language_code="en")
    chat = Chat(scraped.client, 101)
    welcome = await chat.say("/start")
    await chat.press(welcome, "I agree, subscribe")
    await chat.say("does dairy cause acne?")
    # A handler is counted when it finishes, which may be after its reply left (the FAQ records
    # the question after answering): read until both messages are counted, for a few seconds.
    m = await scraped.metrics()
    for _ in range(50):
        if value(m, "gutskin_updates_total", type="message") >= 2:
            break
        await asyncio.sleep(0.1)
        m = await scraped.metrics()
    assert value(m, "gutskin_updates_total", type="message") >= 2
    assert value(m, "gutskin_updates_total", type="callback_query") >= 1
    for kind in ("message", "callback_query"):
        count = value(m, "gutskin_update_handling_seconds_count", type=kind)
        assert count == value(m, "gutskin_updates_total", type=kind)
        assert value(m, "gutskin_update_handling_seconds_bucket", type=kind, le="+Inf") == count
        assert value(m, "gutskin_update_handling_seconds_sum", type=kind) > 0


async def test_metrics_say_when_the_database_cannot_be_read(
    db: Database, content: Content, tmp_path: Path
) -> None:
    app = build_application(load_settings(tips_dir=TIPS_DIR), content, token=SANDBOX_TOKEN)
    metrics = services_in(app.bot_data).metrics
    await seed_due(db, dt.datetime.now(dt.UTC))
    await metrics.read_database(db, dt.datetime.now(dt.UTC))
    m = parse(generate_latest(metrics.registry).decode())
    assert value(m, "gutskin_database_up") == 1
    assert value(m, "gutskin_due_backlog") == COUNT
    assert value(m, "gutskin_subscribers", status="active") == COUNT
    broken = Database(f"sqlite+aiosqlite:///{tmp_path / 'no-tables.db'}")
    try:
        await metrics.read_database(broken, dt.datetime.now(dt.UTC))
    finally:
        await broken.close()
    m = parse(generate_latest(metrics.registry).decode())
    assert value(m, "gutskin_database_up") == 0
    # No stale numbers: the series from the database are gone until it answers again.
    assert math.isnan(value(m, "gutskin_due_backlog"))
    assert not any(name == "gutskin_subscribers" for name, _ in m)


async def test_two_applications_in_one_process_keep_their_own_metrics(content: Content) -> None:
    settings = load_settings(tips_dir=TIPS_DIR)
    apps = [build_application(settings, content, token=SANDBOX_TOKEN) for _ in range(2)]
    first, second = (services_in(app.bot_data).metrics for app in apps)
    first.updates.labels("message").inc(3)
    texts: list[Any] = [parse(generate_latest(m.registry).decode()) for m in (first, second)]
    assert value(texts[0], "gutskin_updates_total", type="message") == 3
    assert value(texts[1], "gutskin_updates_total", type="message") == 0
