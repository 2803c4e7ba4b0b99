"""The ledger writer's group commit: a mark returns only once stored, and the window a mark
waits follows the pace marks arrive at (few transactions at paid rates, no wait added at
Telegram's free rate)."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import event, insert, select

from bot.db.engine import Database
from bot.db.models import Delivery, Subscriber
from bot.outbound.ledger import LedgerWriter, mark_window

NOW = dt.datetime(2026, 12, 7, 0, 30, tzinfo=dt.UTC)
MS = 0.001


@pytest.mark.parametrize(
    ("pace", "window"),
    [
        (0, 5 * MS),
        (28, 5 * MS),  # Telegram's free rate: a window holds one mark anyway
        (250, 5 * MS),
        (500, 10 * MS),
        (1000, 20 * MS),  # paid broadcasts: ~20 marks a transaction
        (5000, 20 * MS),
    ],
)
def test_the_mark_window_grows_with_the_pace_between_its_bounds(pace: float, window: float) -> None:
    assert mark_window(pace, 5 * MS, 20 * MS) == pytest.approx(window)


async def _claimed_rows(db: Database, n: int) -> list[int]:
    async with db.engine.begin() as conn:
        sub = await conn.scalar(
            insert(Subscriber)
            .values(
                chat_id=1,
                user_id=1,
                language="en",
                timezone="Asia/Kuala_Lumpur",
                send_time=dt.time(8, 0),
                status="active",
                created_at=NOW,
                updated_at=NOW,
            )
            .returning(Subscriber.id)
        )
        rows = [
            {
                "subscriber_id": sub,
                "local_date": dt.date(2026, 1, 1) + dt.timedelta(days=i),
                "due_at": NOW,
                "tip_id": "t1",
                "status": "claimed",
                "attempts": 0,
                "claimed_by": "claim-1",
                "lease_until": NOW + dt.timedelta(minutes=5),
                "created_at": NOW,
                "updated_at": NOW,
            }
            for i in range(n)
        ]
        await conn.execute(insert(Delivery), rows)
        return list(await conn.scalars(select(Delivery.id).order_by(Delivery.id)))


def _count_commits(db: Database) -> list[int]:
    commits = [0]

    def on_commit(_conn: Any) -> None:
        commits[0] += 1

    event.listen(db.engine.sync_engine, "commit", on_commit)
    return commits


async def _statuses(db: Database, ids: list[int]) -> list[str]:
    async with db.engine.connect() as conn:
        found = await conn.scalars(select(Delivery.status).where(Delivery.id.in_(ids)))
        return list(found)


async def test_a_mark_returns_only_once_it_is_stored(db: Database) -> None:
    ids = await _claimed_rows(db, 3)
    async with LedgerWriter(db, lambda: NOW) as ledger:
        for ident in ids:
            assert await ledger.mark_sending(ident, "claim-1")
            # Another connection sees it: the request may leave now.
            assert await _statuses(db, [ident]) == ["sending"]
        assert not await ledger.mark_sending(ids[0], "claim-2")


async def test_marks_at_a_paid_pace_share_transactions(db: Database) -> None:
    ids = await _claimed_rows(db, 300)
    commits = _count_commits(db)
    async with LedgerWriter(db, lambda: NOW) as ledger:
        marks = []
        # 300 marks at ~2,000 a second: 10 every 5 ms (slower on a busy machine).
        for start in range(0, len(ids), 10):
            marks += [
                asyncio.create_task(ledger.mark_sending(i, "claim-1"))
                for i in ids[start : start + 10]
            ]
            await asyncio.sleep(5 * MS)
        assert all(await asyncio.gather(*marks))
        window = ledger.window
    assert await _statuses(db, ids) == ["sending"] * len(ids)
    # At 500 marks a second or more the window is at least 10 ms, twice the shortest.
    assert window >= 10 * MS
    # ~20 ms windows of ~40 marks: 8-10 transactions (5 ms windows took 22 here).
    assert commits[0] <= 15


async def test_marks_at_the_free_pace_wait_no_longer_than_the_shortest_window(
    db: Database,
) -> None:
    ids = await _claimed_rows(db, 5)
    commits = _count_commits(db)
    async with LedgerWriter(db, lambda: NOW) as ledger:
        for ident in ids:  # one mark every ~36 ms: 28 a second
            assert await ledger.mark_sending(ident, "claim-1")
            await asyncio.sleep(36 * MS)
        assert ledger.window == pytest.approx(5 * MS)
    assert commits[0] == len(ids)
