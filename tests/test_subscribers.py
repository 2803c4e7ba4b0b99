"""Subscribing logic against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from bot import subscribers
from bot.db.engine import Database
from bot.db.models import Subscriber, SubscriberStatus

NOW = dt.datetime(2026, 11, 21, 1, 0, tzinfo=dt.UTC)
DEFAULTS = subscribers.Defaults("Asia/Kuala_Lumpur", dt.time(8, 0))


async def _start(db: Database, chat_id: int = 5, source: str | None = None) -> bool:
    async with db.session() as session:
        outcome = await subscribers.record_start(
            session,
            chat_id=chat_id,
            user_id=chat_id,
            language="ms",
            source=source,
            defaults=DEFAULTS,
            now=NOW,
        )
    return outcome.created


async def test_start_twice_stores_one_row_with_defaults(db: Database) -> None:
    assert await _start(db, source="qr-cheras") is True
    assert await _start(db, source="other") is False
    async with db.session() as session:
        rows = (await session.scalars(select(Subscriber))).all()
    assert len(rows) == 1
    (row,) = rows
    assert (row.chat_id, row.language, row.timezone, row.send_time, row.status, row.source) == (
        5,
        "ms",
        "Asia/Kuala_Lumpur",
        dt.time(8, 0),
        SubscriberStatus.NEW,
        "qr-cheras",
    )
    assert row.created_at == NOW and row.consented_at is None


@pytest.mark.parametrize(
    ("payload", "stored"),
    [("qr-pj_2026", "qr-pj_2026"), ("x" * 65, None), ("bad payload!", None), ("", None)],
)
def test_deep_link_payload_is_cleaned(payload: str, stored: str | None) -> None:
    assert subscribers.clean_source(payload) == stored


async def test_subscribe_records_consent_once(db: Database) -> None:
    await _start(db)
    later = NOW + dt.timedelta(hours=1)
    async with db.session() as session:
        await subscribers.subscribe(session, 5, NOW)
    async with db.session() as session:
        await subscribers.subscribe(session, 5, later)
    async with db.session() as session:  # a fresh session reads what was stored
        stored = await subscribers.find(session, 5)
    assert stored is not None
    assert (stored.status, stored.consented_at) == (SubscriberStatus.ACTIVE, NOW)


async def test_subscribe_unknown_chat_changes_nothing(db: Database) -> None:
    async with db.session() as session:
        assert await subscribers.subscribe(session, 999, NOW) is None
        assert await session.scalar(select(func.count()).select_from(Subscriber)) == 0


async def test_start_after_block_restores_subscription(db: Database) -> None:
    await _start(db)
    async with db.session() as session:
        sub = await subscribers.subscribe(session, 5, NOW)
        assert sub is not None
        sub.status = SubscriberStatus.BLOCKED
        await session.commit()
    await _start(db)
    async with db.session() as session:
        sub = await subscribers.find(session, 5)
        assert sub is not None and sub.status == SubscriberStatus.ACTIVE
