"""Scale of the delivery tick: 1,000,000 subscribers, 1,000 of them due, SQLite and PostgreSQL.

Run: .venv/bin/python bench/tick_scale.py [--runs 15] [--backends sqlite postgres]
     [--postgres postgresql://postgres@127.0.0.1:5432] [--rebuild] [--drop]

The data is built once and kept: SQLite in ``bench/.data/`` (git-ignored), PostgreSQL in the
database ``gutskin_bench_tick_1000000``; ``--rebuild`` builds again, ``--drop`` removes both
after the run. The schema comes from ``bot.db.migrate.upgrade``; rows are bulk-loaded
(SQLite executemany with ``synchronous=OFF``, PostgreSQL COPY, then VACUUM ANALYZE).

The population: 1,000,000 subscribers (80% active, 5% paused, half of them until a date,
the rest unsubscribed, blocked or new); 85% in Kuala Lumpur, the rest in six other zones;
40% at the default 08:00, the others over the day with morning and evening peaks; their
``next_due_at`` is their next send time after NOW (Monday 08:30 in Kuala Lumpur). 1,000
active subscribers picked at random are due exactly at NOW, with 30 days of ledger history
each (tips chosen by the real chooser); every other active subscriber has yesterday's row.
The tick runs at NOW + 5 s.

Measured on each backend, median of ``--runs`` (the database is put back between runs):

- the planning query alone (the engine's statement, until its ORM objects are built;
  FOR UPDATE SKIP LOCKED on PostgreSQL), with 1,000 due and at the next 08:00 peak;
- ``DeliveryEngine._claim_due`` for the 1,000 due, with each statement's driver time;
- the tick's housekeeping (pauses that ended, stale "sending" rows);
- a whole ``tick()`` with a sender that answers at once (the database work of one tick).

All of it runs the engine as it is in ``bot/`` (the fixes this benchmark once prototyped,
``ProposedEngine``, are in the engine now; see bench/README.md).

The plans of the planning, history and housekeeping statements are printed (EXPLAIN QUERY
PLAN on SQLite, EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL, rolled back), then the tables.
This file is longer than our usual modules: the data generator, the loaders and the timed
steps belong together and are not used anywhere else.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import re
import sqlite3
import statistics
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import column, delete, event, func, select, table, text, update

from bot.content.catalog import Catalogs
from bot.content.library import Library
from bot.content.loader import Content, load_content
from bot.content.models import CORE_TOPICS, Concern
from bot.db import migrate
from bot.db.engine import Database
from bot.db.models import Delivery, Subscriber, SubscriberStatus, TickRun
from bot.delivery.engine import (
    DeliveryEngine,
    EngineConfig,
    TickReport,
    static_library,
)
from bot.outbound.outcome import OnStart, SendOutcome, SendResult
from bot.schedule.choose import Skip, choose_tip, parse_concern, parse_topics
from bot.schedule.due import due_on, local_date, next_due, zone

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
PG_PREFIX = "gutskin_bench_tick_"  # + the number of subscribers
NOW = dt.datetime(2026, 11, 23, 0, 30, tzinfo=dt.UTC)  # Monday 08:30 in Kuala Lumpur
TICK_AT = NOW + dt.timedelta(seconds=5)
BATCH = 1000
SEED = 20261123
FORMAT = 1  # bump when the generated data changes
ZONES = {
    "Asia/Kuala_Lumpur": 85,
    "Asia/Singapore": 5,
    "Asia/Jakarta": 3,
    "Europe/London": 2,
    "Australia/Sydney": 2,
    "America/New_York": 2,
    "Asia/Kathmandu": 1,
}
# Share of send times in each local hour (besides the 40% at the default 08:00).
HOURS = [1, 1, 1, 1, 1, 2, 8, 14, 12, 8, 4, 3, 5, 3, 2, 2, 3, 4, 6, 10, 14, 12, 6, 2]
STATUSES = {"active": 80, "paused": 5, "unsubscribed": 8, "blocked": 5, "new": 2}
SOURCES = [None, None, None, "ig", "fb", "clinic-qr", "tiktok"]
SUBSCRIBER_COLUMNS = [
    *("id", "chat_id", "user_id", "language", "timezone", "send_time", "status", "source"),
    *("consented_at", "paused_until", "topics", "concern", "next_due_at"),
    *("created_at", "updated_at"),
]
DELIVERY_COLUMNS = [
    *("id", "subscriber_id", "local_date", "due_at", "tip_id", "status", "attempts"),
    *("claimed_by", "lease_until", "sent_at", "message_id", "error", "feedback"),
    *("created_at", "updated_at"),
]
Row = tuple[Any, ...]


@dataclass(frozen=True)
class Spec:
    """What to build."""

    subscribers: int = 1_000_000
    due: int = 1_000
    history_days: int = 30

    @property
    def key(self) -> str:
        """Identifies the built data; a database holding another key is rebuilt."""
        return f"format={FORMAT} n={self.subscribers} due={self.due} days={self.history_days}"


# -- the population -------------------------------------------------------------------------


@dataclass
class Population:
    """Generates the rows deterministically, in batches; subscribers first, then the ledger."""

    spec: Spec
    library: Library
    due_ids: list[int] = field(default_factory=list)
    _due: list[tuple[int, str, dt.time, str | None, str | None]] = field(default_factory=list)
    _others: list[tuple[int, str, dt.datetime]] = field(default_factory=list)

    def subscribers(self, size: int = 50_000) -> Iterator[list[Row]]:
        """Batches of subscriber rows in SUBSCRIBER_COLUMNS order."""
        rng = random.Random(SEED)
        n = self.spec.subscribers
        self.due_ids = sorted(rng.sample(range(1, n + 1), self.spec.due))
        due = set(self.due_ids)
        zones, zone_w = list(ZONES), list(ZONES.values())
        statuses, status_w = list(STATUSES), list(STATUSES.values())
        next_at: dict[tuple[dt.time, str], dt.datetime] = {}
        batch: list[Row] = []
        for i in range(1, n + 1):
            tz = rng.choices(zones, zone_w)[0]
            status = "active" if i in due else rng.choices(statuses, status_w)[0]
            if i in due:
                send_time = NOW.astimezone(zone(tz)).time()
            elif rng.random() < 0.4:
                send_time = dt.time(8, 0)
            else:
                hour = rng.choices(range(24), HOURS)[0]
                send_time = dt.time(hour, rng.randrange(0, 60, 5))
            topics = None
            if rng.random() < 0.2:
                topics = ",".join(t.value for t in rng.sample(CORE_TOPICS, rng.randint(1, 3)))
            concern = rng.choice(list(Concern)).value if rng.random() < 0.5 else None
            created = NOW - dt.timedelta(days=rng.randint(1, 400), seconds=rng.randint(0, 86399))
            paused_until = None
            if i in due:
                next_due_at: dt.datetime | None = due_on(local_date(NOW, tz), send_time, tz)
                assert next_due_at == NOW
                self._due.append((i, tz, send_time, topics, concern))
            elif status == "active":
                next_due_at = next_at.get((send_time, tz))
                if next_due_at is None:
                    next_due_at = next_at[send_time, tz] = next_due(send_time, tz, NOW)
                self._others.append((i, tz, next_due_at))
            elif status == "paused" and rng.random() < 0.5:
                paused_until = NOW + dt.timedelta(days=rng.randint(1, 14), hours=rng.randint(0, 23))
                next_due_at = next_due(send_time, tz, paused_until)
            else:
                next_due_at = None
            batch.append(
                (
                    i,
                    10_000_000 + i,
                    10_000_000 + i,
                    "en" if rng.random() < 0.7 else "ms",
                    tz,
                    send_time,
                    status,
                    rng.choice(SOURCES),
                    None if status == "new" else created,
                    paused_until,
                    topics,
                    concern,
                    next_due_at,
                    created,
                    created,
                )
            )
            if len(batch) == size:
                yield batch
                batch = []
        if batch:
            yield batch

    def deliveries(self, size: int = 50_000) -> Iterator[list[Row]]:
        """Batches of ledger rows: the due ones' history day by day, then everyone's yesterday."""
        rng = random.Random(SEED + 1)
        tips = self.library.tips
        seen: dict[int, dict[str, dt.date]] = defaultdict(dict)
        ident = 0
        batch: list[Row] = []
        for back in range(self.spec.history_days, 0, -1):
            for sub_id, tz, send_time, topics, concern in self._due:
                day = local_date(NOW, tz) - dt.timedelta(days=back)
                due_at = due_on(day, send_time, tz)
                roll = rng.random()
                tip_id = status = None
                if roll < 0.03:
                    status = "missed"
                elif roll < 0.05:
                    status = "skipped"
                else:
                    chosen = choose_tip(
                        self.library,
                        day,
                        topics=parse_topics(topics),
                        concern=parse_concern(concern),
                        seen=seen[sub_id],
                    )
                    assert not isinstance(chosen, Skip)
                    tip_id, status = chosen.id, "sent"
                    seen[sub_id][tip_id] = day
                ident += 1
                batch.append(_delivery(ident, sub_id, day, due_at, tip_id, status, rng))
                if len(batch) == size:
                    yield batch
                    batch = []
        dates: dict[tuple[dt.datetime, str], tuple[dt.datetime, dt.date]] = {}
        for sub_id, tz, next_due_at in self._others:
            found = dates.get((next_due_at, tz))
            if found is None:
                yesterday = next_due_at - dt.timedelta(days=1)
                found = dates[next_due_at, tz] = (yesterday, local_date(yesterday, tz))
            tip = tips[sub_id % len(tips)]
            ident += 1
            batch.append(_delivery(ident, sub_id, found[1], found[0], tip.id, "sent", rng))
            if len(batch) == size:
                yield batch
                batch = []
        if batch:
            yield batch


def _delivery(
    ident: int,
    sub_id: int,
    day: dt.date,
    due_at: dt.datetime,
    tip_id: str | None,
    status: str,
    rng: random.Random,
) -> Row:
    sent = status == "sent"
    done = due_at + dt.timedelta(seconds=rng.randint(1, 120))
    feedback = None
    if sent and rng.random() < 0.05:
        feedback = "helpful" if rng.random() < 0.8 else "not_helpful"
    return (
        ident,
        sub_id,
        day,
        due_at,
        tip_id,
        status,
        1 if sent else 0,
        "main#0a1b2c3d:4e5f6a7b",
        due_at + dt.timedelta(minutes=5),
        done if sent else None,
        ident if sent else None,
        "deliveries paused" if status == "skipped" else None,
        feedback,
        due_at,
        done,
    )


# -- building the databases ----------------------------------------------------------------


def _lite(value: Any) -> Any:
    """A value as SQLAlchemy stores it in SQLite (naive UTC text with microseconds)."""
    if isinstance(value, dt.datetime):
        assert value.utcoffset() == dt.timedelta(0)
        return f"{value:%Y-%m-%d %H:%M:%S}.{value.microsecond:06d}"
    if isinstance(value, dt.time):
        return f"{value:%H:%M:%S}.{value.microsecond:06d}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _insert(table: str, columns: list[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def load_sqlite(path: Path, population: Population) -> None:
    """Bulk-load the migrated, empty SQLite file at ``path``."""
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA synchronous=OFF")
        con.execute("PRAGMA cache_size=-262144")
        con.execute("BEGIN")
        for batch in population.subscribers():
            rows = [tuple(_lite(v) for v in row) for row in batch]
            con.executemany(_insert("subscribers", SUBSCRIBER_COLUMNS), rows)
        for batch in population.deliveries():
            rows = [tuple(_lite(v) for v in row) for row in batch]
            con.executemany(_insert("deliveries", DELIVERY_COLUMNS), rows)
        _write_meta_sqlite(con, population)
        con.execute("COMMIT")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()


def _write_meta_sqlite(con: sqlite3.Connection, population: Population) -> None:
    con.execute("CREATE TABLE bench_due (subscriber_id INTEGER PRIMARY KEY)")
    con.executemany("INSERT INTO bench_due VALUES (?)", [(i,) for i in population.due_ids])
    con.execute("CREATE TABLE bench_meta (key TEXT NOT NULL)")
    con.execute("INSERT INTO bench_meta VALUES (?)", (population.spec.key,))


async def load_postgres(dsn: str, population: Population) -> None:
    """Bulk-load the migrated, empty PostgreSQL database with COPY, then VACUUM ANALYZE."""
    con = await asyncpg.connect(dsn)
    try:
        async with con.transaction():
            for batch in population.subscribers():
                await con.copy_records_to_table(
                    "subscribers", records=batch, columns=SUBSCRIBER_COLUMNS
                )
            for batch in population.deliveries():
                await con.copy_records_to_table(
                    "deliveries", records=batch, columns=DELIVERY_COLUMNS
                )
            for table in ("subscribers", "deliveries"):
                await con.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
                )
            await con.execute("CREATE TABLE bench_due (subscriber_id integer PRIMARY KEY)")
            await con.copy_records_to_table("bench_due", records=[(i,) for i in population.due_ids])
            await con.execute("CREATE TABLE bench_meta (key text NOT NULL)")
            await con.execute("INSERT INTO bench_meta VALUES ($1)", population.spec.key)
        await con.execute("VACUUM ANALYZE")
    finally:
        await con.close()


def remove_sqlite(path: Path) -> None:
    """Delete a SQLite database file and its WAL files."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


async def _built_key(db: Database) -> str | None:
    async with db.engine.connect() as conn:
        try:
            return (await conn.execute(text("SELECT key FROM bench_meta"))).scalar()
        except Exception:
            return None


async def ensure_sqlite(spec: Spec, library: Library, rebuild: bool) -> str:
    """Return the URL of the built SQLite database, building it if needed."""
    path = DATA / f"tick_scale_{spec.subscribers}.db"
    url = f"sqlite+aiosqlite:///{path}"
    if path.exists() and not rebuild:
        db = Database(url)
        try:
            if await _built_key(db) == spec.key:
                await migrate.upgrade(db)
                return url
        finally:
            await db.close()
    building = path.with_suffix(".building")
    remove_sqlite(path)
    remove_sqlite(building)
    db = Database(f"sqlite+aiosqlite:///{building}")
    await migrate.upgrade(db)
    await db.close()
    started = time.perf_counter()
    await asyncio.to_thread(load_sqlite, building, Population(spec, library))
    building.rename(path)
    print(f"built {path.name} in {time.perf_counter() - started:.0f} s", flush=True)
    return url


async def ensure_postgres(spec: Spec, library: Library, server: str, rebuild: bool) -> str:
    """Return the URL of the built PostgreSQL database, building it if needed."""
    name = f"{PG_PREFIX}{spec.subscribers}"
    url = f"postgresql+asyncpg://{server.split('://', 1)[1]}/{name}"
    admin = await asyncpg.connect(f"{server}/postgres")
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists and not rebuild:
            db = Database(url)
            try:
                if await _built_key(db) == spec.key:
                    await migrate.upgrade(db)
                    return url
            finally:
                await db.close()
        await admin.execute(f"DROP DATABASE IF EXISTS {name}")
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    db = Database(url)
    await migrate.upgrade(db)
    await db.close()
    started = time.perf_counter()
    await load_postgres(f"{server}/{name}", Population(spec, library))
    print(f"built {name} in {time.perf_counter() - started:.0f} s", flush=True)
    return url


async def drop_postgres(server: str, spec: Spec) -> None:
    """Remove the benchmark's PostgreSQL database."""
    admin = await asyncpg.connect(f"{server}/postgres")
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {PG_PREFIX}{spec.subscribers}")
    finally:
        await admin.close()


# -- measuring -----------------------------------------------------------------------------


class FixedClock:
    """The tick's clock: always TICK_AT."""

    def now(self) -> dt.datetime:
        """Return TICK_AT."""
        return TICK_AT


class InstantSender:
    """A MessageSender that answers at once, so a tick measures only its database work."""

    def __init__(self) -> None:
        self.sent = 0

    async def send(
        self,
        chat_id: int,
        method: str,
        params: Mapping[str, Any],
        *,
        on_start: OnStart | None = None,
        bulk: bool = True,
    ) -> SendResult:
        """Mark the row as sending, then report it sent."""
        if on_start is not None:
            await on_start()
        self.sent += 1
        return SendResult(SendOutcome.SENT, message_id=self.sent)


class Statements:
    """Driver time of every statement, by kind, while ``capture`` is on."""

    def __init__(self, db: Database) -> None:
        self.times: dict[str, float] = defaultdict(float)
        self.seen: dict[str, tuple[str, Any]] = {}
        self.capture = False
        engine = db.engine.sync_engine
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, _cursor: Any, statement: str, params: Any, *_a: Any) -> None:
        conn.info["bench_t0"] = time.perf_counter()

    def _after(self, conn: Any, _cursor: Any, statement: str, params: Any, *_a: Any) -> None:
        if self.capture:
            kind = _kind(statement)
            self.times[kind] += time.perf_counter() - conn.info["bench_t0"]
            self.seen.setdefault(kind, (statement, params))

    def reset(self) -> None:
        """Forget the times (keep the statements seen)."""
        self.times = defaultdict(float)


def _kind(statement: str) -> str:
    flat = " ".join(statement.split())
    for pattern, name in (
        ("SELECT subscribers.id", "plan: due subscribers"),
        ("SELECT deliveries.subscriber_id, deliveries.tip_id, deliveries.local_date", "history"),
        ("INSERT INTO deliveries", "insert ledger rows"),
        ("UPDATE subscribers SET next_due_at", "move next_due_at"),
        ("SELECT deliveries.id, deliveries.subscriber_id, deliveries.tip_id", "claimed rows"),
        ("UPDATE subscribers SET status", "housekeeping: pauses ended"),
        ("UPDATE deliveries SET status", "housekeeping: stale sending"),
    ):
        if flat.startswith(pattern):
            return name
    return flat[:40]


@dataclass
class Backend:
    """One database under test, with what the engines need and the statement timer."""

    name: str
    db: Database
    catalogs: Catalogs
    library: Library
    statements: Statements

    @property
    def is_sqlite(self) -> bool:
        """SQLite or PostgreSQL."""
        return self.db.is_sqlite

    def engine(self) -> DeliveryEngine:
        """A fresh engine as the app builds it at 50 messages/s and more, instant sender."""
        return DeliveryEngine(
            self.db,
            self.catalogs,
            InstantSender(),
            FixedClock(),
            static_library(self.library),
            EngineConfig(batch=BATCH),
        )


async def restore(b: Backend) -> None:
    """Put the database back as built: the due rows due again, no rows from earlier runs."""
    due = select(column("subscriber_id")).select_from(table("bench_due"))
    async with b.db.engine.begin() as conn:
        await conn.execute(delete(Delivery).where(Delivery.created_at >= NOW))
        await conn.execute(delete(TickRun).where(TickRun.started_at >= NOW))
        await conn.execute(
            update(Subscriber)
            .where(Subscriber.id.in_(due))
            .values(next_due_at=NOW, status=SubscriberStatus.ACTIVE)
        )
    if not b.is_sqlite:
        # Leave no dead row versions of earlier runs in the next_due_at index.
        async with b.db.engine.connect() as conn:
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await auto.execute(text("VACUUM subscribers, deliveries"))


def planning_query(b: Backend, now: dt.datetime = TICK_AT) -> Any:
    """The engine's planning statement, as _claim_due builds it."""
    query = (
        select(Subscriber)
        .where(Subscriber.next_due_at <= now)
        .order_by(Subscriber.next_due_at)
        .limit(BATCH)
    )
    return query if b.is_sqlite else query.with_for_update(skip_locked=True)


async def time_planning(b: Backend, now: dt.datetime = TICK_AT) -> float:
    """Run the planning query once (and roll back its locks); return ms."""
    async with b.db.session() as session:
        started = time.perf_counter()
        due = list(await session.scalars(planning_query(b, now)))
        elapsed = (time.perf_counter() - started) * 1000
        await session.rollback()
    assert len(due) == BATCH, len(due)
    return elapsed


async def time_claim(b: Backend) -> tuple[float, dict[str, float]]:
    """Claim the 1,000 due once; return ms and each statement's driver ms."""
    await restore(b)
    engine = b.engine()
    b.statements.reset()
    b.statements.capture = True
    started = time.perf_counter()
    jobs = await engine._claim_due(TICK_AT, b.library, TickReport())
    elapsed = (time.perf_counter() - started) * 1000
    b.statements.capture = False
    assert len(jobs) == BATCH, len(jobs)
    return elapsed, {k: v * 1000 for k, v in b.statements.times.items()}


async def time_housekeeping(b: Backend) -> float:
    """Run the tick's housekeeping once; return ms."""
    engine = b.engine()
    b.statements.capture = True
    started = time.perf_counter()
    await engine._housekeeping(TICK_AT, TickReport())
    b.statements.capture = False
    return (time.perf_counter() - started) * 1000


async def time_tick(b: Backend) -> float:
    """Run a whole tick on a fresh engine; return ms."""
    await restore(b)
    engine = b.engine()
    started = time.perf_counter()
    report = await engine.tick()
    elapsed = (time.perf_counter() - started) * 1000
    assert report.counts["sent"] == BATCH, report
    return elapsed


# -- plans ---------------------------------------------------------------------------------


async def explain(b: Backend, statement: str, params: Any) -> list[str]:
    """The plan of a captured statement (EXPLAIN ANALYZE on PostgreSQL, rolled back)."""
    prefix = "EXPLAIN QUERY PLAN " if b.is_sqlite else "EXPLAIN (ANALYZE, BUFFERS) "
    async with b.db.engine.connect() as conn:
        result = await conn.exec_driver_sql(prefix + statement, params)
        rows = result.fetchall()
        await conn.rollback()
    if not b.is_sqlite:
        return [re.sub(r"'\{[^}]{60,}\}'", "'{...}'", r[0]) for r in rows]
    depth: dict[int, int] = {0: 0}
    lines = []
    for ident, parent, _unused, detail in rows:
        depth[ident] = depth.get(parent, 0) + 1
        lines.append("  " * (depth[ident] - 1) + detail)
    return lines


def short_sql(statement: str) -> str:
    """The statement on one line, long IN lists and column lists shortened."""
    flat = " ".join(statement.split())
    flat = re.sub(r"IN \((?:[^()]*?, ){8,}[^()]*\)", "IN (...)", flat)
    return re.sub(r"SELECT subscribers\.id, .*? FROM", "SELECT subscribers.* FROM", flat)


async def print_plan(b: Backend, kind: str) -> None:
    """Print a captured statement and its plan."""
    statement, params = b.statements.seen[kind]
    print(f"{kind}:\n\n    {short_sql(statement)}\n")
    for line in await explain(b, statement, params):
        print(f"    {line}")
    print(flush=True)


# -- the run -------------------------------------------------------------------------------


PEAK_AT = dt.datetime(2026, 11, 24, 0, 0, 5, tzinfo=dt.UTC)  # 08:00:05 the next day in KL


@dataclass
class Timings:
    """Every measured step on one backend (ms per run)."""

    first_planning: float = 0.0
    planning: list[float] = field(default_factory=list)
    peak_due: int = 0
    peak_planning: list[float] = field(default_factory=list)
    claim: list[float] = field(default_factory=list)
    statements: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    housekeeping: list[float] = field(default_factory=list)
    tick: list[float] = field(default_factory=list)


async def measure(name: str, url: str, content: Content, runs: int) -> Timings:
    """Time every step on one database and print the plans."""
    db = Database(url)
    library = Library(content.tips, content.program)
    b = Backend(name, db, content.catalogs, library, Statements(db))
    t = Timings()
    try:
        await restore(b)
        t.first_planning = await time_planning(b)
        await time_claim(b)  # warm-up; captures the statements to explain
        await time_housekeeping(b)
        await restore(b)
        print(f"\n### {name}: plans\n", flush=True)
        for kind in ("plan: due subscribers", "history", "claimed rows"):
            await print_plan(b, kind)
        for _ in range(runs):
            t.planning.append(await time_planning(b))
        await peak(b, t, runs)
        for _ in range(runs):
            elapsed, parts = await time_claim(b)
            t.claim.append(elapsed)
            for kind, ms in parts.items():
                t.statements[kind].append(ms)
        await restore(b)
        for _ in range(runs):
            t.housekeeping.append(await time_housekeeping(b))
        await print_plan(b, "housekeeping: pauses ended")
        for _ in range(max(3, runs // 3)):
            t.tick.append(await time_tick(b))
        await restore(b)
    finally:
        await db.close()
    return t


async def peak(b: Backend, t: Timings, runs: int) -> None:
    """The planning query at 08:00 the next day, when most of the population is due."""
    async with b.db.session() as session:
        count = select(func.count()).where(Subscriber.next_due_at <= PEAK_AT)
        t.peak_due = (await session.execute(count)).scalar_one()
    for _ in range(runs):
        t.peak_planning.append(await time_planning(b, PEAK_AT))
    usual = b.statements.seen.pop("plan: due subscribers")
    b.statements.capture = True
    await time_planning(b, PEAK_AT)
    b.statements.capture = False
    b.statements.seen["plan at the peak"] = b.statements.seen.pop("plan: due subscribers")
    b.statements.seen["plan: due subscribers"] = usual
    print(f"The planning query at the 08:00 peak ({t.peak_due:,} due):\n")
    await print_plan(b, "plan at the peak")


def print_timings(name: str, t: Timings) -> None:
    """Print one backend's medians as a Markdown table."""
    print(f"\n### {name}: milliseconds, load {os.getloadavg()[0]:.2f}\n")
    print("| step | median | min | max | runs |")
    print("| --- | --- | --- | --- | --- |")

    def row(label: str, values: list[float]) -> None:
        if values:
            med, lo, hi = statistics.median(values), min(values), max(values)
            print(f"| {label} | {med:.1f} | {lo:.1f} | {hi:.1f} | {len(values)} |")

    print(f"| planning query, first in a fresh process | {t.first_planning:.1f} | | | 1 |")
    row("planning query, 1,000 due (ORM objects)", t.planning)
    row(f"planning query at the 08:00 peak, {t.peak_due:,} due", t.peak_planning)
    row("claim step", t.claim)
    for kind, values in t.statements.items():
        row(f"- {kind} (driver)", values)
    row("housekeeping", t.housekeeping)
    row("whole tick (instant sender)", t.tick)
    print(flush=True)


async def run(args: argparse.Namespace) -> None:
    """Build what is missing, then measure each backend."""
    content = load_content(ROOT / "tips")
    library = Library(content.tips, content.program)
    spec = Spec(subscribers=args.subscribers)
    print(f"load before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    results: list[tuple[str, Timings]] = []
    for backend in args.backends:
        started = time.perf_counter()
        if backend == "sqlite":
            url = await ensure_sqlite(spec, library, args.rebuild)
        else:
            url = await ensure_postgres(spec, library, args.postgres, args.rebuild)
        results.append((backend, await measure(backend, url, content, args.runs)))
        print(f"{backend}: {time.perf_counter() - started:.0f} s in all", flush=True)
    for name, timings in results:
        print_timings(name, timings)
    print(f"load after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.drop:
        remove_sqlite(DATA / f"tick_scale_{spec.subscribers}.db")
        if "postgres" in args.backends:
            await drop_postgres(args.postgres, spec)


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--backends", nargs="+", choices=["sqlite", "postgres"])
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--drop", action="store_true", help="remove the databases after")
    args = parser.parse_args()
    args.backends = args.backends or ["sqlite", "postgres"]
    DATA.mkdir(parents=True, exist_ok=True)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
