"""Two replicas (or two sessions) acting on one chat at once store one result (#13 items 5, 6).

Two Database handles stand for two replicas: each has its own connections, so on
PostgreSQL the statements really interleave.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bot.db.engine import Database
from bot.db.models import Subscriber, SubscriberStatus
from bot.subscribers import store as subscribers
from tests.conftest import DbTarget
from tests.subscribers.starting import NOW, start

pytestmark = pytest.mark.dialect


async def test_concurrent_starts_store_one_row_and_one_says_created(
    db: Database, db_target: DbTarget
) -> None:
    other = db_target.open()
    try:
        for chat_id in range(10, 20):
            created = await asyncio.gather(start(db, chat_id), start(other, chat_id))
            assert sorted(created) == [False, True]
        async with db.session() as session:
            assert await session.scalar(select(func.count()).select_from(Subscriber)) == 10
    finally:
        await other.close()


async def test_concurrent_subscribes_activate_once(db: Database, db_target: DbTarget) -> None:
    other = db_target.open()
    try:
        await start(db, 5)

        async def press(database: Database) -> bool:
            async with database.session() as session:
                return (await subscribers.subscribe_once(session, 5, NOW)).activated

        assert sorted(await asyncio.gather(press(db), press(other))) == [False, True]
        async with db.session() as session:
            sub = await subscribers.find(session, 5)
        assert sub is not None and sub.status == SubscriberStatus.ACTIVE
        assert sub.consented_at == NOW and sub.next_due_at is not None
    finally:
        await other.close()


async def test_concurrent_erasures_delete_once_without_error(
    db: Database, db_target: DbTarget
) -> None:
    other = db_target.open()
    try:
        await start(db, 6)

        async def erase(database: Database) -> bool:
            async with database.session() as session:
                return await subscribers.erase(session, 6)

        assert sorted(await asyncio.gather(erase(db), erase(other))) == [False, True]
    finally:
        await other.close()


async def test_concurrent_topic_taps_on_two_replicas_all_count(
    db: Database, db_target: DbTarget
) -> None:
    other = db_target.open()
    try:
        await start(db, 7)
        async with db.session() as session:
            await subscribers.subscribe(session, 7, NOW)

        async def turn_off(database: Database, topic: str) -> None:
            async with database.session() as session:
                await subscribers.set_topic(session, 7, topic, False, NOW)

        async def turn(database: Database, topic: str, on: bool) -> None:
            async with database.session() as session:
                await subscribers.set_topic(session, 7, topic, on, NOW)

        await asyncio.gather(turn_off(db, "fiber"), turn_off(other, "fermented"))
        await asyncio.gather(turn_off(other, "sleep"), turn_off(db, "fiber"))
        async with db.session() as session:
            sub = await subscribers.find(session, 7)
        assert sub is not None and subscribers.topics_of(sub) == ("stress",)
        # Many taps at once, from both connections, several rounds: none is lost.
        three = ("fiber", "fermented", "sleep")
        for _ in range(5):
            for on in (True, False):
                await asyncio.gather(
                    *(turn(db if i % 2 else other, topic, on) for i, topic in enumerate(three))
                )
                async with db.session() as session:
                    sub = await subscribers.find(session, 7)
                want = ("fiber", "fermented", "sleep", "stress") if on else ("stress",)
                assert sub is not None and sorted(subscribers.topics_of(sub)) == sorted(want)
    finally:
        await other.close()
