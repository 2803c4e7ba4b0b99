"""Send a broadcast: one replica at a time under a lease, through the one paced sender, with a
ledger row per recipient written before anything leaves. No Telegram here.

A run:
1. takes the broadcast's lease (`leases`, name "broadcast:<id>") in the same transaction
   that reads the broadcast row (on PostgreSQL with FOR UPDATE SKIP LOCKED, so replicas
   never both start it). A first run writes one "claimed" row per recipient and fixes the
   total; a run taking over from a replica that died marks that replica's in-flight rows
   "unknown" (never resent: at most once, like the daily tips);
2. sends each claimed row: the row becomes "sending" in `on_start`, right before its
   request leaves, and only if it was still claimed (so nobody sends it twice), then
   "sent", "failed", "blocked" (the subscriber is marked blocked) or "rejected";
   failed rows get another pass, up to `max_attempts`;
3. renews the lease every `poll` seconds while it runs and checks whether an admin pressed
   stop; reports progress every `progress_every` seconds and once at the end.

One rule for a send in doubt, as for the daily tips: a send that may have reached
Telegram (read timeout, dropped connection, 5xx) is recorded "unknown" and never sent
again; only "failed" rows (certainly not delivered: no connection, 429s) get another pass.

A replica that dies leaves its lease to expire; the next run on any replica takes over.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from bot.admin.broadcasts.compose import Draft, delivery_counts, message
from bot.admin.broadcasts.ledger import Ledger, Outcome
from bot.admin.broadcasts.progress import Progress, ProgressSink
from bot.clock import Clock
from bot.db.base import UTCDateTime
from bot.db.engine import Database
from bot.db.models import (
    Broadcast,
    BroadcastDelivery,
    BroadcastDeliveryStatus,
    BroadcastStatus,
    Lease,
    Subscriber,
    SubscriberStatus,
)
from bot.outbound.outcome import MessageSender, SendOutcome, SendStopped

log = logging.getLogger(__name__)

S = BroadcastDeliveryStatus
_FINAL = {
    SendOutcome.SENT: S.SENT,
    SendOutcome.BLOCKED: S.BLOCKED,
    SendOutcome.REJECTED: S.REJECTED,
    SendOutcome.FAILED: S.FAILED,
    SendOutcome.UNKNOWN: S.UNKNOWN,
}


@dataclass(frozen=True)
class RunnerConfig:
    """How a run behaves; the defaults suit production."""

    lease: dt.timedelta = dt.timedelta(seconds=60)
    batch: int = 200
    in_flight: int = 64
    max_attempts: int = 3
    poll: float = 1.0  # seconds between lease renewals and stop checks
    retry_pause: float = 5.0  # seconds before another pass over failed sends
    progress_every: float = 1.0  # seconds between progress reports (one edit a second)


class _Skip(Exception):
    """Raised from on_start: this row must not be sent (taken, stopped, shutting down)."""


class _Gone(Exception):
    """The broadcast was cancelled between reading it and starting it."""


async def due_broadcast_ids(db: Database, now: dt.datetime) -> list[int]:
    """Broadcasts to run: scheduled ones whose time has come, and ones sending (a run may
    have died; its lease says whether another replica is still on it)."""
    async with db.session() as session:
        query = (
            select(Broadcast.id)
            .where(
                ((Broadcast.status == BroadcastStatus.SCHEDULED) & (Broadcast.send_at <= now))
                | (Broadcast.status == BroadcastStatus.SENDING)
            )
            .order_by(Broadcast.send_at, Broadcast.id)
        )
        return list(await session.scalars(query))


async def run_due_broadcasts(
    db: Database,
    sender: MessageSender,
    clock: Clock,
    *,
    replica: str = "main",
    on_progress: ProgressSink | None = None,
    config: RunnerConfig | None = None,
    halt: Callable[[], bool] | None = None,
) -> list[Progress]:
    """Run every due broadcast this replica can take, to the end; return their last progress.

    Broadcasts another replica is running (its lease holds) are left to it.
    """
    ids = await due_broadcast_ids(db, clock.now())
    results = await asyncio.gather(
        *(
            run_broadcast(
                db,
                sender,
                clock,
                broadcast_id,
                replica=replica,
                on_progress=on_progress,
                config=config,
                halt=halt,
            )
            for broadcast_id in ids
        )
    )
    return [r for r in results if r is not None]


async def run_broadcast(
    db: Database,
    sender: MessageSender,
    clock: Clock,
    broadcast_id: int,
    *,
    replica: str = "main",
    on_progress: ProgressSink | None = None,
    config: RunnerConfig | None = None,
    halt: Callable[[], bool] | None = None,
) -> Progress | None:
    """Run one broadcast if it is due and free; None when it is not this replica's to run.

    `halt` is polled: when it returns True (the process is shutting down) the run stops
    taking new rows, lets in-flight ones finish and gives the lease up, so the next start
    carries on where this one left off.
    """
    run = _Run(db, sender, clock, broadcast_id, replica, on_progress, config or RunnerConfig())
    return await run.execute(halt or (lambda: False))


class _Run:
    def __init__(
        self,
        db: Database,
        sender: MessageSender,
        clock: Clock,
        broadcast_id: int,
        replica: str,
        on_progress: ProgressSink | None,
        config: RunnerConfig,
    ) -> None:
        self.db, self.sender, self.clock = db, sender, clock
        self.id = broadcast_id
        self.holder = f"{replica}#{uuid.uuid4().hex[:8]}"
        self.lease_name = f"broadcast:{broadcast_id}"
        self.on_progress = on_progress
        self.config = config
        self.stopped = False  # an admin pressed stop
        self.lost = False  # another replica holds the lease now
        self.halting = False  # this process is shutting down
        self.started = time.monotonic()
        self.done_at_start = 0
        self.last_progress = 0.0
        self._halt: Callable[[], bool] = lambda: False

    @property
    def halted(self) -> bool:
        """Whether this run takes no more rows (stopped, lease lost, or shutting down)."""
        return self.stopped or self.lost or self.halting

    async def execute(self, halt: Callable[[], bool]) -> Progress | None:
        """Take the lease, send, finish; None when the broadcast is not ours to run."""
        broadcast = await self._acquire()
        if broadcast is None:
            return None
        self._halt = halt
        self.done_at_start = (await self._progress()).done
        finished = asyncio.Event()
        monitor = asyncio.create_task(self._monitor(finished), name=f"broadcast-{self.id}-lease")
        try:
            await self._send_all(broadcast)
        except BaseException:
            monitor.cancel()
            raise
        # Let the monitor finish what it is doing: cancelling it inside a transaction could
        # leave SQLite's write lock held by a connection that never rolls back.
        finished.set()
        await monitor
        return await self._finish()

    # -- lease ---------------------------------------------------------------------------

    async def _acquire(self) -> Broadcast | None:
        now = self.clock.now()
        try:
            async with self.db.session() as session, session.begin():
                query = select(Broadcast).where(
                    Broadcast.id == self.id,
                    Broadcast.status.in_((BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING)),
                    Broadcast.send_at <= now,
                )
                if not self.db.is_sqlite:
                    query = query.with_for_update(skip_locked=True)
                broadcast = await session.scalar(query)
                if broadcast is None:
                    return None
                lease_query = select(Lease).where(Lease.name == self.lease_name)
                if not self.db.is_sqlite:
                    lease_query = lease_query.with_for_update()
                lease = await session.scalar(lease_query)
                expires = now + self.config.lease
                if lease is None:
                    session.add(Lease(name=self.lease_name, holder=self.holder, expires_at=expires))
                elif lease.expires_at > now:
                    return None  # another run is on it
                else:
                    lease.holder, lease.expires_at = self.holder, expires
                if broadcast.status == BroadcastStatus.SCHEDULED:
                    await self._start(session, broadcast, now)
                else:
                    await self._take_over(session, now)
                await session.flush()
        except (IntegrityError, OperationalError, _Gone) as exc:
            # Another replica took the lease at the same moment, or it was just cancelled.
            log.info("broadcast %d: not taken this time (%s)", self.id, type(exc).__name__)
            return None
        return broadcast

    async def _start(self, session: Any, broadcast: Broadcast, now: dt.datetime) -> None:
        """Write the ledger: one claimed row per recipient. The audience is fixed here."""
        moved = await session.execute(
            update(Broadcast)
            .where(Broadcast.id == self.id, Broadcast.status == BroadcastStatus.SCHEDULED)
            .values(status=BroadcastStatus.SENDING, started_at=now, updated_at=now)
        )
        if not getattr(moved, "rowcount", 0):
            raise _Gone
        recipients = select(
            literal(self.id),
            Subscriber.id,
            literal(S.CLAIMED.value),
            literal(0),
            literal(now, UTCDateTime()),
        ).where(Draft.of(broadcast).audience.clause())
        await session.execute(
            insert(BroadcastDelivery).from_select(
                ["broadcast_id", "subscriber_id", "status", "attempts", "updated_at"],
                recipients,
            )
        )
        total = await session.scalar(
            select(func.count())
            .select_from(BroadcastDelivery)
            .where(BroadcastDelivery.broadcast_id == self.id)
        )
        await session.execute(
            update(Broadcast).where(Broadcast.id == self.id).values(total=int(total or 0))
        )
        broadcast.status, broadcast.total, broadcast.started_at = (
            BroadcastStatus.SENDING,
            int(total or 0),
            now,
        )
        log.info("broadcast %d: started for %d recipients", self.id, broadcast.total)

    async def _take_over(self, session: Any, now: dt.datetime) -> None:
        """The last run died: its in-flight rows are in doubt and are never resent."""
        log.warning(
            "broadcast %d: taken over from a run that stopped; %d sends in doubt not resent",
            self.id,
            await self._in_doubt(session, now),
        )

    async def _monitor(self, finished: asyncio.Event) -> None:
        """Renew the lease, notice a stop, report progress, until `finished` is set."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(finished.wait(), self.config.poll)
            if finished.is_set():
                return
            try:
                await self._check()
            except Exception:
                log.exception("broadcast %d: lease check failed; trying again", self.id)

    async def _check(self) -> None:
        now = self.clock.now()
        async with self.db.session() as session, session.begin():
            renewed = await session.execute(
                update(Lease)
                .where(Lease.name == self.lease_name, Lease.holder == self.holder)
                .values(expires_at=now + self.config.lease)
            )
            if not getattr(renewed, "rowcount", 0):
                if not self.lost:
                    log.warning("broadcast %d: lease lost to another replica", self.id)
                self.lost = True
            status = await session.scalar(select(Broadcast.status).where(Broadcast.id == self.id))
        if status != BroadcastStatus.SENDING:
            self.stopped = True
        if self._halt():
            self.halting = True
        if time.monotonic() - self.last_progress >= self.config.progress_every:
            await self._report()

    # -- sending -------------------------------------------------------------------------

    async def _send_all(self, broadcast: Broadcast) -> None:
        method, params = message(Draft.of(broadcast))
        limit = asyncio.Semaphore(self.config.in_flight)
        tasks: set[asyncio.Task[None]] = set()
        await self._report()
        async with Ledger(self.db, self.clock.now) as ledger:
            try:
                # First the claimed rows, then passes over failed ones while tries remain.
                for number in range(self.config.max_attempts):
                    statuses = (S.FAILED,) if number else (S.CLAIMED,)
                    if number:
                        await ledger.drain()
                        if self._should_halt() or not await self._batch(statuses, 0):
                            return
                        await asyncio.sleep(self.config.retry_pause)
                    after = 0
                    while not self._should_halt():
                        rows = await self._batch(statuses, after)
                        if not rows:
                            break
                        after = rows[-1][0]
                        for row in rows:
                            await limit.acquire()
                            if self._should_halt():
                                limit.release()
                                break
                            one = self._one(row, method, params, ledger, limit)
                            task = asyncio.create_task(one)
                            tasks.add(task)
                            task.add_done_callback(tasks.discard)
                    if tasks:
                        await asyncio.gather(*tasks)
            except asyncio.CancelledError:
                # The process is going down: its sends die with it, as in a crash.
                for task in tasks:
                    task.cancel()
                raise

    def _should_halt(self) -> bool:
        if not self.halting and self._halt():
            self.halting = True
        return self.halted

    async def _batch(
        self, statuses: tuple[str, ...], after: int
    ) -> list[tuple[int, int, int, str]]:
        async with self.db.session() as session:
            query = (
                select(
                    BroadcastDelivery.id,
                    Subscriber.id,
                    Subscriber.chat_id,
                    Subscriber.status,
                )
                .join(Subscriber, Subscriber.id == BroadcastDelivery.subscriber_id)
                .where(
                    BroadcastDelivery.broadcast_id == self.id,
                    BroadcastDelivery.status.in_(statuses),
                    BroadcastDelivery.attempts < self.config.max_attempts,
                    BroadcastDelivery.id > after,
                )
                .order_by(BroadcastDelivery.id)
                .limit(self.config.batch)
            )
            return [(a, b, c, str(d)) for a, b, c, d in await session.execute(query)]

    async def _one(
        self,
        row: tuple[int, int, int, str],
        method: str,
        params: dict[str, Any],
        ledger: Ledger,
        limit: asyncio.Semaphore,
    ) -> None:
        delivery_id, _subscriber_id, chat_id, status = row
        try:
            if status != SubscriberStatus.ACTIVE:
                ledger.record(Outcome(delivery_id, chat_id, S.SKIPPED, reason=f"now {status}"))
                return

            async def on_start() -> None:
                if self._should_halt() or not await ledger.mark_sending(delivery_id):
                    raise _Skip

            try:
                result = await self.sender.send(
                    chat_id, method, {**params, "chat_id": chat_id}, on_start=on_start, bulk=True
                )
            except (_Skip, SendStopped):
                return
            status = _FINAL[result.outcome]
            ledger.record(Outcome(delivery_id, chat_id, status, result.message_id, result.reason))
        except Exception:
            # The row stays as it was ("claimed", or "sending" and then "unknown"): never
            # sent twice. The run goes on with the others.
            log.exception("broadcast %d: delivery %d not settled", self.id, delivery_id)
        finally:
            limit.release()

    # -- the end -------------------------------------------------------------------------

    async def _in_doubt(self, session: Any, now: dt.datetime) -> int:
        """Rows left "sending" by a run whose sends have all ended (this one, or one that
        died): their results were never written (a send raised, a write failed, the process
        died): in doubt, never resent. Returns how many."""
        doubt = await session.execute(
            update(BroadcastDelivery)
            .where(BroadcastDelivery.broadcast_id == self.id, BroadcastDelivery.status == S.SENDING)
            .values(status=S.UNKNOWN, updated_at=now)
        )
        return int(getattr(doubt, "rowcount", 0) or 0)

    async def _finish(self) -> Progress | None:
        now = self.clock.now()
        async with self.db.session() as session, session.begin():
            status = await session.scalar(select(Broadcast.status).where(Broadcast.id == self.id))
            if self.lost:
                pass  # the replica holding the lease now finishes it
            elif status == BroadcastStatus.STOPPED:
                await session.execute(
                    update(BroadcastDelivery)
                    .where(
                        BroadcastDelivery.broadcast_id == self.id,
                        BroadcastDelivery.status == S.CLAIMED,
                    )
                    .values(status=S.CANCELLED, updated_at=now)
                )
                await self._in_doubt(session, now)
                await self._end(session, status, now)
            elif not self.halting:
                await self._in_doubt(session, now)
                await self._end(session, BroadcastStatus.DONE, now)
            await session.execute(
                delete(Lease).where(Lease.name == self.lease_name, Lease.holder == self.holder)
            )
        progress = await self._report(final=True)
        if not self.halting and not self.lost:
            log.info(
                "broadcast %d %s: %d sent, %d blocked, %d failed of %d",
                self.id,
                progress.status,
                progress.sent,
                progress.blocked,
                progress.failed,
                progress.total,
            )
        return progress

    async def _end(self, session: Any, status: str, now: dt.datetime) -> None:
        await session.execute(
            update(Broadcast)
            .where(Broadcast.id == self.id)
            .values(status=status, finished_at=now, updated_at=now)
        )

    async def _progress(self) -> Progress:
        async with self.db.session() as session:
            counts = await delivery_counts(session, self.id)
            row = (
                await session.execute(
                    select(
                        Broadcast.status,
                        Broadcast.total,
                        Broadcast.language,
                        Broadcast.progress_chat_id,
                        Broadcast.progress_message_id,
                    ).where(Broadcast.id == self.id)
                )
            ).one()
        elapsed = time.monotonic() - self.started
        partial = Progress(self.id, row[0], row[1], counts, 0.0, elapsed, row[2], row[3], row[4])
        handled = partial.done - self.done_at_start
        rate = handled / elapsed if elapsed > 0.5 and handled > 0 else 0.0
        return Progress(self.id, row[0], row[1], counts, rate, elapsed, row[2], row[3], row[4])

    async def _report(self, *, final: bool = False) -> Progress:
        progress = await self._progress()
        self.last_progress = time.monotonic()
        if self.on_progress is not None and (final or not self.halted):
            if final and (self.lost or self.halting):
                return progress  # not the end: another run carries on
            try:
                await self.on_progress(progress)
            except Exception:
                log.exception("broadcast %d: progress report failed", self.id)
        return progress
