"""`gutskin-bot db copy`: every row of every table arrives, ids and sequences included.

The source is an SQLite file; the target is PostgreSQL (a fresh schema) or another SQLite
file. Rows are generated for every table in `Base.metadata` from its columns, so a table
added later is covered without touching this test: values at the edges (Unicode, long text,
negative 64-bit chat ids, instants with microseconds given in other zones, NULLs), foreign
keys pointing at real parents, CHECK constraints' allowed values, unique keys kept unique.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    Integer,
    String,
    Table,
    Text,
    Time,
    insert,
    select,
    text,
)

from bot.cli.commands import main
from bot.db import migrate
from bot.db.base import Base, UTCDateTime
from bot.db.copy import CopyError, backup_sqlite, copy_database
from bot.db.engine import Database
from bot.db.models import Subscriber
from tests.conftest import DbTarget

pytestmark = pytest.mark.dialect

ROWS = 30  # rows per table; subscribers get more, to span several batches
SUBSCRIBERS = 1_234
BATCH = 100
NEPAL = dt.timezone(dt.timedelta(hours=5, minutes=45))
WORDS = "Makan tempe & kimchi 🥬 ‘setiap’ hari — «probiotik» \"quoted\" 'single' back\\slash"


def _allowed(table: Table) -> dict[str, list[str]]:
    """Column -> values its CHECK constraint allows (`col IN ('a', 'b')`)."""
    allowed: dict[str, list[str]] = {}
    for constraint in table.constraints:
        if isinstance(constraint, CheckConstraint):
            found = re.fullmatch(r"\s*(\w+) IN \((.*)\)\s*", str(constraint.sqltext), re.S)
            assert found, f"{table.name}: teach this test the check {constraint.sqltext}"
            allowed[found.group(1)] = re.findall(r"'([^']*)'", found.group(2))
    return allowed


def _value(column: Column[Any], i: int, allowed: dict[str, list[str]]) -> Any:
    """A realistic, edge-leaning value for row i of this column."""
    kind = column.type
    if column.name in allowed:
        return allowed[column.name][i % len(allowed[column.name])]
    if column.nullable and i % 4 == 3:
        return None
    if isinstance(kind, BigInteger):
        # Group chats have negative ids; user ids reach past 2**32.
        return -1_000_000_000_000 - i if i % 2 else 5_000_000_000 + i
    if isinstance(kind, Integer):
        return i * 7
    if isinstance(kind, UTCDateTime):
        return dt.datetime(2026, 3, 29, 1, 30, 15, 123456 + i, tzinfo=NEPAL) + dt.timedelta(hours=i)
    if isinstance(kind, Date):
        return dt.date(2026, 1, 1) + dt.timedelta(days=i)
    if isinstance(kind, Time):
        return dt.time(i % 24, (i * 7) % 60, i % 60)
    if isinstance(kind, Text):
        return f'{{"row": {i}, "text": "{WORDS}"}}\n' + "Serat 🌾 baik untuk kulit. " * 80
    if isinstance(kind, String):
        return f"{i}:{WORDS}"[: kind.length or 200]
    raise AssertionError(f"{column.table.name}.{column.name}: no generator for {kind!r}")


def _rows(table: Table, count: int, parents: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Rows for a table: keys unique, foreign keys pointing at real parent rows."""
    allowed = _allowed(table)
    rows = []
    fk_columns = [c for c in table.columns if c.foreign_keys]
    for i in range(count):
        row: dict[str, Any] = {}
        stride = 1
        for column in table.columns:
            if column.foreign_keys:
                (fk,) = column.foreign_keys
                ids = parents[fk.column.table.name]
                # Combinations of parents stay unique (e.g. one row per broadcast and person).
                row[column.key] = ids[(i // stride) % len(ids)]
                stride *= len(ids) if len(fk_columns) > 1 else 1
            elif column.primary_key and isinstance(column.type, Integer):
                row[column.key] = 1 + i * 3  # gaps, as after deletions
            elif column.primary_key or _is_unique(table, column):
                value = _value(column, i, {})
                row[column.key] = f"{table.name}-{i}" if isinstance(value, str) else value
            else:
                row[column.key] = _value(column, i, allowed)
        rows.append(row)
    return rows


def _is_unique(table: Table, column: Column[Any]) -> bool:
    return any(
        [c.name for c in getattr(u, "columns", [])] == [column.name]
        for u in table.constraints
        if type(u).__name__ == "UniqueConstraint"
    )


async def seed_every_table(db: Database) -> None:
    """Fill every table the code knows, parents first."""
    await migrate.upgrade(db)
    parents: dict[str, list[Any]] = {}
    async with db.engine.begin() as conn:
        for table in Base.metadata.sorted_tables:
            count = SUBSCRIBERS if table.name == "subscribers" else ROWS
            rows = _rows(table, count, parents)
            await conn.execute(insert(table), rows)
            (pk,) = table.primary_key.columns
            parents[table.name] = [r[pk.key] for r in rows]


async def every_row(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """All rows of all tables, in primary-key order."""
    found = {}
    async with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            query = select(table).order_by(*table.primary_key.columns)
            found[table.name] = [tuple(row) for row in await conn.execute(query)]
    return found


@pytest.fixture
async def source(tmp_path: Path) -> AsyncIterator[Database]:
    """An SQLite database with rows in every table, closed afterwards.

    Closed here, not in the tests: when the PostgreSQL half is skipped, this fixture has
    already run, and an unclosed engine fails a later test with a ResourceWarning.
    """
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'source.db'}")
    try:
        await seed_every_table(db)
        yield db
    finally:
        await db.close()


async def test_copy_preserves_every_row_of_every_table(
    source: Database, db_target: DbTarget
) -> None:
    target = db_target.open()
    progress: list[tuple[str, int]] = []
    try:
        counts = await copy_database(
            source, target, batch=BATCH, progress=lambda t, n: progress.append((t, n))
        )
        assert [c.table for c in counts] == [t.name for t in Base.metadata.sorted_tables]
        assert all(c.source == c.target > 0 for c in counts)
        before, after = await every_row(source), await every_row(target)
        for table in before:
            assert after[table] == before[table], f"{table} differs"
        assert ("subscribers", SUBSCRIBERS) in progress and ("subscribers", BATCH) in progress
        # New rows get fresh ids after the copied ones (PostgreSQL's sequences were moved on).
        async with target.session() as session, session.begin():
            (row,) = _rows(Base.metadata.tables["subscribers"], 1, {})
            del row["id"]
            row.update(chat_id=1, user_id=1)
            new_id = (await session.execute(insert(Subscriber).values(row))).inserted_primary_key
        assert new_id is not None and new_id[0] > max(r[0] for r in before["subscribers"])
    finally:
        await target.close()


async def test_a_target_with_rows_is_refused_unless_forced(
    source: Database, db_target: DbTarget
) -> None:
    target = db_target.open()
    try:
        await copy_database(source, target, batch=BATCH)
        with pytest.raises(CopyError, match=r"the target is not empty: .*subscribers \(1234\)"):
            await copy_database(source, target)
        # A row only the target has is gone after a forced copy: the target becomes the source.
        async with target.engine.begin() as conn:
            await conn.execute(text("DELETE FROM deliveries"))
        await copy_database(source, target, force=True, batch=BATCH)
        assert await every_row(target) == await every_row(source)
    finally:
        await target.close()


async def test_a_source_behind_the_code_is_refused(tmp_path: Path, db_target: DbTarget) -> None:
    old = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    target = db_target.open()
    try:
        with pytest.raises(CopyError, match="no schema"):
            await copy_database(old, target)
        await migrate.upgrade(old, _first_revision())
        with pytest.raises(CopyError, match="run `gutskin-bot db upgrade` against the source"):
            await copy_database(old, target)
    finally:
        await old.close()
        await target.close()


def _first_revision() -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config())
    (base,) = script.get_bases()
    return str(base)


def _run_cli(*args: str) -> int:
    return main(["db", "copy", *args])


def test_the_command_prints_verified_counts(
    tmp_path: Path, db_target: DbTarget, capsys: pytest.CaptureFixture[str]
) -> None:
    source_file = tmp_path / "bot.db"

    async def seed() -> None:
        db = Database(f"sqlite+aiosqlite:///{source_file}")
        try:
            await seed_every_table(db)
        finally:
            await db.close()

    asyncio.run(seed())
    to = ["--to", db_target.url] + (["--to-schema", db_target.schema] if db_target.schema else [])
    if db_target.schema is None:
        to = ["--to", f"sqlite+aiosqlite:///{tmp_path / 'copy.db'}"]
    assert _run_cli("--from", f"sqlite+aiosqlite:///{source_file}", *to, "--batch", "500") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("copying sqlite+aiosqlite:///")
    assert "subscribers" in "\n".join(out) and f"{SUBSCRIBERS:>9}  {SUBSCRIBERS:>9}" in "\n".join(
        out
    )
    tables = len(Base.metadata.sorted_tables)
    total = SUBSCRIBERS + ROWS * (tables - 1)
    assert out[-1] == f"OK: {total} rows in {tables} tables, counts match"
    # Again: refused, one line, nothing changed.
    assert _run_cli("--from", f"sqlite+aiosqlite:///{source_file}", *to) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "the target is not empty" in err[0] and "--force" in err[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "mysql://x/y"], "--to: not a database URL"),
        (
            ["--from", "sqlite+aiosqlite:///nowhere/none.db", "--to", "sqlite+aiosqlite:///x.db"],
            "--from: there is no SQLite database at nowhere/none.db",
        ),
    ],
)
def test_bad_urls_are_one_line(
    args: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert _run_cli(*args) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"gutskin-bot: {message}")


async def test_backup_of_a_running_sqlite_database_has_every_row(
    source: Database, tmp_path: Path
) -> None:
    try:
        # A write the bot just made sits in the WAL file, not yet in the database file.
        async with source.engine.begin() as conn:
            await conn.execute(text("UPDATE subscribers SET status = 'paused' WHERE id = 1"))
        backup = tmp_path / "backups" / "gutskin-2026-11-21.db"
        size = backup_sqlite(Path(source.url.database or ""), backup)
        assert size == backup.stat().st_size > 0
        copy = Database(f"sqlite+aiosqlite:///{backup}")
        try:
            assert await every_row(copy) == await every_row(source)
        finally:
            await copy.close()
        with pytest.raises(CopyError, match="already exists"):
            backup_sqlite(Path(source.url.database or ""), backup)
    finally:
        await source.close()


def test_the_backup_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    db_file = tmp_path / "data" / "gutskin.db"

    async def seed() -> None:
        db = Database(f"sqlite+aiosqlite:///{db_file}")
        try:
            await seed_every_table(db)
        finally:
            await db.close()

    asyncio.run(seed())
    monkeypatch.setenv("DATA_DIR", str(db_file.parent))
    assert main(["db", "backup", "nightly.db"]) == 0
    (line,) = capsys.readouterr().out.strip().splitlines()
    assert line.startswith(f"backed up {db_file} to nightly.db (") and "integrity ok" in line
    assert main(["db", "backup", "nightly.db"]) == 2
    assert "already exists" in capsys.readouterr().err
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u@127.0.0.1:1/x")
    assert main(["db", "backup", "other.db"]) == 2
    assert "pg_dump" in capsys.readouterr().err
