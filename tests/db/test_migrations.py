"""Migrations go up and down on SQLite and PostgreSQL, and SQLite runs in WAL with FKs on."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from bot.db import migrate
from bot.db.engine import Database
from tests.conftest import DbTarget

pytestmark = pytest.mark.dialect


async def _tables(db: Database) -> set[str]:
    async with db.engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


@pytest.mark.empty_database
async def test_upgrade_then_downgrade(db_target: DbTarget) -> None:
    db = db_target.open()
    try:
        assert await migrate.current_revision(db) is None
        await migrate.upgrade(db)
        assert await migrate.current_revision(db) == migrate.head_revision()
        assert {"subscribers", "questions", "booking_intents"} <= await _tables(db)
        await migrate.upgrade(db)  # a second start changes nothing
        await migrate.downgrade(db, "base")
        assert await _tables(db) == {"alembic_version"}
    finally:
        await db.close()


async def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path: object) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/x/nested/bot.db")
    try:
        async with db.engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    finally:
        await db.close()


async def test_migrations_match_the_models(db: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from bot.db.base import Base

    async with db.engine.connect() as conn:
        diff = await conn.run_sync(
            lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
        )
    assert diff == []
