"""kill -9 with the default lease: the other replica finishes the work within a minute.

A file of its own (see test_kill.py): the test mostly waits for the lease to run out, so it
can share the machine with the busy process tests without taking their CPU.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
from pathlib import Path

import pytest

from bot.sandbox.server import Sandbox
from tests.conftest import DbTarget
from tests.e2e.processes.bots import (
    check_exactly_once,
    delivered_at_least,
    ledger_counts,
    left_by,
    seed,
    settled,
    start_bot,
    stop,
    tips_per_chat,
    wait_for,
)

pytestmark = [pytest.mark.slow, pytest.mark.dialect]


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
        bots = {
            name: await start_bot(tmp_path, sandbox, db_target, name, **default_lease)
            for name in ("replica-a", "replica-b")
        }
        loop = asyncio.get_running_loop()
        victim = ""
        try:
            await wait_for(lambda: delivered_at_least(sandbox, 500), 60)
            # Kill the one holding more: on a busy machine the replica started second may
            # have claimed the rest before the first one's first tick.
            held = {name: await left_by(db, name) for name in bots}
            victim = max(held, key=held.__getitem__)
            bots[victim].send_signal(signal.SIGKILL)
            await bots[victim].wait()
            killed = loop.time()
            at_kill = len(tips_per_chat(sandbox))
            assert await left_by(db, victim) > 0, f"{victim} had nothing left to take: {held}"
            await wait_for(lambda: settled(db), 60)
            took = loop.time() - killed
        finally:
            for name, process in bots.items():
                if name != victim:
                    await stop(process)
        counts = await ledger_counts(db)
        print(f"failover: {at_kill} delivered at the kill; settled {took:.1f} s later; {counts}")
        check_exactly_once(sandbox, counts)
    finally:
        await db.close()
