"""Shared fixtures: databases on SQLite and PostgreSQL, content, settings."""

from __future__ import annotations

import asyncio
import collections
import os
import shutil
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.content.loader import Content, load_content
from bot.db import migrate
from bot.db.engine import Database

ROOT = Path(__file__).resolve().parent.parent
# TEST_TIPS_DIR runs the suite against another content folder (a clinic's edited copy).
TIPS_DIR = Path(os.environ.get("TEST_TIPS_DIR", ROOT / "tips"))
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
# `gutskin-bot run` refuses the shipped content (placeholder clinics, nothing reviewed, #15);
# tests of other things that run the real command with it pass these.
SHIPPED_CONTENT_ENV = {"ALLOW_PLACEHOLDER_CLINICS": "true", "CONTENT_REVIEW": "off"}
PG_SKIP_REASON = (
    "PostgreSQL tests skipped: set TEST_DATABASE_URL="
    "postgresql+asyncpg://postgres@127.0.0.1:5432/test to run them (.ci/run does)"
)


def pytest_report_header() -> str:
    """Say up front whether the PostgreSQL half of the suite runs."""
    return f"PostgreSQL tests: {'on ' + PG_URL if PG_URL else 'SKIPPED (no TEST_DATABASE_URL)'}"


def _sqlite_workers() -> set[threading.Thread]:
    """The worker threads of open aiosqlite connections (one each until it is closed)."""
    return {t for t in threading.enumerate() if "_connection_worker_thread" in t.name}


@pytest.fixture(autouse=True)
def _no_leaked_sqlite_connections() -> Iterator[None]:
    """Fail the test that leaves an SQLite connection open, not a later one.

    An unclosed aiosqlite connection warns only when it is garbage-collected, which makes
    whichever test runs then fail; its worker thread, though, lives exactly as long as it is
    open, so a thread this test started and left running is the leak.
    """
    before = _sqlite_workers()
    yield
    leaked = _sqlite_workers() - before
    for thread in leaked:
        thread.join(timeout=5)  # a closed connection's thread ends a moment later (more under load)
    if still := [t for t in leaked if t.is_alive()]:
        pytest.fail(f"this test left {len(still)} SQLite connection(s) open: close them")


@dataclass(frozen=True)
class DbTarget:
    """An empty database to test against: a URL and, on PostgreSQL, a schema of its own."""

    url: str
    schema: str | None = None

    @property
    def env(self) -> dict[str, str]:
        """The environment variables that point the bot at this database."""
        return {"DATABASE_URL": self.url, "DATABASE_SCHEMA": self.schema or ""}

    def open(self) -> Database:
        """Return a handle on this database."""
        return Database(self.url, schema=self.schema)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run database tests on SQLite; those marked `dialect` on PostgreSQL too.

    Only code that branches on the database (claims, leases, upserts, the content store,
    copy, health, migrations) can behave differently there; testing everything twice
    doubled the run and found nothing the dialect tests did not.
    """
    if "db_target" in metafunc.fixturenames:
        both = metafunc.definition.get_closest_marker("dialect") is not None
        databases = ["sqlite", "postgres"] if both else ["sqlite"]
        metafunc.parametrize("db_target", databases, indirect=True)


@pytest.fixture(scope="session")
def _migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated to head per test process; each test gets a copy of it
    (a copy takes under a millisecond, a migration about a hundred)."""
    path = tmp_path_factory.mktemp("template") / "migrated.db"

    async def build() -> None:
        database = Database(f"sqlite+aiosqlite:///{path}")
        try:
            await migrate.upgrade(database)
        finally:
            await database.close()

    asyncio.run(build())
    return path


@pytest.fixture
async def db_target(
    request: pytest.FixtureRequest, tmp_path: Path, _migrated_sqlite: Path
) -> AsyncIterator[DbTarget]:
    """A database to test against: on SQLite a file already migrated to head (an empty one
    for tests marked `empty_database`); on PostgreSQL a fresh, empty schema dropped after."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        if request.node.get_closest_marker("empty_database") is None:
            shutil.copyfile(_migrated_sqlite, path)
        yield DbTarget(f"sqlite+aiosqlite:///{path}")
        return
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(PG_URL)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield DbTarget(PG_URL, schema)
    async with admin.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    await admin.dispose()


@pytest.fixture
async def db(db_target: DbTarget, request: pytest.FixtureRequest) -> AsyncIterator[Database]:
    """A migrated database on SQLite or PostgreSQL.

    A SQLite copy of the migrated template is at head already, so it is not migrated again
    (Alembic reads every migration script to find that out: tens of milliseconds a test).
    """
    database = db_target.open()
    copy_of_template = db_target.url.startswith("sqlite") and (
        request.node.get_closest_marker("empty_database") is None
    )
    if not copy_of_template:
        await migrate.upgrade(database)
    yield database
    await database.close()


@pytest.fixture(scope="session")
def content() -> Content:
    """The shipped content, loaded once."""
    return load_content(TIPS_DIR)


# The files that take longest, longest first (summed --durations of the default run on
# 3 workers, 2026-12-03). They start first, so the workers finish together: xdist's
# --dist loadfile would otherwise order files by their number of tests and start a long file
# of one test (test_robustness) last, leaving the other workers idle while it runs.
# The order changes nothing but when a file starts. The slow files (real processes,
# benchmarks: 20-90 s each) come first; the default run leaves them out. Each of the first
# three workers starts one process file; the fourth goes to the first to finish.
LONGEST_FIRST = (
    "tests/e2e/processes/test_sigterm.py",
    "tests/e2e/processes/test_kill.py",
    "tests/e2e/processes/test_failover.py",
    "tests/e2e/processes/test_rate_shared.py",
    "tests/test_layout.py",
    "tests/test_bench_smoke.py",
    "tests/content/test_bounded.py",
    "tests/content/test_loader.py",
    "tests/cli/test_admin.py",
    "tests/faq/test_robustness.py",
    "tests/admin/test_stats.py",
    "tests/db/test_copy.py",
    "tests/admin/test_broadcasts.py",
    "tests/e2e/test_journey.py",
    "tests/e2e/test_admin_schedule.py",
    "tests/e2e/test_admin_transfer.py",
    "tests/faq/test_cli_faq.py",
    "tests/delivery/test_one_tip_a_day.py",
    "tests/e2e/test_review.py",
    "tests/e2e/test_admin_stats.py",
    "tests/cli/test_broadcast.py",
)


def pytest_configure(config: pytest.Config) -> None:
    """Let xdist hand out files in the order pytest_collection_modifyitems leaves them."""
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest files first (LONGEST_FIRST), then end-to-end files, then the rest by their
    number of tests (what xdist does); a file's own tests keep their order."""
    files = [item.nodeid.split("::")[0] for item in items]
    counts = collections.Counter(files)
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}

    def weight(i: int) -> tuple[int, int, int]:
        name = files[i]
        return (rank.get(name, len(rank)), not name.startswith("tests/e2e/"), -counts[name])

    order = sorted(range(len(items)), key=weight)
    items[:] = [items[i] for i in order]


_deselected = [0]
"""Tests the marker expression left out, here or (the largest count) on a worker."""


def pytest_deselected(items: list[pytest.Item]) -> None:
    """Count what -m left out."""
    _deselected[0] += len(items)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On an xdist worker, hand the count to the controller."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["deselected"] = _deselected[0]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """On the xdist controller, keep the count a worker reports (each sees them all)."""
    output = getattr(node, "workeroutput", None) or {}
    _deselected[0] = max(_deselected[0], int(output.get("deselected", 0)))


_summary_lines: list[str] = []
"""Figures tests leave for the end of the run (user property "summary"), here or from workers."""


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Collect the summary lines reports carry (tests/faq/conftest.py attaches them)."""
    _summary_lines.extend(str(v) for name, v in report.user_properties if name == "summary")


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Print the tests' figures (FAQ accuracy, triage); say what the default run left out."""
    for line in _summary_lines:
        terminalreporter.write_line(line)
    markexpr = config.getoption("markexpr", "") or ""
    if "not slow" in markexpr and _deselected[0]:
        terminalreporter.write_line(
            f"{_deselected[0]} slow tests left out (real processes, browsers, subprocess CLI "
            "runs, benchmarks): ./scripts/test --all runs them, as CI does"
        )
