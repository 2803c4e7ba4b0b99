"""SIGTERM mid-delivery: the process exits within 10 s and the restart sends the rest once."""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
from pathlib import Path

import pytest

from bot.sandbox.limits import Fault
from bot.sandbox.server import Sandbox
from tests.conftest import DbTarget
from tests.e2e.processes.bots import (
    COUNT,
    answered,
    check_exactly_once,
    delivered_at_least,
    ledger_counts,
    restart_until_settled,
    seed,
    start_bot,
    tips_per_chat,
    wait_for,
)

pytestmark = [pytest.mark.slow, pytest.mark.dialect]


async def test_sigterm_mid_delivery_stops_within_10_s_and_loses_nothing(
    tmp_path: Path, sandbox: Sandbox, db_target: DbTarget
) -> None:
    db = db_target.open()
    try:
        await seed(db, dt.datetime.now(dt.UTC))
        first = await start_bot(tmp_path, sandbox, db_target, "solo")
        await wait_for(lambda: delivered_at_least(sandbox, 300), 60)
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

        await restart_until_settled(tmp_path, sandbox, db_target, db)
        counts = await ledger_counts(db)
        assert counts == {"sent": COUNT}
        check_exactly_once(sandbox, counts)
    finally:
        await db.close()


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
        await wait_for(lambda: delivered_at_least(sandbox, 300), 60)
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
        await restart_until_settled(tmp_path, sandbox, db_target, db)
        await wait_for(lambda: answered(sandbox), 15)
        check_exactly_once(sandbox, await ledger_counts(db))
    finally:
        await db.close()
