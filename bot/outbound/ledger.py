"""The one group-commit ledger writer: "sending" marks and results of sends, batched into
few short transactions; daily tips (`LedgerWriter`, below) and broadcasts
(`bot.admin.broadcasts.ledger`) each say only what their table's statements are.

"sending" marks are group-committed: every message waits (a few milliseconds) for the
transaction that marks it, so the request never leaves before its mark is stored. Results
ride along in the same transactions, and so does marking a subscriber who blocked the bot.
A crash therefore leaves as "sending" only the messages that were in flight (or whose
result was not yet written), and those become "unknown" and are never resent: at most one
daily tip per subscriber per local date, at most one copy of a broadcast. One transaction
per message would cap sending at what the database commits per second (SQLite serialises
writers); batches do not.

A mark only takes a row that is still its sender's: for daily tips, "claimed" by the claim
that planned it (not a row /today took in the meantime, or another replica took up after
the lease ran out); for broadcasts, "claimed" or "failed" (no two runs send it).

At paid rates a flush comes every few milliseconds, so each is kept cheap: Core statements
(compiled once) on one connection the writer holds while it runs, not an ORM session and a
pool checkout (with its ping) per flush; that halved the CPU of a flush (bench/README.md).
And the window a mark waits follows the pace marks arrive at (`mark_window`): 5 ms up to
250 marks a second (at Telegram's free 30/s a window holds one mark anyway, and a longer
one would only bunch messages), growing to 20 ms at 1,000/s, so a flush holds ~20 marks
there instead of ~5: a quarter of the transactions.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, Self, TypeVar, cast

from sqlalchemy import ColumnElement, Table, Update, bindparam, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db.engine import Database
from bot.db.models import Delivery, DeliveryStatus, Subscriber, SubscriberStatus
from bot.outbound.outcome import SendOutcome, SendResult

log = logging.getLogger(__name__)

R = TypeVar("R")
WINDOW_PER_PACE = 0.02 / 1000  # seconds of mark window per mark a second: 20 ms at 1,000/s
PACE_WEIGHT = 0.5  # how much the latest flush counts in the pace of marks
R_contra = TypeVar("R_contra", contravariant=True)


class LedgerTable(Protocol[R_contra]):
    """What one ledger's writer needs to know of its table."""

    @property
    def table(self) -> Table:
        """The ledger's table (rows keyed by "id")."""
        ...

    def mark(self, ids: list[int], owners: set[str], now: dt.datetime) -> Update:
        """UPDATE ... SET status = 'sending' of the rows still their owners', RETURNING id."""
        ...

    def row(self, result: R_contra, now: dt.datetime) -> dict[str, object]:
        """The columns a result sets, its row's "id" among them."""
        ...

    def blocked(self, results: Sequence[R_contra]) -> ColumnElement[bool] | None:
        """Which subscribers blocked the bot, by these results (None: nobody)."""
        ...


def mark_window(pace: float, shortest: float, longest: float) -> float:
    """How long a mark waits for others to share its transaction, at `pace` marks a second:
    `WINDOW_PER_PACE` x pace, between `shortest` and `longest`."""
    return min(longest, max(shortest, pace * WINDOW_PER_PACE))


class GroupCommitLedger(Generic[R]):
    """Batches "sending" marks and results of sends into few transactions (`async with`).

    Args:
        window: the shortest mark window (seconds); 0: flush at once.
        longest_window: the longest one, reached at high paces (default 4 x `window`).
        linger: how long results wait for more when no mark is waiting.
    """

    def __init__(
        self,
        db: Database,
        now: Callable[[], dt.datetime],
        table: LedgerTable[R],
        *,
        window: float = 0.005,
        longest_window: float | None = None,
        linger: float = 0.2,
        name: str = "ledger-writer",
    ) -> None:
        self._db = db
        self._now = now
        self._table = table
        self._window = window
        self._longest = 4 * window if longest_window is None else longest_window
        self._pace = 0.0  # marks a second, by the last flushes
        self._paced_since: float | None = None  # when the previous flush of marks began
        self._linger = linger
        self._name = name
        self._marks: dict[int, tuple[str, asyncio.Future[bool]]] = {}
        self._results: list[R] = []
        self._drained: list[asyncio.Future[None]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._conn: AsyncConnection | None = None
        self._updates: dict[tuple[str, ...], Update] = {}

    async def __aenter__(self) -> Self:
        self._task = asyncio.create_task(self._run(), name=self._name)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def _mark(self, row_id: int, owner: str) -> bool:
        """Store the row as "sending" if it is still `owner`'s; False if someone else has it
        now. Raises if the database refused: then nothing was sent and the row stays."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._marks[row_id] = (owner, future)
        self._wake.set()
        return await future

    def _queue(self, result: R) -> None:
        """Queue a send's result for the next write."""
        self._results.append(result)
        self._wake.set()

    async def drain(self) -> None:
        """Return once everything queued so far is written."""
        if not self._marks and not self._results:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._drained.append(future)
        self._wake.set()
        await future

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if not self._marks and self._results and not self._closing and not self._drained:
                # Nothing is waiting on a mark: let results gather a little longer.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._linger)
            elif self._longest:
                await asyncio.sleep(self.window)
            marks, self._marks = self._marks, {}
            results, self._results = self._results, []
            if marks or results:
                await self._flush(marks, results)
            if not self._marks and not self._results:
                drained, self._drained = self._drained, []
                for future in drained:
                    if not future.done():
                        future.set_result(None)
                if self._closing:
                    return

    @property
    def window(self) -> float:
        """The mark window now, by the pace of the last flushes (see `mark_window`)."""
        return mark_window(self._pace, self._window, self._longest)

    def _measure(self, marks: int) -> None:
        """Update the pace of marks with a flush of `marks` beginning now."""
        now = asyncio.get_running_loop().time()
        if self._paced_since is not None and now > self._paced_since:
            pace = marks / (now - self._paced_since)
            self._pace += PACE_WEIGHT * (pace - self._pace)
        self._paced_since = now

    async def _flush(
        self, marks: dict[int, tuple[str, asyncio.Future[bool]]], results: list[R]
    ) -> None:
        if marks:
            self._measure(len(marks))
        now = self._now()
        taken: set[int] = set()
        try:
            if self._conn is None:
                self._conn = await self._db.engine.connect()
            conn = self._conn
            async with conn.begin():
                if marks:
                    owners = {owner for owner, _f in marks.values()}
                    taken = set(await conn.scalars(self._table.mark(list(marks), owners, now)))
                rows: dict[tuple[str, ...], list[dict[str, Any]]] = {}
                for result in results:
                    row = self._table.row(result, now)
                    rows.setdefault(tuple(row), []).append({f"b_{k}": v for k, v in row.items()})
                for keys, params in rows.items():
                    await conn.execute(self._update(keys), params)
                blocked = self._table.blocked(results) if results else None
                if blocked is not None:
                    await conn.execute(
                        update(Subscriber)
                        .where(blocked)
                        .values(status=SubscriberStatus.BLOCKED, next_due_at=None, updated_at=now)
                    )
        except Exception as exc:
            # The connection may be broken: the next flush takes a fresh one from the pool.
            if self._conn is not None:
                with contextlib.suppress(Exception):
                    await self._conn.invalidate()
                    await self._conn.close()
                self._conn = None
            log.exception(
                "%s: could not write %d marks and %d results", self._name, len(marks), len(results)
            )
            for _owner, future in marks.values():
                if not future.done():
                    future.set_exception(exc)
            # The rows stay "sending"; recovery makes them "unknown", never resent.
            return
        for ident, (_owner, future) in marks.items():
            if not future.done():
                future.set_result(ident in taken)

    def _update(self, keys: tuple[str, ...]) -> Update:
        """UPDATE <ledger> SET <keys> WHERE id = :b_id, built once per set of columns."""
        found = self._updates.get(keys)
        if found is None:
            table = self._table.table
            found = (
                update(table)
                .where(table.c.id == bindparam("b_id", type_=table.c.id.type))
                .values(
                    {
                        key: bindparam(f"b_{key}", type_=table.c[key].type)
                        for key in keys
                        if key != "id"
                    }
                )
            )
            self._updates[keys] = found
        return found


# -- daily tips ------------------------------------------------------------------------------

_FINAL = {
    SendOutcome.SENT: DeliveryStatus.SENT,
    SendOutcome.BLOCKED: DeliveryStatus.BLOCKED,
    SendOutcome.REJECTED: DeliveryStatus.REJECTED,
    SendOutcome.FAILED: DeliveryStatus.FAILED,
    SendOutcome.UNKNOWN: DeliveryStatus.UNKNOWN,
}


@dataclass(frozen=True)
class _Result:
    delivery_id: int
    subscriber_id: int
    result: SendResult


@dataclass(frozen=True)
class _Deliveries:
    """The daily tips' ledger: marks take rows their claim still holds, and renew the lease."""

    lease: dt.timedelta
    retry_after: dt.timedelta
    table: Table = cast(Table, Delivery.__table__)

    def mark(self, ids: list[int], owners: set[str], now: dt.datetime) -> Update:
        return (
            update(Delivery)
            .where(
                Delivery.id.in_(ids),
                # `status || ''`, so that no index serves it: given `status = 'claimed'` and
                # five ids or more, SQLite read every claimed row (the batch being sent and
                # the one claimed ahead, 2,000) through the status index, not the ids.
                Delivery.status + "" == DeliveryStatus.CLAIMED,
                Delivery.claimed_by.in_(owners),
            )
            .values(
                status=DeliveryStatus.SENDING,
                attempts=Delivery.attempts + 1,
                lease_until=now + self.lease,
                updated_at=now,
            )
            .returning(Delivery.id)
        )

    def row(self, item: _Result, now: dt.datetime) -> dict[str, object]:
        result = item.result
        row: dict[str, object] = {
            "id": item.delivery_id,
            "status": _FINAL[result.outcome],
            "updated_at": now,
            "error": result.reason[:200] if result.reason else None,
        }
        if result.outcome == SendOutcome.SENT:
            row["sent_at"] = now
            row["message_id"] = result.message_id
        if result.outcome == SendOutcome.FAILED:
            # A later tick tries again once the lease runs out, inside the catch-up window.
            row["lease_until"] = now + self.retry_after
        return row

    def blocked(self, results: Sequence[_Result]) -> ColumnElement[bool] | None:
        ids = [r.subscriber_id for r in results if r.result.outcome == SendOutcome.BLOCKED]
        return Subscriber.id.in_(ids) if ids else None


class LedgerWriter(GroupCommitLedger[_Result]):
    """The daily tips' ledger writer (one per tick's sending)."""

    def __init__(
        self,
        db: Database,
        now: Callable[[], dt.datetime],
        *,
        retry_after: dt.timedelta = dt.timedelta(seconds=60),
        lease: dt.timedelta = dt.timedelta(minutes=5),
        window: float = 0.005,
    ) -> None:
        super().__init__(db, now, _Deliveries(lease, retry_after), window=window)

    async def mark_sending(self, delivery_id: int, claimed_by: str) -> bool:
        """Store the row as "sending" if it is still claimed by `claimed_by`; False if
        someone else has it now (raises if the database refused)."""
        return await self._mark(delivery_id, claimed_by)

    def record(self, delivery_id: int, subscriber_id: int, result: SendResult) -> None:
        """Queue a send's result for the next write."""
        self._queue(_Result(delivery_id, subscriber_id, result))
