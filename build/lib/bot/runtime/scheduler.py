"""APScheduler drives the delivery tick (and any other periodic job) inside the bot's loop.

The scheduler only keeps time: the database holds what is due, so nothing is lost when a
process stops, and no APScheduler job store is shared between replicas.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.delivery.engine import DeliveryEngine
from bot.runtime.replicas import Replicas

log = logging.getLogger(__name__)

TICK_JOB = "delivery-tick"
HEARTBEAT_JOB = "replica-heartbeat"


class TickScheduler:
    """Runs the engine's tick every `interval` seconds, and at once when woken."""

    def __init__(
        self,
        engine: DeliveryEngine,
        interval: float,
        *,
        extra: tuple[Callable[[], Awaitable[object]], ...] = (),
        replicas: Replicas | None = None,
    ) -> None:
        self.engine = engine
        self.interval = interval
        self._extra = extra
        self.replicas = replicas
        self._scheduler = AsyncIOScheduler(timezone=dt.UTC)
        engine.on_wake = self.wake

    def start(self) -> None:
        """Start ticking; the first tick runs at once."""
        self._scheduler.add_job(
            self._tick,
            "interval",
            seconds=self.interval,
            id=TICK_JOB,
            # A tick that is still running makes the next one return at once, so a second
            # instance is allowed and no "skipped" warning is logged.
            max_instances=2,
            coalesce=True,
            misfire_grace_time=None,
            next_run_time=dt.datetime.now(dt.UTC),
        )
        if self.replicas is not None:
            # Its own job, not part of the tick: a tick lasts as long as a send time's
            # delivery, and the share of the rate must be re-read meanwhile.
            # `Replicas.start` made the first beat.
            self._scheduler.add_job(
                self._beat,
                "interval",
                seconds=self.replicas.interval,
                id=HEARTBEAT_JOB,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=None,
            )
        self._scheduler.start()

    def wake(self) -> None:
        """Run a tick now rather than at the next interval."""
        job = self._scheduler.get_job(TICK_JOB)
        if job is not None:
            job.modify(next_run_time=dt.datetime.now(dt.UTC))

    async def _tick(self) -> None:
        try:
            await self.engine.tick_if_idle()
        except Exception:
            log.exception("delivery tick failed; the next tick tries again")
        for job in self._extra:
            try:
                await job()
            except Exception:
                log.exception("periodic job %s failed", getattr(job, "__name__", job))

    async def _beat(self) -> None:
        assert self.replicas is not None
        try:
            await self.replicas.beat()
        except Exception:
            log.exception("replica heartbeat failed; the next one tries again")

    async def stop(self) -> None:
        """Stop scheduling; a tick in progress finishes (its sends are recorded)."""
        self.engine.stop()
        if self._scheduler.running:
            self._scheduler.pause()
        # Wait for the tick before shutting the scheduler down: its shutdown cancels
        # running jobs, and a cancelled tick could not record what it sent.
        async with self.engine_lock():
            pass
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        if self.replicas is not None:
            await self.replicas.leave()

    def engine_lock(self) -> _EngineIdle:
        """Wait until the engine is idle."""
        return _EngineIdle(self.engine)


class _EngineIdle:
    def __init__(self, engine: DeliveryEngine) -> None:
        self._engine = engine

    async def __aenter__(self) -> None:
        await self._engine.idle()

    async def __aexit__(self, *_exc: object) -> None:
        return None
