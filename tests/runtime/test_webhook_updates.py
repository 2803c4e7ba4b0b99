"""Webhook de-duplication through the database, shared by replicas (#13 item 6)."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select

from bot.db.engine import Database
from bot.db.models import WebhookUpdate
from bot.runtime import webhook_updates
from tests.conftest import DbTarget

pytestmark = pytest.mark.dialect

NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


async def _take(db: Database, update_id: int, now: dt.datetime = NOW) -> bool:
    async with db.session() as session:
        return await webhook_updates.take(session, update_id, now)


async def test_of_two_replicas_taking_one_update_at_once_exactly_one_gets_it(
    db: Database, db_target: DbTarget
) -> None:
    other = db_target.open()
    try:
        for update_id in range(1, 11):
            got = await asyncio.gather(_take(db, update_id), _take(other, update_id))
            assert sorted(got) == [False, True]
        assert await _take(other, 5) is False
        assert await _take(db, 11) is True
    finally:
        await other.close()


async def test_ids_older_than_a_day_are_pruned_and_newer_ones_kept(db: Database) -> None:
    assert await _take(db, 1, NOW - dt.timedelta(hours=25))
    assert await _take(db, 2, NOW - dt.timedelta(hours=23))
    async with db.session() as session:
        assert await webhook_updates.prune(session, NOW) == 1
        kept = list(await session.scalars(select(WebhookUpdate.update_id)))
    assert kept == [2]
    # A repeat of a pruned id is past Telegram's 24 hours: it counts as new again.
    assert await _take(db, 1) is True
    assert await _take(db, 2) is False
