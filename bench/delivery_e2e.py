"""End-to-end delivery at paid speed: claim, ledger, send and record against a Bot API stub.

Run:
    .venv/bin/python bench/delivery_e2e.py                         # everything, 3 runs each
    .venv/bin/python bench/delivery_e2e.py --backends sqlite --sizes 10000 --runs 1
    .venv/bin/python bench/delivery_e2e.py --sizes 10000 --rates none --runs 1 --profile
    .venv/bin/python bench/delivery_e2e.py --replicas --sizes 20000 --runs 3   # one vs two
    PY_SPY=/path/to/py-spy .venv/bin/python bench/delivery_e2e.py --sizes 10000 --runs 1 \
        --py-spy /tmp/stacks      # CPU samples of each tick, every thread, to /tmp/stacks.*.txt

Each run is a fresh child process (pinned to core 0) that delivers one tick through the
real `DeliveryEngine`, `Sender`, `Pacer` and `AiohttpRequest` (batches of 1,000, 256 in
flight, as the app sets them at paid rates) to the minimal Bot API stub
(`bench/stub_bot_api.py`, its own process pinned to core 1, no limit), N subscribers due
at once. Rates: ``none`` (unpaced) and ``1000`` (``DELIVERY_RATE=1000`` with
``ALLOW_PAID_BROADCAST``: the pacer at 1,000/s and ``allow_paid_broadcast`` on every send).

In the same child, right after the tick, the reference: a plain aiohttp loop posting the
same JSON body to the same stub (256 in flight, ``min(N, 20,000)`` messages; with
``--stub-limit``, to a second stub without the limit, so the reference is not paced by 429s).
Columns: tips/s (delivered tips over the tick's wall time), "on the wire" (messages over the
time from the stub's first to its last message: the sending rate without the first claim
and the last record), the busiest one-second window the stub saw (Telegram's rule: at most
the rate), the bot's CPU per delivered tip (user +
system of the child during the tick: claim, ledger, send, record), the loop's CPU per
message, their ratio, the stub's CPU per message, and peak RSS of the tick (VmHWM, reset
once set-up is done; see bench/delivery_memory.py for why not ru_maxrss).

Databases, built once and put back as built between runs: SQLite files under
``bench/.data/`` and, on PostgreSQL (``--postgres``, default the test server), a schema
``bench_e2e_<N>`` in database ``test``. All subscribers active in Kuala Lumpur, due within
the 30 minutes before the tick, with ``--history-days`` (default 30) days of ledger each,
so a 100,000 run claims against a ledger of 3,000,000 rows and adds 100,000 more.

``--replicas`` compares one replica with two on PostgreSQL, unpaced, at the first of
``--sizes``: each replica a child pinned to a core of its own (0, 1) with its own replica id,
all starting the tick together (after set-up, on the parent's word), the stub not pinned so
that both layouts give it the same room; tips/s is all tips over the time from the first
start to the last end. Runs alternate one, two, one, two.

``--profile`` runs the tick under cProfile and prints the top functions (by own time and
by cumulative time); the figures of a profiled run are not comparable. cProfile times the
wall clock and sees neither SQLite's worker thread nor C code; ``--py-spy`` samples the
CPU of every thread instead (py-spy attached to the child, not blocking it, 200 a second),
writing collapsed stacks (the format flamegraph.pl reads), and costs the run little.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
from stub_bot_api import TOKEN, stub_process

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
NOW = dt.datetime(2026, 11, 23, 0, 30, tzinfo=dt.UTC)  # Monday 08:30 in Kuala Lumpur
FIRST_USER = 1_000_000
FORMAT = 1  # bump when the generated data changes
PG_DEFAULT = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
LOOP_MAX = 20_000
TIP_BODY = {
    "text": "<b>Tempeh and tapai</b> feed the bacteria that help calm your skin.",
    "parse_mode": "HTML",
    "reply_markup": {"inline_keyboard": [[{"text": "More on this", "callback_data": "t:12"}]]},
    "allow_paid_broadcast": True,
}


# -- the data (parent) ------------------------------------------------------------------


def _generate(n: int, days: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Subscribers (all due) and their ledger history, as typed tuples."""
    from bot.content.loader import load_content

    tips = [t.id for t in load_content(ROOT / "tips").tips]
    rng = random.Random(n)
    subscribers, deliveries = [], []
    for i in range(1, n + 1):
        next_due_at = NOW - dt.timedelta(seconds=rng.randrange(0, 1800, 60))
        send_time = (next_due_at + dt.timedelta(hours=8)).time()
        created = NOW - dt.timedelta(days=rng.randint(days + 1, 400))
        topics = "fiber,sleep" if rng.random() < 0.2 else None
        concern = rng.choice(["acne", "eczema", None, None])
        language = "en" if rng.random() < 0.7 else "ms"
        user = FIRST_USER + i - 1
        subscribers.append(
            (i, user, user, language, "Asia/Kuala_Lumpur", send_time, "active", None, created)
            + (topics, concern, next_due_at, created, created)
        )
    ident = 0
    for back in range(days, 0, -1):
        for i in range(1, n + 1):
            at = NOW - dt.timedelta(days=back, seconds=rng.randrange(0, 1800, 60))
            ident += 1
            day = (at + dt.timedelta(hours=8)).date()
            sent = at + dt.timedelta(seconds=30)
            deliveries.append(
                (ident, i, day, at, tips[(i + back) % len(tips)], "sent", 1, "main#0:0", sent)
                + (sent, ident, None, None, at, sent)
            )
    return subscribers, deliveries


SUB_COLUMNS = (
    "id, chat_id, user_id, language, timezone, send_time, status, source, consented_at, "
    "topics, concern, next_due_at, created_at, updated_at"
)
DELIVERY_COLUMNS = (
    "id, subscriber_id, local_date, due_at, tip_id, status, attempts, claimed_by, "
    "lease_until, sent_at, message_id, error, feedback, created_at, updated_at"
)


def _lite(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%d %H:%M:%S}.{value.microsecond:06d}"
    if isinstance(value, dt.time):
        return f"{value:%H:%M:%S}.000000"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _key(n: int, days: int) -> str:
    return f"format={FORMAT} n={n} days={days}"


def ensure_sqlite(n: int, days: int) -> str:
    """Build the SQLite database (once) or put it back as built; return its URL."""
    path = DATA / f"delivery_e2e_{n}.db"
    if path.exists():
        con = sqlite3.connect(path)
        try:
            built = con.execute("SELECT key FROM bench_meta").fetchone()[0]
        except sqlite3.Error:
            built = None
        if built == _key(n, days):
            _restore_sqlite(con)
            con.close()
            return f"sqlite+aiosqlite:///{path}"
        con.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    url = f"sqlite+aiosqlite:///{path}"
    asyncio.run(_migrate(url, None))
    subscribers, deliveries = _generate(n, days)
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA synchronous=OFF")
    con.execute("BEGIN")
    con.executemany(
        f"INSERT INTO subscribers ({SUB_COLUMNS}) VALUES ({', '.join('?' * 14)})",
        ([_lite(v) for v in row] for row in subscribers),
    )
    con.executemany(
        f"INSERT INTO deliveries ({DELIVERY_COLUMNS}) VALUES ({', '.join('?' * 15)})",
        ([_lite(v) for v in row] for row in deliveries),
    )
    con.execute("CREATE TABLE bench_due (subscriber_id INTEGER PRIMARY KEY, next_due_at TEXT)")
    con.executemany(
        "INSERT INTO bench_due VALUES (?, ?)", ((s[0], _lite(s[11])) for s in subscribers)
    )
    con.execute("CREATE TABLE bench_meta (key TEXT NOT NULL)")
    con.execute("INSERT INTO bench_meta VALUES (?)", (_key(n, days),))
    con.execute("COMMIT")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    print(f"built {path.name} in {time.perf_counter() - started:.0f} s", flush=True)
    return url


def _restore_sqlite(con: sqlite3.Connection) -> None:
    con.execute("DELETE FROM deliveries WHERE created_at >= ?", (_lite(NOW),))
    con.execute("DELETE FROM tick_runs")
    con.execute(
        "UPDATE subscribers SET status = 'active', next_due_at = "
        "(SELECT next_due_at FROM bench_due WHERE subscriber_id = subscribers.id)"
    )
    con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")


async def _migrate(url: str, schema: str | None) -> None:
    from bot.db import migrate
    from bot.db.engine import Database

    db = Database(url, schema=schema)
    await migrate.upgrade(db)
    await db.close()


def ensure_postgres(url: str, n: int, days: int) -> tuple[str, str]:
    """Build the PostgreSQL schema (once) or put it back as built; return (url, schema)."""
    schema = f"bench_e2e_{n}"
    asyncio.run(_ensure_postgres(url, schema, n, days))
    return url, schema


async def _ensure_postgres(url: str, schema: str, n: int, days: int) -> None:
    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    con = await asyncpg.connect(dsn)
    try:
        try:
            built = await con.fetchval(f'SELECT key FROM "{schema}".bench_meta')
        except asyncpg.PostgresError:
            built = None
        if built == _key(n, days):
            await con.execute(f'SET search_path TO "{schema}"')
            await con.execute("DELETE FROM deliveries WHERE created_at >= $1", NOW)
            await con.execute("DELETE FROM tick_runs")
            await con.execute(
                "UPDATE subscribers s SET status = 'active', next_due_at = d.next_due_at "
                "FROM bench_due d WHERE d.subscriber_id = s.id"
            )
            await con.execute("VACUUM ANALYZE subscribers")
            await con.execute("VACUUM ANALYZE deliveries")
            return
        started = time.perf_counter()
        await con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await con.execute(f'CREATE SCHEMA "{schema}"')
        await _migrate(url, schema)
        subscribers, deliveries = _generate(n, days)
        await con.execute(f'SET search_path TO "{schema}"')
        await con.copy_records_to_table(
            "subscribers", records=subscribers, columns=SUB_COLUMNS.split(", ")
        )
        await con.copy_records_to_table(
            "deliveries", records=deliveries, columns=DELIVERY_COLUMNS.split(", ")
        )
        await con.execute(
            "CREATE TABLE bench_due AS SELECT id AS subscriber_id, next_due_at FROM subscribers"
        )
        await con.execute("CREATE TABLE bench_meta (key TEXT NOT NULL)")
        await con.execute("INSERT INTO bench_meta VALUES ($1)", _key(n, days))
        for table in ("subscribers", "deliveries"):
            await con.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        await con.execute("VACUUM ANALYZE subscribers")
        await con.execute("VACUUM ANALYZE deliveries")
        print(f"built {schema} in {time.perf_counter() - started:.0f} s", flush=True)
    finally:
        await con.close()


def drop_postgres(url: str, sizes: list[int]) -> None:
    """Remove the benchmark's schemas."""

    async def drop() -> None:
        import asyncpg

        con = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        for n in sizes:
            await con.execute(f'DROP SCHEMA IF EXISTS "bench_e2e_{n}" CASCADE')
        await con.close()

    asyncio.run(drop())


# -- one measured delivery (child) -----------------------------------------------------------


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise KeyError(field)


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


async def deliver(args: argparse.Namespace) -> dict[str, Any]:
    """Set up the engine, run one tick, then the aiohttp loop; report both."""
    import gc

    import telegram

    from bot.clock import OffsetClock
    from bot.content.library import Library
    from bot.content.loader import load_content
    from bot.db.engine import Database
    from bot.delivery.engine import DeliveryEngine, EngineConfig, static_library
    from bot.outbound.pacing import Pacer
    from bot.outbound.sender import Sender
    from bot.runtime.http import AiohttpRequest

    me, stub = psutil.Process(), psutil.Process(args.stub_pid)
    loop_stub = psutil.Process(args.loop_stub_pid) if args.loop_stub_pid else stub
    content = load_content(ROOT / "tips")
    db = Database(args.url, schema=args.schema or None)
    rate = None if args.rate == "none" else float(args.rate)
    paid = rate is not None and rate > 30
    pacer = Pacer(rate, until_answered=paid)  # as bot/runtime/app.py sets it up
    base_url = f"http://127.0.0.1:{args.port}/bot"
    profile = None
    async with telegram.Bot(TOKEN, base_url=base_url, request=AiohttpRequest()) as bot:
        clock = OffsetClock(NOW + dt.timedelta(seconds=60) - dt.datetime.now(dt.UTC))
        engine = DeliveryEngine(
            db,
            content.catalogs,
            Sender(bot, pacer, paid_broadcast=paid),
            clock,
            static_library(Library(content.tips, content.program)),
            EngineConfig(batch=1000, replica=args.replica),
        )
        if args.go:
            # Replicas start together: say ready, wait for the parent's word.
            print("ready", flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        gc.collect()
        before = me.memory_info().rss
        reset = _reset_peak()
        spy = _start_py_spy(args.py_spy) if args.py_spy else None
        if args.profile:
            import cProfile

            profile = cProfile.Profile()
            profile.enable()
        cpu0, stub0, t0, wall0 = _cpu(me), _cpu(stub), time.perf_counter(), time.time()
        start = time.monotonic()  # the stub's clock
        report = await engine.tick()
        elapsed, wall1 = time.perf_counter() - t0, time.time()
        cpu1, stub1 = _cpu(me), _cpu(stub)
        if profile is not None:
            profile.disable()
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait()
        peak = _status_kb("VmHWM")
        pacer.close()
    await db.close()
    sent = report.counts["sent"]
    seen = await stub_stats(args.port)
    loop_port = args.loop_port or args.port
    loop = (
        await aiohttp_loop(loop_port, min(args.subscribers, LOOP_MAX), loop_stub)
        if not args.go
        else {}
    )
    result: dict[str, Any] = {
        "subscribers": args.subscribers,
        "seconds": elapsed,
        "started": wall0,
        "ended": wall1,
        "sent": sent,
        "per_second": sent / elapsed,
        "cpu_us": (cpu1 - cpu0) / max(sent, 1) * 1e6,
        "stub_us": (stub1 - stub0) / max(sent, 1) * 1e6,
        "before_mb": before / 2**20,
        "peak_mb": peak / 1024 if reset else float("nan"),
        "counts": {str(k): v for k, v in report.counts.items()},
        "rate_limited": report.rate_limited,
        "stub_429s": seen["rate_limited"],
        "wire_per_second": (seen["messages"] - 1) / max(seen["last"] - seen["first"], 1e-9)
        if seen["first"] is not None
        else 0.0,
        "peak_second": seen["peak_second"],
        "first_message_s": seen["first"] - start if seen["first"] is not None else 0.0,
        **loop,
    }
    if profile is not None:
        import io
        import pstats

        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats("tottime").print_stats(30)
        stats.sort_stats("cumulative").print_stats(40)
        result["profile"] = out.getvalue()
    return result


def _start_py_spy(out: str) -> subprocess.Popen[bytes]:
    """Sample this process with py-spy (CPU only, every thread) until SIGINT; collapsed
    stacks go to `out` (the format flamegraph.pl reads)."""
    binary = os.environ.get("PY_SPY") or shutil.which("py-spy") or "py-spy"
    command = [binary, "record", "--pid", str(os.getpid()), "--rate", "200", "--format", "raw"]
    spy = subprocess.Popen(
        [*command, "--nonblocking", "--output", out],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)  # let it attach before the tick starts
    return spy


async def stub_stats(port: int) -> dict[str, Any]:
    """What the stub saw: messages, 429s, first and last arrival, the busiest second."""
    import aiohttp

    async with (
        aiohttp.ClientSession() as session,
        session.post(f"http://127.0.0.1:{port}/bot{TOKEN}/stats") as response,
    ):
        result: dict[str, Any] = (await response.json())["result"]
    return result


async def aiohttp_loop(port: int, n: int, stub: psutil.Process) -> dict[str, float]:
    """The reference: a plain aiohttp session posting the tip's JSON, 256 in flight."""
    import aiohttp

    url = f"http://127.0.0.1:{port}/bot{TOKEN}/sendMessage"
    users = iter(range(FIRST_USER, FIRST_USER + n))
    sent = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256)) as session:

        async def worker() -> None:
            nonlocal sent
            for chat in users:
                body = json.dumps({**TIP_BODY, "chat_id": chat})
                headers = {"Content-Type": "application/json"}
                async with session.post(url, data=body, headers=headers) as response:
                    sent += bool(json.loads(await response.read())["ok"])

        me = psutil.Process()
        cpu0, stub0, t0 = _cpu(me), _cpu(stub), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(256)))
        elapsed = time.perf_counter() - t0
        cpu1, stub1 = _cpu(me), _cpu(stub)
    return {
        "loop_messages": sent,
        "loop_per_second": sent / elapsed,
        "loop_cpu_us": (cpu1 - cpu0) / max(sent, 1) * 1e6,
        "loop_stub_us": (stub1 - stub0) / max(sent, 1) * 1e6,
    }


def child_main(args: argparse.Namespace) -> None:
    """Run one delivery and print its result as one JSON line."""
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > args.cpu:
        os.sched_setaffinity(0, {args.cpu})
    print(json.dumps(asyncio.run(deliver(args))), flush=True)


# -- the runs (parent) -----------------------------------------------------------------------


def one_run(backend: str, rate: str, n: int, args: argparse.Namespace) -> dict[str, Any]:
    """One fresh child delivering to n subscribers through a fresh stub process."""
    if backend == "sqlite":
        url, schema = ensure_sqlite(n, args.history_days), ""
    else:
        url, schema = ensure_postgres(args.postgres, n, args.history_days)
    with contextlib.ExitStack() as stack:
        stub = stack.enter_context(stub_process(cpu=1, limit=args.stub_limit))
        command = [sys.executable, __file__, "--child", "--url", url, "--schema", schema]
        command += ["--port", str(stub.port), "--stub-pid", str(stub.pid)]
        if args.stub_limit is not None:
            reference = stack.enter_context(stub_process(cpu=1))
            command += ["--loop-port", str(reference.port), "--loop-stub-pid", str(reference.pid)]
        command += ["--subscribers", str(n), "--rate", rate]
        command += ["--profile"] if args.profile else []
        if args.py_spy:
            stacks = f"{args.py_spy}.{backend}.{rate}.{n}.{int(time.time())}.txt"
            command += ["--py-spy", stacks]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        out = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"the child failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    if result["sent"] != n:
        raise RuntimeError(f"sent {result['sent']} of {n}: {result['counts']}")
    return result


def replicas_run(k: int, n: int, args: argparse.Namespace) -> dict[str, Any]:
    """k replicas (children pinned to cores 0..k-1, unpaced, replica ids r0, r1...) deliver
    one send time of n subscribers from one PostgreSQL schema, starting together; the stub
    is not pinned, so one and two replicas give it the same room."""
    url, schema = ensure_postgres(args.postgres, n, args.history_days)
    with stub_process(cpu=None) as stub:
        children = []
        for i in range(k):
            command = [sys.executable, __file__, "--child", "--url", url, "--schema", schema]
            command += ["--port", str(stub.port), "--stub-pid", str(stub.pid)]
            command += ["--subscribers", str(n), "--rate", "none", "--go"]
            command += ["--cpu", str(i), "--replica", f"r{i}"]
            env = {**os.environ, "PYTHONPATH": str(ROOT)}
            children.append(
                subprocess.Popen(
                    command,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    env=env,
                )
            )
        for child in children:
            assert child.stdout is not None
            if child.stdout.readline().strip() != "ready":
                raise RuntimeError(f"a replica did not start: {child.communicate()[1][-3000:]}")
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        results = []
        for child in children:
            out, err = child.communicate()
            if child.returncode != 0:
                raise RuntimeError(f"a replica failed:\n{err[-3000:]}")
            results.append(json.loads(out.strip().splitlines()[-1]))
    sent = sum(r["sent"] for r in results)
    if sent != n:
        raise RuntimeError(f"sent {sent} of {n}")
    wall = max(r["ended"] for r in results) - min(r["started"] for r in results)
    return {
        "per_second": sent / wall,
        "shares": [r["sent"] for r in results],
        "cpu_us": sum(r["cpu_us"] * r["sent"] for r in results) / sent,
    }


def compare_replicas(args: argparse.Namespace) -> None:
    """One replica vs two on PostgreSQL, unpaced, alternating; print runs and medians."""
    n = args.sizes[0]
    print(f"load before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    ones, twos = [], []
    for i in range(args.runs):
        for k, into in ((1, ones), (2, twos)):
            r = replicas_run(k, n, args)
            into.append(r)
            print(
                f"run {i + 1}, {k} replica(s), {n:,}: {r['per_second']:.0f} tips/s "
                f"(each sent {r['shares']}), {r['cpu_us']:.0f} µs CPU/tip, "
                f"load {os.getloadavg()[0]:.2f}",
                flush=True,
            )
    one = statistics.median(r["per_second"] for r in ones)
    two = statistics.median(r["per_second"] for r in twos)
    ratios = [b["per_second"] / a["per_second"] for a, b in zip(ones, twos, strict=True)]
    print(
        f"\nmedians of {args.runs}: one replica {one:,.0f} tips/s, two {two:,.0f} tips/s: "
        f"{two / one:.2f}x (per run: {', '.join(f'{x:.2f}' for x in ratios)})"
    )
    print(f"load after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    """Run every (backend, rate, size) --runs times; print every run and the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--rates", nargs="+", default=["none", "1000"])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--postgres", default=PG_DEFAULT, help="SQLAlchemy URL of the server")
    parser.add_argument("--history-days", type=int, default=30)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--py-spy",
        metavar="PREFIX",
        help="sample each tick with py-spy (PY_SPY names the binary); stacks to PREFIX.*.txt",
    )
    parser.add_argument("--drop", action="store_true", help="remove the databases afterwards")
    parser.add_argument(
        "--stub-limit",
        type=int,
        default=None,
        help="the stub answers 429 above this many messages in any second (Telegram's rule)",
    )
    parser.add_argument(
        "--replicas",
        action="store_true",
        help="one replica vs two on PostgreSQL, unpaced, at the first of --sizes",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--go", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cpu", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--replica", default="main", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--schema", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--stub-pid", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--loop-port", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--loop-stub-pid", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--subscribers", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--rate", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args)
        return
    DATA.mkdir(parents=True, exist_ok=True)
    if args.replicas:
        compare_replicas(args)
        return
    print(f"load before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    keys = [(b, r, n) for b in args.backends for r in args.rates for n in args.sizes]
    results: dict[tuple[str, str, int], list[dict[str, Any]]] = {k: [] for k in keys}
    for i in range(args.runs):
        for key in keys:
            r = one_run(*key, args)
            results[key].append(r)
            print(
                f"run {i + 1}, {key[0]}, rate {key[1]}, {key[2]:,}: {r['per_second']:.0f} tips/s, "
                f"on the wire {r['wire_per_second']:.0f}/s, busiest second {r['peak_second']}, "
                f"first message after {r['first_message_s']:.2f} s, "
                f"{r['cpu_us']:.0f} µs CPU/tip (loop {r['loop_cpu_us']:.0f} µs, "
                f"{r['loop_per_second']:.0f}/s), stub {r['stub_us']:.0f} µs, "
                f"peak {r['peak_mb']:.1f} MB, 429s {r['rate_limited']}, "
                f"load {os.getloadavg()[0]:.2f}",
                flush=True,
            )
            if "profile" in r:
                print(r["profile"])
    print(f"\nMedians of {args.runs} runs\n")
    print(
        "| database | rate | subscribers | tips/s | on the wire /s | busiest second | 429s | "
        "bot CPU µs/tip | loop CPU µs/msg | bot / loop | loop msg/s | stub µs/msg | peak RSS MB |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for (backend, rate, n), runs in results.items():
        med = {
            k: statistics.median(r[k] for r in runs)
            for k in (
                "per_second",
                "wire_per_second",
                "peak_second",
                "cpu_us",
                "loop_cpu_us",
                "loop_per_second",
                "stub_us",
            )
        }
        rate_limited = ", ".join(str(r["rate_limited"]) for r in runs)
        peak = statistics.median(r["peak_mb"] for r in runs)
        ratio = statistics.median(r["cpu_us"] / r["loop_cpu_us"] for r in runs)
        print(
            f"| {backend} | {rate} | {n:,} | {med['per_second']:,.0f} | "
            f"{med['wire_per_second']:,.0f} | {med['peak_second']:,.0f} | {rate_limited} | "
            f"{med['cpu_us']:.0f} | "
            f"{med['loop_cpu_us']:.0f} | {ratio:.1f} | {med['loop_per_second']:,.0f} | "
            f"{med['stub_us']:.0f} | {peak:.1f} |"
        )
    if args.drop:
        if "postgres" in args.backends:
            drop_postgres(args.postgres, args.sizes)
        for n in args.sizes:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{DATA / f'delivery_e2e_{n}.db'}{suffix}").unlink(missing_ok=True)
    print(f"load after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
