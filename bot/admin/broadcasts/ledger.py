"""A broadcast's ledger: the one group-commit writer (`bot.outbound.ledger`) over the
broadcast_deliveries table.

A mark only takes a row that is still "claimed" (or "failed", due another try), so no two
runs send it; a recipient who blocked the bot is marked blocked in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import ColumnElement, Table, Update, update

from bot.db.engine import Database
from bot.db.models import BroadcastDelivery, Subscriber, SubscriberStatus
from bot.db.models import BroadcastDeliveryStatus as S
from bot.outbound.ledger import GroupCommitLedger


@dataclass(frozen=True)
class Outcome:
    """How one recipient's row ends."""

    delivery_id: int
    chat_id: int
    status: str
    message_id: int | None = None
    reason: str | None = None


class _Broadcasts:
    """The broadcast_deliveries table as the ledger writer sees it."""

    table = cast(Table, BroadcastDelivery.__table__)

    @staticmethod
    def mark(ids: list[int], _owners: set[str], now: dt.datetime) -> Update:
        return (
            update(BroadcastDelivery)
            .where(
                BroadcastDelivery.id.in_(ids),
                BroadcastDelivery.status.in_((S.CLAIMED, S.FAILED)),
            )
            .values(status=S.SENDING, attempts=BroadcastDelivery.attempts + 1, updated_at=now)
            .returning(BroadcastDelivery.id)
        )

    @staticmethod
    def row(outcome: Outcome, now: dt.datetime) -> dict[str, object]:
        sent = outcome.status == S.SENT
        return {
            "id": outcome.delivery_id,
            "status": outcome.status,
            "message_id": outcome.message_id if sent else None,
            "sent_at": now if sent else None,
            "error": outcome.reason[:200] if outcome.reason else None,
            "updated_at": now,
        }

    @staticmethod
    def blocked(outcomes: Sequence[Outcome]) -> ColumnElement[bool] | None:
        chats = [o.chat_id for o in outcomes if o.status == S.BLOCKED]
        if not chats:
            return None
        return Subscriber.chat_id.in_(chats) & (Subscriber.status != SubscriberStatus.BLOCKED)


class Ledger(GroupCommitLedger[Outcome]):
    """Batches "sending" marks and outcomes of one broadcast run (use as `async with`)."""

    def __init__(
        self, db: Database, now: Callable[[], dt.datetime], *, window: float = 0.005
    ) -> None:
        super().__init__(db, now, _Broadcasts(), window=window, linger=0.1, name="broadcast-ledger")

    async def mark_sending(self, delivery_id: int) -> bool:
        """Store the row as "sending" if it still waits; False if another run has it.

        Raises if the database refused: then nothing was sent and the row stays as it was.
        """
        return await self._mark(delivery_id, "")

    def record(self, outcome: Outcome) -> None:
        """Queue a row's outcome for the next write."""
        self._queue(outcome)
