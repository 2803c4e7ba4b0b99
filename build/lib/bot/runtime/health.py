"""What /healthz answers: is the database there, is delivery ticking, is the sender moving.

Healthy means all of:
- database: a real query (the due backlog) answers within a few seconds; on SQLite the
  database file is also still the one opened at start (a deleted or replaced file keeps
  working through the open connection while everything written is lost);
- scheduler: a delivery tick finished within HEALTH_MAX_TICK_AGE seconds, or a long tick is
  still busy and its sends are moving (or waiting out a 429 pause);
- sender: not paused by a 429 for more than HEALTH_MAX_PAUSE seconds, and not holding
  messages that have not moved for HEALTH_MAX_TICK_AGE.

Warnings, which never make it unhealthy: a send time of the coming day whose crowd cannot
be sent inside the catch-up window at the configured rate (`bot/delivery/capacity.py`),
worked out at most once a minute.

Progress is watched on the monotonic clock, sampled every second, so moving the bot's
clock (the sandbox) never makes it look stalled.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.db.engine import Database
from bot.db.models import (
    BroadcastDelivery,
    BroadcastDeliveryStatus,
    Delivery,
    DeliveryStatus,
    Subscriber,
)


@dataclass(frozen=True)
class HealthLimits:
    """When to call the bot unhealthy."""

    max_tick_age: float = 180.0  # seconds without a finished tick or any send
    max_pause: float = 300.0  # seconds of 429 pause still to go
    db_timeout: float = 3.0
    capacity_every: float = 60.0  # seconds between two capacity forecasts


class HealthMonitor:
    """Watches delivery for progress and answers health checks.

    Args:
        db: the bot's database.
        now: the bot's clock (for the due backlog query).
        limits: the thresholds.
        engine, sender: read with duck typing (`ticks`, `busy`; `counters`, `paused_for`,
            `pacer.waiting`); None when delivery is not running.
        info: extra fields for the answer (replica, how updates arrive).
    """

    def __init__(
        self,
        db: Database,
        now: Callable[[], dt.datetime],
        limits: HealthLimits,
        *,
        engine: Any = None,
        sender: Any = None,
        info: dict[str, object] | None = None,
    ) -> None:
        self.db = db
        self.now = now
        self.limits = limits
        self.engine = engine
        self.sender = sender
        self.info = dict(info or {})
        self.updates_ok: Callable[[], bool] = lambda: True
        # Returns warning lines (capacity); set by the app, None when not watched.
        self.warnings: Callable[[], Awaitable[list[str]]] | None = None
        self._warned: list[str] = []
        self._warned_at: float | None = None
        started = time.monotonic()
        self._last_tick_seen = started
        self._last_send_seen = started
        self._ticks = self._read_ticks()
        self._sends = self._read_sends()
        self._file = _sqlite_file(db)
        self._file_id = _file_id(self._file)
        self._task: asyncio.Task[None] | None = None

    # -- watching ------------------------------------------------------------------------

    def start(self) -> None:
        """Sample progress every second in the background."""
        if self._task is None:
            self._task = asyncio.create_task(self._watch(), name="health-monitor")

    async def stop(self) -> None:
        """Stop sampling."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _watch(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(1.0)

    def sample(self) -> None:
        """Note whether a tick finished or a message moved since the last sample."""
        now = time.monotonic()
        ticks, sends = self._read_ticks(), self._read_sends()
        if ticks != self._ticks:
            self._ticks, self._last_tick_seen = ticks, now
        if sends != self._sends:
            self._sends, self._last_send_seen = sends, now

    def _read_ticks(self) -> int:
        return int(getattr(self.engine, "ticks", 0))

    def _read_sends(self) -> int:
        counters = getattr(self.sender, "counters", None)
        if counters is None:
            return 0
        failed = sum(counters.failed.values())
        return int(
            counters.sent
            + counters.blocked
            + counters.rejected
            + failed
            + counters.rate_limited
            + counters.retries
        )

    # -- answering -----------------------------------------------------------------------

    async def check(self) -> tuple[bool, dict[str, object]]:
        """Return whether the bot is healthy, and the answer's fields (problems listed)."""
        self.sample()
        problems: list[str] = []
        report: dict[str, object] = {"status": "ok", "problems": problems, **self.info}
        report.update(await self._check_database(problems))
        report.update(self._check_delivery(problems))
        if not self.updates_ok():
            problems.append(f"updates: {self.info.get('updates', '?')} is not running")
        report["warnings"] = await self._read_warnings()
        if problems:
            report["status"] = "unhealthy"
        return not problems, report

    async def _read_warnings(self) -> list[str]:
        """The warnings, worked out again when the last ones are older than a minute."""
        if self.warnings is None:
            return []
        now = time.monotonic()
        if self._warned_at is None or now - self._warned_at >= self.limits.capacity_every:
            try:
                async with asyncio.timeout(self.limits.db_timeout):
                    self._warned = await self.warnings()
            except Exception as exc:  # a warning must never make the check fail
                self._warned = [f"capacity: could not be worked out ({type(exc).__name__})"]
            self._warned_at = now
        return list(self._warned)

    async def _check_database(self, problems: list[str]) -> dict[str, object]:
        if self._file is not None and _file_id(self._file) != self._file_id:
            problems.append(f"database: the SQLite file {self._file} is gone or was replaced")
            return {"database": "file missing or replaced"}
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.limits.db_timeout):
                async with self.db.session() as session:
                    backlog = await session.scalar(
                        select(func.count())
                        .select_from(Subscriber)
                        .where(Subscriber.next_due_at <= self.now())
                    )
                    # Sends that may have reached Telegram unanswered: never resent.
                    in_doubt = await session.scalar(
                        select(func.count())
                        .select_from(Delivery)
                        .where(Delivery.status == DeliveryStatus.UNKNOWN)
                    )
                    broadcasts_in_doubt = await session.scalar(
                        select(func.count())
                        .select_from(BroadcastDelivery)
                        .where(BroadcastDelivery.status == BroadcastDeliveryStatus.UNKNOWN)
                    )
        except TimeoutError:
            problems.append(f"database: no answer within {self.limits.db_timeout:g} s")
            return {"database": "timeout"}
        except Exception as exc:
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
            problems.append(f"database: {type(exc).__name__}: {reason}")
            return {"database": "error"}
        return {
            "database": "ok",
            "database_ms": round((time.perf_counter() - started) * 1000, 1),
            "due_backlog": int(backlog or 0),
            "deliveries_in_doubt": int(in_doubt or 0),
            "broadcast_deliveries_in_doubt": int(broadcasts_in_doubt or 0),
        }

    def _check_delivery(self, problems: list[str]) -> dict[str, object]:
        if self.engine is None or self.sender is None:
            problems.append("scheduler: delivery is not running")
            return {"scheduler": "not running"}
        now = time.monotonic()
        limits = self.limits
        tick_age = now - self._last_tick_seen
        send_age = now - self._last_send_seen
        paused = float(self.sender.paused_for)
        waiting = int(getattr(getattr(self.sender, "pacer", None), "waiting", 0))
        busy = bool(self.engine.busy)
        ticking = tick_age <= limits.max_tick_age or (
            busy and (send_age <= limits.max_tick_age or 0 < paused <= limits.max_pause)
        )
        if not ticking:
            problems.append(
                f"scheduler: no delivery tick finished for {tick_age:.0f} s "
                f"(limit {limits.max_tick_age:g} s)"
            )
        stalled = paused > limits.max_pause or (
            waiting > 0 and paused == 0 and send_age > limits.max_tick_age
        )
        if paused > limits.max_pause:
            problems.append(
                f"sender: paused by Telegram (429) for {paused:.0f} s more "
                f"(limit {limits.max_pause:g} s)"
            )
        elif stalled:
            problems.append(f"sender: {waiting} messages waiting, none sent for {send_age:.0f} s")
        return {
            "scheduler": ("busy" if busy else "ticking") if ticking else "late",
            "ticks": self._ticks,
            "last_tick_age_seconds": round(tick_age, 1),
            "sender": "stalled" if stalled else ("paused" if paused > 0 else "ok"),
            "sender_paused_seconds": round(paused, 1),
            "sender_waiting": waiting,
        }


def _sqlite_file(db: Database) -> Path | None:
    name = db.url.database if db.is_sqlite else None
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name).resolve()


def _file_id(path: Path | None) -> tuple[int, int] | None:
    if path is None:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino
