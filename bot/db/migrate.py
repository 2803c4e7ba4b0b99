"""Run Alembic migrations from inside the application (no alembic.ini on disk needed).

Alembic is imported when a migration runs, not with this module: it is a third of the
command line's start-up (`gutskin-bot --help` imports this module through the commands).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, text

from bot.db.engine import Database

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# Any fixed 64-bit number; replicas starting together take turns on it.
_PG_MIGRATION_LOCK = 7_211_482_001


def alembic_config() -> Config:
    """Build the Alembic configuration that points at our migrations."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", MIGRATIONS.as_posix())
    return config


async def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema up to `revision`; safe when several replicas start at once."""
    async with db.engine.begin() as conn:
        await conn.run_sync(_run, "upgrade", revision)


async def downgrade(db: Database, revision: str) -> None:
    """Take the schema back to `revision`."""
    async with db.engine.begin() as conn:
        await conn.run_sync(_run, "downgrade", revision)


async def current_revision(db: Database) -> str | None:
    """Return the revision the database is at, or None when it is empty."""
    from alembic.runtime.migration import MigrationContext

    async with db.engine.connect() as conn:
        return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())


def head_revision() -> str | None:
    """Return the newest revision the code knows."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _run(connection: Connection, action: str, revision: str) -> None:
    from alembic import command

    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
    config = alembic_config()
    config.attributes["connection"] = connection
    if action == "upgrade":
        command.upgrade(config, revision)
    else:
        command.downgrade(config, revision)
