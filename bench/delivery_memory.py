"""Memory of a delivery: peak RSS while the engine sends 10,000 and 100,000 daily tips.

Run: .venv/bin/python bench/delivery_memory.py [--runs 3] [--sizes 10000 100000]
     [--rate none] [--trace]

Each run is a fresh child process (pinned to core 0) that opens a SQLite file database in
which every subscriber is due, builds the real ``DeliveryEngine`` with the real ``Sender``
over ``AiohttpRequest`` and a ``Pacer`` (``--rate none``: unpaced; ``--rate 1000``: the paid
broadcast rate), and runs one tick, which claims, sends and records everything due, batch
by batch (1,000 a batch, as the app sets it at 50 messages/s and more; 256 in flight). The
sandbox Bot API runs in another process (``bench/sandbox_process.py``, pinned to core 1)
with one user per subscriber and no rate limit.

The child reports its RSS once everything is set up (imports, database, content, bot) and
the peak RSS of the tick: the kernel's high-water mark (VmHWM), reset once set-up is done,
with the highest of 20 ms psutil samples as a cross-check. (Not ``ru_maxrss``: on Linux a
child inherits its parent's high-water mark across fork and exec, so it would report the
parent's size.) The databases are built once under ``bench/.data/`` (git-ignored): all
subscribers active in Kuala Lumpur, due within the 30 minutes before the tick, with 30 days
of ledger history each; between runs the parent puts them back as built.

``--trace`` runs tracemalloc in the child and prints the traced memory at the start, peak
and end of every claim and send, and what the tick left allocated, by where (tracemalloc
slows the run and adds its own memory: the RSS figures of a traced run are not comparable).
(An ``--engine proposed`` variant ran the fixes bench/README.md describes before they were
in the engine; it is gone now that they are.)
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
from sandbox_process import FIRST_USER, TOKEN, pin, sandbox_process

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
NOW = dt.datetime(2026, 11, 23, 0, 30, tzinfo=dt.UTC)  # Monday 08:30 in Kuala Lumpur
HISTORY_DAYS = 30
FORMAT = 1  # bump when the generated data changes
GOAL_RATIO, GOAL_MB = 1.3, 150.0


# -- the databases (parent) -------------------------------------------------------------


def _lite(value: dt.datetime) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S}.{value.microsecond:06d}"


def ensure_database(n: int) -> Path:
    """Build the database with n subscribers due (once), or put it back as built."""
    path = DATA / f"delivery_memory_{n}.db"
    key = f"format={FORMAT} n={n} days={HISTORY_DAYS}"
    if path.exists():
        con = sqlite3.connect(path)
        try:
            built = con.execute("SELECT key FROM bench_meta").fetchone()[0]
        except sqlite3.Error:
            built = None
        if built == key:
            _restore(con)
            con.close()
            return path
        con.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    asyncio.run(_migrate(path))
    _load(path, n, key)
    print(f"built {path.name} in {time.perf_counter() - started:.0f} s", flush=True)
    return path


async def _migrate(path: Path) -> None:
    from bot.db import migrate
    from bot.db.engine import Database

    db = Database(f"sqlite+aiosqlite:///{path}")
    await migrate.upgrade(db)
    await db.close()


def _load(path: Path, n: int, key: str) -> None:
    from bot.content.loader import load_content

    tips = [t.id for t in load_content(ROOT / "tips").tips]
    rng = random.Random(n)
    subscribers, due, deliveries = [], [], []
    for i in range(1, n + 1):
        next_due_at = NOW - dt.timedelta(seconds=rng.randrange(0, 1800, 60))
        send_time = (next_due_at + dt.timedelta(hours=8)).time()
        created = _lite(NOW - dt.timedelta(days=rng.randint(HISTORY_DAYS, 400)))
        topics = "fiber,sleep" if rng.random() < 0.2 else None
        concern = rng.choice(["acne", "eczema", None, None])
        subscribers.append(
            (i, FIRST_USER + i - 1, FIRST_USER + i - 1, "en" if rng.random() < 0.7 else "ms")
            + ("Asia/Kuala_Lumpur", f"{send_time:%H:%M:%S}.000000", "active", None, created)
            + (topics, concern, _lite(next_due_at), created, created)
        )
        due.append((i, _lite(next_due_at)))
    ident = 0
    for back in range(HISTORY_DAYS, 0, -1):
        for i in range(1, n + 1):
            at = NOW - dt.timedelta(days=back, seconds=rng.randrange(0, 1800, 60))
            ident += 1
            day = (at + dt.timedelta(hours=8)).date().isoformat()
            tip = tips[(i + back) % len(tips)]
            sent = _lite(at + dt.timedelta(seconds=30))
            deliveries.append(
                (ident, i, day, _lite(at), tip, "sent", 1, "main#0:0", sent, sent, ident)
                + (None, None, _lite(at), sent)
            )
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA synchronous=OFF")
    con.execute("BEGIN")
    con.executemany(
        "INSERT INTO subscribers (id, chat_id, user_id, language, timezone, send_time, status, "
        "source, consented_at, topics, concern, next_due_at, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        subscribers,
    )
    con.executemany(
        "INSERT INTO deliveries (id, subscriber_id, local_date, due_at, tip_id, status, "
        "attempts, claimed_by, lease_until, sent_at, message_id, error, feedback, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        deliveries,
    )
    con.execute("CREATE TABLE bench_due (subscriber_id INTEGER PRIMARY KEY, next_due_at TEXT)")
    con.executemany("INSERT INTO bench_due VALUES (?, ?)", due)
    con.execute("CREATE TABLE bench_meta (key TEXT NOT NULL)")
    con.execute("INSERT INTO bench_meta VALUES (?)", (key,))
    con.execute("COMMIT")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def _restore(con: sqlite3.Connection) -> None:
    """Everyone due again; nothing from earlier runs in the ledger."""
    con.execute("DELETE FROM deliveries WHERE created_at >= ?", (_lite(NOW),))
    con.execute("DELETE FROM tick_runs")
    con.execute(
        "UPDATE subscribers SET status = 'active', next_due_at = "
        "(SELECT next_due_at FROM bench_due WHERE subscriber_id = subscribers.id)"
    )
    con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# -- one measured delivery (child) -----------------------------------------------------------


def _status_kb(field: str) -> int:
    """A field of /proc/self/status in kB (VmRSS, VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise KeyError(field)


def _reset_peak() -> bool:
    """Start VmHWM again from the current RSS (Linux 4.0+); tell whether it worked."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


async def deliver(args: argparse.Namespace) -> dict[str, Any]:
    """Set up the engine, run one tick, and report memory and counts."""
    import gc
    import tracemalloc

    if args.trace:
        tracemalloc.start(8)
    import telegram

    from bot.clock import OffsetClock
    from bot.content.library import Library
    from bot.content.loader import load_content
    from bot.db.engine import Database
    from bot.delivery.engine import DeliveryEngine, EngineConfig, static_library
    from bot.outbound.pacing import Pacer
    from bot.outbound.sender import Sender
    from bot.runtime.http import AiohttpRequest

    me = psutil.Process()
    content = load_content(ROOT / "tips")
    db = Database(f"sqlite+aiosqlite:///{args.db}")
    rate = None if args.rate == "none" else float(args.rate)
    pacer = Pacer(rate)
    base_url = f"http://127.0.0.1:{args.port}/bot"
    async with telegram.Bot(TOKEN, base_url=base_url, request=AiohttpRequest()) as bot:
        clock = OffsetClock(NOW + dt.timedelta(seconds=60) - dt.datetime.now(dt.UTC))
        engine = DeliveryEngine(
            db,
            content.catalogs,
            Sender(bot, pacer),
            clock,
            static_library(Library(content.tips, content.program)),
            EngineConfig(batch=1000),
        )
        steps = _trace_steps(engine) if args.trace else {}
        gc.collect()
        setup_peak = _status_kb("VmHWM")
        before = me.memory_info().rss
        reset = _reset_peak()
        baseline = tracemalloc.take_snapshot() if args.trace else None
        sampled = before

        async def sample() -> None:
            nonlocal sampled
            while True:
                sampled = max(sampled, me.memory_info().rss)
                await asyncio.sleep(0.02)

        sampler = asyncio.create_task(sample())
        started = time.perf_counter()
        report = await engine.tick()
        elapsed = time.perf_counter() - started
        sampler.cancel()
        peak = _status_kb("VmHWM")
        after = me.memory_info().rss
        pacer.close()
    await db.close()
    result: dict[str, Any] = {
        "subscribers": args.subscribers,
        "before_mb": before / 2**20,
        # VmHWM, reset after set-up: the tick's own peak (see the module docstring).
        "peak_mb": peak / 1024 if reset else max(peak, setup_peak) / 1024,
        "setup_peak_mb": setup_peak / 1024,
        "sampled_peak_mb": sampled / 2**20,
        "after_mb": after / 2**20,
        "seconds": elapsed,
        "sent": report.counts["sent"],
        "counts": {str(k): v for k, v in report.counts.items()},
    }
    if baseline is not None:
        retained = tracemalloc.take_snapshot().compare_to(baseline, "traceback")
        result["traced"] = {name: values for name, values in steps.items()}
        result["retained"] = [
            f"{stat.size_diff / 2**20:+.2f} MB {stat.count_diff:+d} blocks: "
            + " <- ".join(f"{Path(f.filename).name}:{f.lineno}" for f in stat.traceback[:5])
            for stat in retained[:10]
        ]
    return result


def _trace_steps(engine: Any) -> dict[str, list[tuple[float, float, float]]]:
    """Record the traced memory (start, peak, end; MB) of each claim and send of the tick."""
    import tracemalloc

    steps: dict[str, list[tuple[float, float, float]]] = {"_claim_due": [], "_send": []}
    for name, values in steps.items():
        method = getattr(engine, name)

        async def traced(*args: Any, _method: Any = method, _values: Any = values) -> Any:
            start = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            try:
                return await _method(*args)
            finally:
                end, peak = tracemalloc.get_traced_memory()
                _values.append(tuple(round(x / 2**20, 1) for x in (start, peak, end)))

        setattr(engine, name, traced)
    return steps


def child_main(args: argparse.Namespace) -> None:
    """Run one delivery and print its result as one JSON line."""
    pin(0)
    print(json.dumps(asyncio.run(deliver(args))), flush=True)


# -- the runs (parent) -----------------------------------------------------------------------


def one_run(n: int, args: argparse.Namespace) -> dict[str, Any]:
    """One fresh child delivering to n subscribers through a fresh sandbox process."""
    path = ensure_database(n)
    with sandbox_process(users=n, rate=None, cpu=1) as sp:
        command = [sys.executable, __file__, "--child", "--db", str(path), "--port", str(sp.port)]
        command += ["--subscribers", str(n), "--rate", args.rate]
        command += ["--trace"] if args.trace else []
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        out = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"the child failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    if result["sent"] != n:
        raise RuntimeError(f"sent {result['sent']} of {n}: {result['counts']}")
    return result


def main() -> None:
    """Run each size --runs times, alternating sizes; print every run and the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--rate", default="none", help="pacer rate: none or messages/s")
    parser.add_argument("--trace", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--subscribers", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args)
        return
    pin(0)
    DATA.mkdir(parents=True, exist_ok=True)
    print(f"load before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    results: dict[int, list[dict[str, Any]]] = {n: [] for n in args.sizes}
    for i in range(args.runs):
        for n in args.sizes:
            r = one_run(n, args)
            results[n].append(r)
            print(
                f"run {i + 1}, {n:,} subscribers: set up {r['before_mb']:.1f} MB, "
                f"peak {r['peak_mb']:.1f} MB (sampled {r['sampled_peak_mb']:.1f}), "
                f"after {r['after_mb']:.1f} MB, {r['seconds']:.1f} s, "
                f"{n / r['seconds']:.0f} messages/s, load {os.getloadavg()[0]:.2f}",
                flush=True,
            )
            for step, values in r.get("traced", {}).items():
                print(f"    traced MB (start, peak, end) of each {step}: {values}")
            if "retained" in r:
                print("    retained by the end of the tick, by where it was allocated:")
            for line in r.get("retained", []):
                print(f"      {line}")
    print(f"\nMedians of {args.runs} runs (rate {args.rate})\n")
    print("| subscribers | RSS set up, MB | peak RSS, MB | peak - set up, MB | tick s | msg/s |")
    print("| --- | --- | --- | --- | --- | --- |")
    peaks = {}
    for n, runs in results.items():
        med = {k: statistics.median(r[k] for r in runs) for k in ("before_mb", "peak_mb")}
        seconds = statistics.median(r["seconds"] for r in runs)
        peaks[n] = med["peak_mb"]
        print(
            f"| {n:,} | {med['before_mb']:.1f} | {med['peak_mb']:.1f} | "
            f"{med['peak_mb'] - med['before_mb']:.1f} | {seconds:.1f} | {n / seconds:.0f} |"
        )
    if len(peaks) >= 2:
        small, large = min(peaks), max(peaks)
        ratio = peaks[large] / peaks[small]
        print(
            f"\npeak at {large:,} / peak at {small:,}: {ratio:.2f} (goal <= {GOAL_RATIO}: "
            f"{'met' if ratio <= GOAL_RATIO else 'NOT met'}); peak at {large:,}: "
            f"{peaks[large]:.1f} MB (goal < {GOAL_MB:.0f}: "
            f"{'met' if peaks[large] < GOAL_MB else 'NOT met'})"
        )
    print(f"load after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
