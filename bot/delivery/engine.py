"""The delivery tick: claim due subscribers, write the ledger, send, record the outcome.

The database is the truth. Each tick:
1. resumes pauses that ended, and recovers rows a dead process left behind
   ("sending" becomes "unknown" and is never resent; "claimed" becomes claimable again);
2. claims due subscribers (`next_due_at <= now`, by its index; on PostgreSQL with
   FOR UPDATE SKIP LOCKED so replicas share the work), chooses each one's tip, inserts a
   ledger row per (subscriber, local date) (a second row for the same date cannot exist)
   and moves `next_due_at` to the next local send time, all in one transaction;
3. sends through the one paced sender, marking each row "sending" right before its
   request leaves (only if it is still this claim's: /today may have taken it) and
   storing the outcome after;
4. retries rows that certainly failed (never reached Telegram) on later ticks while inside
   the catch-up window; a send that may have reached Telegram (read timeout, dropped
   connection, 5xx) is "unknown" and never sent again; anything later than the window is
   recorded as missed, never sent late;
5. stores the tick's counts.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.content.catalog import Catalogs
from bot.content.library import Library
from bot.content.models import Tip
from bot.db.engine import Database
from bot.db.models import Delivery, DeliveryStatus, Subscriber, SubscriberStatus, TickRun
from bot.delivery import message
from bot.outbound.ledger import LedgerWriter
from bot.outbound.outcome import MessageSender, SendOutcome, SendResult, SendStopped
from bot.schedule.due import next_due
from bot.schedule.plan import Decision, plan_day
from bot.subscribers.store import profile_of, reschedule

log = logging.getLogger(__name__)

LibraryProvider = Callable[[AsyncSession], Awaitable[Library]]

# A tip counts as seen (so it does not come again soon) once it may have reached them.
SEEN = (
    DeliveryStatus.SENT,
    DeliveryStatus.UNKNOWN,
    DeliveryStatus.SENDING,
    DeliveryStatus.CLAIMED,
    DeliveryStatus.FAILED,
)

NOT_SEEN = tuple(s for s in DeliveryStatus if s not in SEEN)

# The ledger row a day's decision writes (an inactive subscriber's day writes none).
_STATUS_OF = {
    Decision.MISSED: DeliveryStatus.MISSED,
    Decision.PAUSED: DeliveryStatus.SKIPPED,
    Decision.SKIPPED: DeliveryStatus.SKIPPED,
    Decision.TIP: DeliveryStatus.CLAIMED,
}


@dataclass(frozen=True)
class EngineConfig:
    """How the engine behaves; built from Settings by the app."""

    replica: str = "main"
    catch_up: dt.timedelta = dt.timedelta(hours=3)
    batch: int = 500
    lease: dt.timedelta = dt.timedelta(seconds=30)
    retry_after: dt.timedelta = dt.timedelta(seconds=60)
    max_attempts: int = 3
    in_flight: int = 256


_DELIVERIES = cast(Table, Delivery.__table__)
_SUBSCRIBERS = cast(Table, Subscriber.__table__)
_D = _DELIVERIES.c
# Moving each claimed subscriber's next due instant: one Core executemany by primary key
# (the ORM's bulk update by primary key cost as much again as the insert).
_MOVE = (
    update(_SUBSCRIBERS)
    .where(_SUBSCRIBERS.c.id == bindparam("b_id", type_=_SUBSCRIBERS.c.id.type))
    .values(next_due_at=bindparam("b_due", type_=_SUBSCRIBERS.c.next_due_at.type))
)


def claim_size(rate: float, lease_seconds: float) -> int:
    """How many rows one claim takes: what `rate` (this replica's share of the deployment's
    rate) sends in a quarter of a lease, so the claim made ahead waits well inside its lease
    and a second replica finds the rest; at least 10, at most 1,000."""
    return max(10, min(1000, int(rate * lease_seconds / 4)))


@dataclass
class TickReport:
    """What one tick did."""

    due: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    rate_limited: int = 0
    duration_ms: int = 0

    def add(self, status: str, n: int = 1) -> None:
        """Count rows that reached `status`."""
        self.counts[status] += n


@dataclass(frozen=True)
class _Job:
    delivery_id: int
    subscriber_id: int
    chat_id: int
    language: str
    tip: Tip
    tips_so_far: int
    claimed_by: str


class DeliveryEngine:
    """Plans and sends the daily tips; one per process, ticked by the scheduler."""

    def __init__(
        self,
        db: Database,
        catalogs: Catalogs,
        sender: MessageSender,
        clock: Clock,
        library: LibraryProvider,
        config: EngineConfig | None = None,
    ) -> None:
        self._db = db
        self._catalogs = catalogs
        self._sender = sender
        self._clock = clock
        self._library = library
        self.config = config or EngineConfig()
        # Each process start is a new instance of the replica: rows claimed by an earlier
        # instance of the same replica were left by a process that died.
        self._instance = f"{self.config.replica}#{uuid.uuid4().hex[:8]}"
        self._lock = asyncio.Lock()
        self._stopping = False
        self._cancel_waiting: Callable[[], object] | None = None
        self._recovered = False
        self.on_wake: Callable[[], None] | None = None
        # The claim size now (this replica's share of the rate changes as replicas come and
        # go, bot/runtime/replicas.py); None: config.batch.
        self.batch_size: Callable[[], int] | None = None
        self.last_tick_at: dt.datetime | None = None
        self.last_report: TickReport | None = None
        self.ticks = 0

    @property
    def busy(self) -> bool:
        """Whether a tick is running now."""
        return self._lock.locked()

    def wake(self) -> None:
        """Ask for a tick now (the sandbox calls this after moving the clock)."""
        if self.on_wake is not None:
            self.on_wake()

    async def idle(self) -> None:
        """Return once no tick is running."""
        async with self._lock:
            return

    async def tick_if_idle(self) -> TickReport | None:
        """Run a tick unless one is running already (ticks never overlap)."""
        if self._lock.locked():
            return None
        return await self.tick()

    async def tick(self) -> TickReport:
        """Deliver everything due now; return what happened."""
        async with self._lock:
            started, clock_start = time.perf_counter(), self._clock.now()
            report = TickReport()
            if not self._recovered:
                await self._recover_own(clock_start)
                self._recovered = True
            await self._housekeeping(clock_start, report)
            claim = asyncio.create_task(self._claim_next(report))
            while True:
                jobs = await claim
                if not jobs or self._stopping:
                    if jobs:
                        await self._release([j.delivery_id for j in jobs])
                    break
                # Claim the next batch while this one is sent, so claiming and sending no
                # longer take turns (at 1,000/s a claim of 1,000 was a third of every second).
                # A batch is what this replica's pacer sends in a quarter of a lease
                # (`claim_size`), so the next one waits well inside its lease.
                claim = asyncio.create_task(self._claim_next(report))
                try:
                    await self._send(jobs, report)
                except BaseException:
                    await self._release_when_claimed(claim)
                    raise
            report.duration_ms = int((time.perf_counter() - started) * 1000)
            await self._store(clock_start, report)
            self.last_tick_at, self.last_report = clock_start, report
            self.ticks += 1
            if report.due:
                log.info(
                    "tick: %d due, %s, %d ms",
                    report.due,
                    ", ".join(f"{n} {status}" for status, n in sorted(report.counts.items()) if n)
                    or "nothing sent",
                    report.duration_ms,
                )
            return report

    async def _claim_next(self, report: TickReport) -> list[_Job]:
        """The next batch: due subscribers, then failed or abandoned rows due another try."""
        now = self._clock.now()
        async with self._db.session() as session:
            library = await self._library(session)
        jobs = await self._claim_due(now, library, report)
        jobs += await self._reclaim(now, library, report)
        return jobs

    def _batch(self) -> int:
        return self.config.batch if self.batch_size is None else self.batch_size()

    async def _release_when_claimed(self, claim: asyncio.Task[list[_Job]]) -> None:
        """Hand back a batch claimed ahead when its tick ends early (an error, a cancel)."""
        try:
            jobs = await asyncio.shield(claim)
        except BaseException:
            log.exception("could not finish the claim made ahead; its rows wait for their lease")
            return
        if jobs:
            await self._release([j.delivery_id for j in jobs])

    # -- before claiming -----------------------------------------------------------------

    async def _recover_own(self, now: dt.datetime) -> None:
        """Rows an earlier instance of this replica left: in doubt, or free to claim now."""
        prefix = f"{self.config.replica}#%"
        async with self._db.session() as session, session.begin():
            mine = Delivery.claimed_by.like(prefix) & (Delivery.claimed_by != self._instance)
            unknown = await session.execute(
                update(Delivery)
                .where(mine, Delivery.status == DeliveryStatus.SENDING)
                .values(status=DeliveryStatus.UNKNOWN, updated_at=now)
            )
            freed = await session.execute(
                update(Delivery)
                .where(mine, Delivery.status == DeliveryStatus.CLAIMED)
                .values(lease_until=now, updated_at=now)
            )
        counts = (getattr(unknown, "rowcount", 0), getattr(freed, "rowcount", 0))
        if any(counts):
            log.warning(
                "recovered after a restart: %d sends in doubt marked unknown (not resent), "
                "%d planned sends taken up again",
                *counts,
            )

    async def _housekeeping(self, now: dt.datetime, report: TickReport) -> None:
        async with self._db.session() as session, session.begin():
            # Pauses that ended: the due instant was already set past the pause.
            await session.execute(
                update(Subscriber)
                .where(
                    Subscriber.status == SubscriberStatus.PAUSED,
                    Subscriber.paused_until <= now,
                )
                .values(status=SubscriberStatus.ACTIVE, paused_until=None, updated_at=now)
            )
            # Another replica died mid-send: its rows in doubt stay unsent.
            stale = await session.execute(
                update(Delivery)
                .where(Delivery.status == DeliveryStatus.SENDING, Delivery.lease_until < now)
                .values(status=DeliveryStatus.UNKNOWN, updated_at=now)
            )
            report.add(DeliveryStatus.UNKNOWN, getattr(stale, "rowcount", 0) or 0)

    # -- claiming ------------------------------------------------------------------------

    async def _claim_due(
        self, now: dt.datetime, library: Library, report: TickReport
    ) -> list[_Job]:
        token = f"{self._instance}:{uuid.uuid4().hex[:8]}"
        async with self._db.session() as session, session.begin():
            # Core rows, not ORM objects: a claim reads 1,000 subscribers and changes none
            # of them through the ORM (bench/README.md, "Delivery end to end at paid speed").
            query = (
                select(_SUBSCRIBERS)
                .where(_SUBSCRIBERS.c.next_due_at <= now)
                .order_by(_SUBSCRIBERS.c.next_due_at)
                .limit(self._batch())
            )
            if not self._db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            due = (await session.execute(query)).all()
            if not due:
                return []
            report.due += len(due)
            history = await history_of(session, [s.id for s in due])
            rows: list[dict[str, Any]] = []
            moves: list[dict[str, Any]] = []
            for sub in due:
                due_at = sub.next_due_at
                assert due_at is not None
                plan = plan_day(
                    library,
                    # profile_of reads only columns, which a row has by the same names.
                    profile_of(cast(Subscriber, sub)),
                    history[sub.id].last_seen,
                    due_at=due_at,
                    now=now,
                    catch_up=self.config.catch_up,
                )
                if plan.decision == Decision.INACTIVE:
                    # Rare (a status changed without its due instant): the store's own rule,
                    # on a transient object that no session ever sees.
                    gone = Subscriber(**sub._mapping)
                    reschedule(gone, now)
                    moves.append({"id": sub.id, "next_due_at": gone.next_due_at})
                    continue
                moves.append(
                    {"id": sub.id, "next_due_at": next_due(sub.send_time, sub.timezone, now)}
                )
                row = {
                    "subscriber_id": sub.id,
                    "local_date": plan.day,
                    "due_at": due_at,
                    "tip_id": plan.tip.id if plan.tip is not None else None,
                    "status": _STATUS_OF[plan.decision],
                    "attempts": 0,
                    "claimed_by": token,
                    "lease_until": now + self.config.lease,
                    "error": plan.reason[:200] if plan.reason is not None else None,
                    "created_at": now,
                    "updated_at": now,
                }
                rows.append(row)
            if rows:
                # executemany with RETURNING: one statement compiled once, not 11,000 binds.
                inserted = await session.execute(
                    self._insert_ignore().returning(_DELIVERIES.c.id, _DELIVERIES.c.status), rows
                )
                for _id, status in inserted:
                    report.add(status)
            await session.execute(
                _MOVE, [{"b_id": m["id"], "b_due": m["next_due_at"]} for m in moves]
            )
            claimed = await session.execute(
                select(Delivery.id, Delivery.subscriber_id, Delivery.tip_id).where(
                    Delivery.claimed_by == token, Delivery.status == DeliveryStatus.CLAIMED
                )
            )
            by_id = {s.id: s for s in due}
            jobs = []
            for delivery_id, sub_id, tip_id in claimed:
                sub = by_id[sub_id]
                tip = library.tip(tip_id) if tip_id else None
                assert tip is not None
                jobs.append(
                    _Job(
                        delivery_id,
                        sub_id,
                        sub.chat_id,
                        sub.language,
                        tip,
                        history[sub_id].count,
                        token,
                    )
                )
            # Counted as "claimed" above; they are counted again by their outcome.
            report.counts[DeliveryStatus.CLAIMED] -= len(jobs)
            return jobs

    def _insert_ignore(self) -> Any:
        # On the table, not the mapped class: Core's executemany, not the ORM's bulk insert
        # (which built and tracked 1,000 rows' state per claim: bench/README.md).
        dialect = sqlite if self._db.is_sqlite else postgresql
        return dialect.insert(_DELIVERIES).on_conflict_do_nothing(
            index_elements=["subscriber_id", "local_date"]
        )

    async def _reclaim(self, now: dt.datetime, library: Library, report: TickReport) -> list[_Job]:
        """Failed sends due another try, and planned sends whose claimer died."""
        token = f"{self._instance}:{uuid.uuid4().hex[:8]}"
        async with self._db.session() as session, session.begin():
            query = (
                select(Delivery, Subscriber)
                .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
                .where(
                    Delivery.status.in_((DeliveryStatus.CLAIMED, DeliveryStatus.FAILED)),
                    Delivery.lease_until <= now,
                )
                .order_by(Delivery.lease_until)
                .limit(self._batch())
            )
            if not self._db.is_sqlite:
                query = query.with_for_update(of=Delivery, skip_locked=True)
            found = [(row[0], row[1]) for row in await session.execute(query)]
            if not found:
                return []
            history = await history_of(session, [sub.id for _d, sub in found])
            jobs = []
            for delivery, sub in found:
                tip = library.tip(delivery.tip_id) if delivery.tip_id else None
                too_late = now - delivery.due_at > self.config.catch_up
                spent = delivery.attempts >= self.config.max_attempts
                if too_late or spent or tip is None or sub.status != SubscriberStatus.ACTIVE:
                    delivery.status = DeliveryStatus.EXPIRED
                    delivery.updated_at = now
                    report.add(DeliveryStatus.EXPIRED)
                    continue
                delivery.claimed_by = token
                delivery.lease_until = now + self.config.lease
                delivery.updated_at = now
                delivery.status = DeliveryStatus.CLAIMED
                jobs.append(
                    _Job(
                        delivery.id,
                        sub.id,
                        sub.chat_id,
                        sub.language,
                        tip,
                        history[sub.id].count - 1,
                        token,
                    )
                )
            return jobs

    # -- sending -------------------------------------------------------------------------

    async def _send(self, jobs: list[_Job], report: TickReport) -> None:
        renewer = asyncio.create_task(self._renew_leases([j.delivery_id for j in jobs]))
        try:
            await self._send_all(jobs, report)
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer

    async def _renew_leases(self, ids: list[int]) -> None:
        """Keep our planned rows ours while they wait for the pacer (a 429 pause can be long),
        so another replica never takes them up while this one is alive."""
        every = max(0.5, self.config.lease.total_seconds() / 3)
        while True:
            await asyncio.sleep(every)
            now = self._clock.now()
            try:
                async with self._db.session() as session, session.begin():
                    await session.execute(
                        update(Delivery)
                        .where(
                            Delivery.id.in_(ids),
                            Delivery.status.in_((DeliveryStatus.CLAIMED, DeliveryStatus.SENDING)),
                        )
                        .values(lease_until=now + self.config.lease)
                    )
            except Exception:
                log.exception("could not renew the delivery lease")

    async def _send_all(self, jobs: list[_Job], report: TickReport) -> None:
        limit = asyncio.Semaphore(self.config.in_flight)
        async with LedgerWriter(
            self._db,
            self._clock.now,
            retry_after=self.config.retry_after,
            lease=self.config.lease,
        ) as ledger:
            started: set[int] = set()

            async def one(job: _Job) -> None:
                async def mark() -> None:
                    if self._stopping:
                        raise _Stopping
                    started.add(job.delivery_id)
                    if not await ledger.mark_sending(job.delivery_id, job.claimed_by):
                        raise _Taken  # /today or another replica has it now

                async with limit:
                    params = message.daily_tip(
                        self._catalogs,
                        job.tip,
                        job.language,
                        delivery_id=job.delivery_id,
                        tips_so_far=job.tips_so_far,
                    )
                    params["chat_id"] = job.chat_id
                    try:
                        result = await self._sender.send(
                            job.chat_id, "sendMessage", params, on_start=mark
                        )
                    except (_Stopping, _Taken, SendStopped):
                        return
                    except Exception:
                        # The mark could not be stored, so nothing left: the row stays
                        # claimed and is taken up again when its lease runs out.
                        log.exception("delivery %d not sent", job.delivery_id)
                        return
                    ledger.record(job.delivery_id, job.subscriber_id, result)
                    _count(report, result)

            tasks = {job.delivery_id: asyncio.create_task(one(job)) for job in jobs}
            self._cancel_waiting = lambda: [
                task.cancel() for ident, task in tasks.items() if ident not in started
            ]
            try:
                await asyncio.gather(*tasks.values(), return_exceptions=True)
            finally:
                self._cancel_waiting = None
            unsent = [ident for ident, task in tasks.items() if ident not in started]
        if self._stopping and unsent:
            await self._release(unsent)

    async def _release(self, ids: list[int]) -> None:
        """Hand planned rows we will not send to whoever ticks next (this or another replica)."""
        now = self._clock.now()
        async with self._db.session() as session, session.begin():
            await session.execute(
                update(Delivery)
                .where(Delivery.id.in_(ids), Delivery.status == DeliveryStatus.CLAIMED)
                .values(lease_until=now, updated_at=now)
            )
        log.info("stopping: %d planned tips left for the next tick", len(ids))

    def stop(self) -> None:
        """Stop sending: no new message starts and the rest stay planned; messages on their
        way finish within the sender's grace (or end in doubt, see `Sender.stop`)."""
        self._stopping = True
        if self._cancel_waiting is not None:
            self._cancel_waiting()

    async def _store(self, started: dt.datetime, report: TickReport) -> None:
        if not report.due and not report.counts.total():
            return
        c = report.counts
        try:
            async with self._db.session() as session, session.begin():
                session.add(
                    TickRun(
                        replica=self.config.replica,
                        started_at=started,
                        duration_ms=report.duration_ms,
                        due=report.due,
                        sent=c[DeliveryStatus.SENT],
                        failed=c[DeliveryStatus.FAILED],
                        blocked=c[DeliveryStatus.BLOCKED],
                        rejected=c[DeliveryStatus.REJECTED],
                        missed=c[DeliveryStatus.MISSED],
                        skipped=c[DeliveryStatus.SKIPPED],
                        unknown=c[DeliveryStatus.UNKNOWN],
                        expired=c[DeliveryStatus.EXPIRED],
                        rate_limited=report.rate_limited,
                    )
                )
        except Exception:
            log.exception("could not store the tick's counts")


def _count(report: TickReport, result: SendResult) -> None:
    status = {
        SendOutcome.SENT: DeliveryStatus.SENT,
        SendOutcome.BLOCKED: DeliveryStatus.BLOCKED,
        SendOutcome.REJECTED: DeliveryStatus.REJECTED,
        SendOutcome.FAILED: DeliveryStatus.FAILED,
        SendOutcome.UNKNOWN: DeliveryStatus.UNKNOWN,
    }[result.outcome]
    report.add(status)
    report.rate_limited += result.rate_limited


class _Stopping(Exception):
    """The engine is stopping: this message stays planned."""


class _Taken(Exception):
    """The row is no longer this claim's (/today sent it, or another replica took it)."""


@dataclass
class _History:
    last_seen: dict[str, dt.date] = field(default_factory=dict)
    count: int = 0


async def history_of(session: AsyncSession, subscriber_ids: list[int]) -> dict[int, _History]:
    """Which tips each subscriber has had (last local date of each), and how many in all."""
    found: dict[int, _History] = defaultdict(_History)
    if not subscriber_ids:
        return found
    # Plain rows folded here rather than GROUP BY (tip_id) in SQL: a subscriber has each
    # tip about once, so grouping returned as many rows and SQLite sorted them first; and
    # Core rows, not the ORM's (a claim reads ~30 rows per subscriber: bench/README.md).
    query = select(_D.subscriber_id, _D.tip_id, _D.local_date).where(
        _D.subscriber_id.in_(subscriber_ids),
        _D.tip_id.is_not(None),
        # NOT IN, so that no database picks the status index and reads the whole
        # ledger: the subscriber index finds each one's few rows.
        _D.status.not_in(NOT_SEEN),
    )
    for sub_id, tip_id, day in await session.execute(query):
        item = found[sub_id]
        last = item.last_seen.get(tip_id)
        if last is None or day > last:
            item.last_seen[tip_id] = day
        item.count += 1
    return found


def static_library(library: Library) -> LibraryProvider:
    """A provider that always returns the same library (tests, and before admin edits)."""

    async def provide(_session: AsyncSession) -> Library:
        return library

    return provide
