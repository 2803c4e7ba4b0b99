"""`gutskin-bot db copy`: move every row from one database to another (SQLite to PostgreSQL);
`gutskin-bot db backup`: an online backup of the SQLite database.

The copy:

1. The source must be at the schema revision this code knows (the bot migrates its own
   database at start; otherwise run `gutskin-bot db upgrade` against it first). It is only
   read, inside one transaction, so it is copied as of one instant.
2. The target is migrated to the same revision (under PostgreSQL's advisory lock).
3. A target holding any row is refused, unless `force`: then its rows are deleted first.
4. Tables are copied in foreign-key order (parents first), in batches, all inside one
   transaction on the target: a failure leaves the target as it was.
5. PostgreSQL sequences are moved past the copied ids, so new rows get fresh ones.
6. Every table is counted on both sides; any difference is an error.

Stop the bot while copying: rows written during the copy would not be in it.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Table, func, insert, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db import migrate
from bot.db.base import Base
from bot.db.engine import Database
from bot.db.models import Subscriber  # noqa: F401 - loads every table into Base.metadata


class CopyError(Exception):
    """The copy cannot go ahead or did not verify; the message says why, in one line."""


@dataclass(frozen=True)
class TableCount:
    """One table's rows on each side after the copy."""

    table: str
    source: int
    target: int


Progress = Callable[[str, int], None]


async def copy_database(
    source: Database,
    target: Database,
    *,
    force: bool = False,
    batch: int = 1000,
    progress: Progress | None = None,
) -> list[TableCount]:
    """Copy every table from `source` to `target`; return the verified counts.

    Args:
        force: delete the rows a non-empty target holds instead of refusing.
        batch: rows read and written at a time.
        progress: called with (table, rows copied so far) after each batch.
    """
    if batch < 1:
        raise CopyError("--batch must be at least 1")
    head = migrate.head_revision()
    revision = await migrate.current_revision(source)
    if revision is None:
        raise CopyError("the source database has no schema (nothing to copy)")
    if revision != head:
        raise CopyError(
            f"the source is at schema revision {revision}, this code at {head}: "
            "run `gutskin-bot db upgrade` against the source first (same version of the bot)"
        )
    await migrate.upgrade(target)
    tables = Base.metadata.sorted_tables
    async with source.engine.connect() as read:
        if not source.is_sqlite:
            # One snapshot for every table and the counts.
            read = await read.execution_options(isolation_level="REPEATABLE READ")
        async with read.begin():
            extra = await _unknown_tables(read)
            if extra:
                raise CopyError(
                    f"the source has tables this code does not know: {', '.join(extra)}"
                )
            async with target.engine.begin() as write:
                held = {t.name: n for t in tables if (n := await _count(write, t))}
                if held and not force:
                    listed = ", ".join(f"{name} ({n})" for name, n in held.items())
                    raise CopyError(
                        f"the target is not empty: {listed}; use --force to replace its rows"
                    )
                for table in reversed(tables):
                    await write.execute(table.delete())
                for table in tables:
                    await _copy_table(read, write, table, batch, progress)
                if not target.is_sqlite:
                    for table in tables:
                        await _reset_sequences(write, table)
            counts = [
                TableCount(t.name, await _count(read, t), await _count_in(target, t))
                for t in tables
            ]
    wrong = [c for c in counts if c.source != c.target]
    if wrong:
        listed = ", ".join(f"{c.table} {c.source} -> {c.target}" for c in wrong)
        raise CopyError(f"row counts differ after the copy: {listed}")
    return counts


async def _copy_table(
    read: AsyncConnection,
    write: AsyncConnection,
    table: Table,
    batch: int,
    progress: Progress | None,
) -> None:
    keys = [column.key for column in table.columns]
    order = list(table.primary_key.columns) or list(table.columns)
    result = await read.stream(select(table).order_by(*order).execution_options(yield_per=batch))
    done = 0
    async for rows in result.partitions(batch):
        await write.execute(insert(table), [dict(zip(keys, row, strict=True)) for row in rows])
        done += len(rows)
        if progress is not None:
            progress(table.name, done)


async def _reset_sequences(write: AsyncConnection, table: Table) -> None:
    """Make the next generated id follow the largest copied one (PostgreSQL)."""
    for column in table.primary_key.columns:
        sequence = await write.scalar(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": table.name, "column": column.name},
        )
        if sequence is None:
            continue
        largest = await write.scalar(select(func.max(column)))
        await write.execute(
            text("SELECT setval(:sequence, :next, false)"),
            {"sequence": sequence, "next": int(largest or 0) + 1},
        )


async def _count(conn: AsyncConnection, table: Table) -> int:
    return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


async def _count_in(db: Database, table: Table) -> int:
    async with db.engine.connect() as conn:
        return await _count(conn, table)


async def _unknown_tables(conn: AsyncConnection) -> list[str]:
    def names(sync_conn: Any) -> list[str]:
        return list(inspect(sync_conn).get_table_names())

    known = {t.name for t in Base.metadata.sorted_tables} | {"alembic_version"}
    return sorted(set(await conn.run_sync(names)) - known)


def backup_sqlite(source: Path, target: Path) -> int:
    """Copy a live SQLite database to a new file with SQLite's online backup; return its size.

    Safe while the bot runs (the copy is consistent, WAL included); the copy is checked with
    ``PRAGMA integrity_check``.
    """
    if not source.is_file():
        raise CopyError(f"there is no SQLite database at {source}")
    if target.exists():
        raise CopyError(f"{target} already exists; back up to a new file")
    target.parent.mkdir(parents=True, exist_ok=True)
    with (
        contextlib.closing(sqlite3.connect(source)) as live,
        contextlib.closing(sqlite3.connect(target)) as copy,
    ):
        # Page by page, so the bot's writes are not held up for the whole copy.
        live.backup(copy, pages=1024, sleep=0.005)
        (verdict,) = copy.execute("PRAGMA integrity_check").fetchone()
    if verdict != "ok":
        raise CopyError(f"the backup at {target} failed its integrity check: {verdict}")
    return target.stat().st_size
