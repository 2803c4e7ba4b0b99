"""kill -9 mid-delivery: a restart, or the other replica, finishes the work; nothing twice."""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.db.models import Delivery
from bot.sandbox.server import Sandbox
from tests.conftest import DbTarget
from tests.e2e.processes.bots import (
    COUNT,
    check_exactly_once,
    crowd,
    delivered_at_least,
    ledger_counts,
    left_by,
    restart_until_settled,
    seed,
    sent_by,
    settled,
    start_bot,
    stop,
    tips_per_chat,
    wait_for,
)

pytestmark = [pytest.mark.slow, pytest.mark.dialect]


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with crowd() as box:
        yield box


async def test_kill_9_mid_delivery_then_restart(
    tmp_path: Path, sandbox: Sandbox, db_target: DbTarget
) -> None:
    db = db_target.open()
    try:
        await seed(db, dt.datetime.now(dt.UTC))
        first = await start_bot(tmp_path, sandbox, db_target, "solo")
        await wait_for(lambda: delivered_at_least(sandbox, 500), 60)
        first.send_signal(signal.SIGKILL)
        await first.wait()
        at_kill = len(tips_per_chat(sandbox))
        assert at_kill < COUNT, "the delivery finished before the kill; nothing was tested"

        await restart_until_settled(tmp_path, sandbox, db_target, db)
        check_exactly_once(sandbox, await ledger_counts(db))
    finally:
        await db.close()


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
            await wait_for(lambda: sent_by(db, "replica-a"), 60)
            a.send_signal(signal.SIGKILL)
            await a.wait()
            await wait_for(lambda: settled(db), 90)
        finally:
            await stop(b)
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
            await wait_for(lambda: delivered_at_least(sandbox, 500), 60)
            a.send_signal(signal.SIGKILL)
            await a.wait()
            killed = loop.time()
            at_kill = len(tips_per_chat(sandbox))
            assert await left_by(db, "replica-a") > 0, "replica-a had nothing left to take"
            await wait_for(lambda: settled(db), 60)
            took = loop.time() - killed
        finally:
            await stop(b)
        counts = await ledger_counts(db)
        print(f"failover: {at_kill} delivered at the kill; settled {took:.1f} s later; {counts}")
        check_exactly_once(sandbox, counts)
    finally:
        await db.close()
