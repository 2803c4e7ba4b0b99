"""Writes to a broadcast's ledger around each send, batched into few short transactions.

"sending" marks are group-committed: each message waits a few milliseconds for the
transaction that marks it, so its request never leaves before the mark is stored, and a
mark only takes a row that is still "claimed" (or "failed"), so no two runs send it. Results
ride along in the same transactions. One transaction per message would cap a broadcast at
what the database commits per second (SQLite serialises writers); batches do not.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import update

from bot.db.engine import Database
from bot.db.models import BroadcastDelivery
from bot.db.models import BroadcastDeliveryStatus as S
from bot.subscribers import store as subscribers

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """How one recipient's row ends."""

    delivery_id: int
    chat_id: int
    status: str
    message_id: int | None = None
    reason: str | None = None


class Ledger:
    """Batches "sending" marks and outcomes of one broadcast run (use as `async with`)."""

    def __init__(
        self, db: Database, now: Callable[[], dt.datetime], *, window: float = 0.005
    ) -> None:
        self._db = db
        self._now = now
        self._window = window
        self._marks: dict[int, asyncio.Future[bool]] = {}
        self._outcomes: list[Outcome] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._drained: list[asyncio.Future[None]] = []

    async def __aenter__(self) -> Ledger:
        self._task = asyncio.create_task(self._run(), name="broadcast-ledger")
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task

    async def mark_sending(self, delivery_id: int) -> bool:
        """Store the row as "sending" if it still waits; False if another run has it.

        Raises if the database refused: then nothing was sent and the row stays as it was.
        """
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._marks[delivery_id] = future
        self._wake.set()
        return await future

    async def drain(self) -> None:
        """Return once everything queued so far is written."""
        if not self._marks and not self._outcomes:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._drained.append(future)
        self._wake.set()
        await future

    def record(self, outcome: Outcome) -> None:
        """Queue a row's outcome for the next write."""
        self._outcomes.append(outcome)
        self._wake.set()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if not self._marks and self._outcomes and not self._closing and not self._drained:
                # Nobody waits on a mark: let outcomes gather a little longer.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), 0.1)
            elif self._window:
                await asyncio.sleep(self._window)
            marks, self._marks = self._marks, {}
            outcomes, self._outcomes = self._outcomes, []
            if marks or outcomes:
                await self._flush(marks, outcomes)
            if not self._marks and not self._outcomes:
                drained, self._drained = self._drained, []
                for future in drained:
                    if not future.done():
                        future.set_result(None)
                if self._closing:
                    return

    async def _flush(self, marks: dict[int, asyncio.Future[bool]], outcomes: list[Outcome]) -> None:
        now = self._now()
        taken: set[int] = set()
        try:
            async with self._db.session() as session, session.begin():
                if marks:
                    found = await session.scalars(
                        update(BroadcastDelivery)
                        .where(
                            BroadcastDelivery.id.in_(list(marks)),
                            BroadcastDelivery.status.in_((S.CLAIMED, S.FAILED)),
                        )
                        .values(
                            status=S.SENDING,
                            attempts=BroadcastDelivery.attempts + 1,
                            updated_at=now,
                        )
                        .returning(BroadcastDelivery.id)
                    )
                    taken = set(found)
                if outcomes:
                    await session.execute(
                        update(BroadcastDelivery), [self._row(o, now) for o in outcomes]
                    )
        except Exception as exc:
            log.exception(
                "could not write %d broadcast marks and %d outcomes", len(marks), len(outcomes)
            )
            for future in marks.values():
                if not future.done():
                    future.set_exception(exc)
            # Outcomes not stored leave their rows "sending": "unknown" at the end, not resent.
            return
        for delivery_id, future in marks.items():
            if not future.done():
                future.set_result(delivery_id in taken)
        for outcome in outcomes:
            if outcome.status == S.BLOCKED:
                await self._block(outcome.chat_id, now)

    async def _block(self, chat_id: int, now: dt.datetime) -> None:
        try:
            async with self._db.session() as session:
                await subscribers.mark_blocked(session, chat_id, now)
        except Exception:
            log.exception("could not mark a subscriber who blocked the bot")

    @staticmethod
    def _row(outcome: Outcome, now: dt.datetime) -> dict[str, object]:
        sent = outcome.status == S.SENT
        return {
            "id": outcome.delivery_id,
            "status": outcome.status,
            "message_id": outcome.message_id if sent else None,
            "sent_at": now if sent else None,
            "error": outcome.reason[:200] if outcome.reason else None,
            "updated_at": now,
        }
