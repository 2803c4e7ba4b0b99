"""Writes to the delivery ledger around each send, batched into few short transactions.

"sending" marks are group-committed: every message waits (a few milliseconds) for the
transaction that marks it, so the request never leaves before its mark is stored. Results
ride along in the same transactions. A crash therefore leaves as "sending" only the
messages that were in flight (or whose result was not yet written), and those become
"unknown" and are never resent: at most one daily tip per subscriber per local date.

A mark only takes a row that is still "claimed" by the claim that planned it: a row that
/today took in the meantime, or that another replica took up after the lease ran out, is
not sent by this one.

At paid rates a flush comes every few milliseconds, so each is kept cheap: Core statements
(compiled once) on one connection the writer holds while it runs, not an ORM session and a
pool checkout (with its ping) per flush; that halved the CPU of a flush (bench/README.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, Update, bindparam, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db.engine import Database
from bot.db.models import Delivery, DeliveryStatus, Subscriber, SubscriberStatus
from bot.outbound.outcome import SendOutcome, SendResult

log = logging.getLogger(__name__)

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


class LedgerWriter:
    """Batches "sending" marks and send results into few transactions."""

    def __init__(
        self,
        db: Database,
        now: Callable[[], dt.datetime],
        *,
        retry_after: dt.timedelta = dt.timedelta(seconds=60),
        lease: dt.timedelta = dt.timedelta(minutes=5),
        window: float = 0.005,
    ) -> None:
        self._lease = lease
        self._db = db
        self._now = now
        self._retry_after = retry_after
        self._window = window
        self._marks: dict[int, tuple[str, asyncio.Future[bool]]] = {}
        self._results: list[_Result] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._conn: AsyncConnection | None = None
        self._updates: dict[tuple[str, ...], Update] = {}

    async def __aenter__(self) -> LedgerWriter:
        self._task = asyncio.create_task(self._run(), name="ledger-writer")
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def mark_sending(self, delivery_id: int, claimed_by: str) -> bool:
        """Store the row as "sending" if it is still claimed by `claimed_by`; False if
        someone else has it now (raises if the database refused)."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._marks[delivery_id] = (claimed_by, future)
        self._wake.set()
        return await future

    def record(self, delivery_id: int, subscriber_id: int, result: SendResult) -> None:
        """Queue a send's result for the next write."""
        self._results.append(_Result(delivery_id, subscriber_id, result))
        self._wake.set()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if not self._marks and self._results and not self._closing:
                # Nothing is waiting on a mark: let results gather a little longer.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), 0.2)
            elif self._window:
                await asyncio.sleep(self._window)
            marks, self._marks = self._marks, {}
            results, self._results = self._results, []
            if marks or results:
                await self._flush(marks, results)
            if self._closing and not self._marks and not self._results:
                return

    async def _flush(
        self, marks: dict[int, tuple[str, asyncio.Future[bool]]], results: list[_Result]
    ) -> None:
        now = self._now()
        taken: set[int] = set()
        try:
            if self._conn is None:
                self._conn = await self._db.engine.connect()
            conn = self._conn
            async with conn.begin():
                if marks:
                    found = await conn.scalars(
                        update(Delivery)
                        .where(
                            Delivery.id.in_(list(marks)),
                            Delivery.status == DeliveryStatus.CLAIMED,
                            Delivery.claimed_by.in_({by for by, _f in marks.values()}),
                        )
                        .values(
                            status=DeliveryStatus.SENDING,
                            attempts=Delivery.attempts + 1,
                            lease_until=now + self._lease,
                            updated_at=now,
                        )
                        .returning(Delivery.id)
                    )
                    taken = set(found)
                rows: dict[tuple[str, ...], list[dict[str, Any]]] = {}
                for r in results:
                    row = self._row(r, now)
                    rows.setdefault(tuple(row), []).append({f"b_{k}": v for k, v in row.items()})
                for keys, params in rows.items():
                    await conn.execute(self._update(keys), params)
                blocked = [r.subscriber_id for r in results if r.result.outcome == "blocked"]
                if blocked:
                    await conn.execute(
                        update(Subscriber)
                        .where(Subscriber.id.in_(blocked))
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
                "could not write %d ledger marks and %d results", len(marks), len(results)
            )
            for _by, future in marks.values():
                if not future.done():
                    future.set_exception(exc)
            # The rows stay "sending"; recovery makes them "unknown", never resent.
            return
        for ident, (_by, future) in marks.items():
            if not future.done():
                future.set_result(ident in taken)

    def _update(self, keys: tuple[str, ...]) -> Update:
        """UPDATE deliveries SET <keys> WHERE id = :b_id, built once per set of columns."""
        found = self._updates.get(keys)
        if found is None:
            table = cast(Table, Delivery.__table__)
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

    def _row(self, item: _Result, now: dt.datetime) -> dict[str, object]:
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
            row["lease_until"] = now + self._retry_after
        return row
