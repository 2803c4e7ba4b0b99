"""'Reset the sandbox' empties the bot's database on both dialects, and the bot migrates it
afresh."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from bot.cli.sandbox import empty_database
from bot.config import load_settings
from bot.db import migrate
from bot.db.models import Subscriber
from tests.conftest import TIPS_DIR, DbTarget


async def test_empty_database_drops_every_table_and_a_migration_brings_them_back(
    db_target: DbTarget,
) -> None:
    settings = load_settings(
        database_url=db_target.url, database_schema=db_target.schema, tips_dir=TIPS_DIR
    )
    db = settings.open_database()
    try:
        await migrate.upgrade(db)
        now = dt.datetime.now(dt.UTC)
        async with db.session() as session, session.begin():
            session.add(
                Subscriber(
                    chat_id=1,
                    user_id=1,
                    language="en",
                    timezone="Asia/Kuala_Lumpur",
                    send_time=dt.time(8),
                    created_at=now,
                    updated_at=now,
                )
            )
    finally:
        await db.close()

    await empty_database(settings)

    db = settings.open_database()
    try:
        assert await migrate.current_revision(db) is None
        await migrate.upgrade(db)
        async with db.session() as session:
            assert await session.scalar(select(func.count()).select_from(Subscriber)) == 0
    finally:
        await db.close()
