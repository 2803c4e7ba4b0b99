"""At most one daily tip per subscriber per local date, whatever the hour and the zone.

The database refuses a second ledger row for a date; the engine, ticked at fixed instants
around the clock and on both sides of the date line, never sends a second tip when the
subscriber moves their send time later on the same day.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.content.library import Library
from bot.content.loader import Content
from bot.db.engine import Database
from bot.db.models import Delivery, Subscriber
from bot.delivery.engine import DeliveryEngine, EngineConfig, static_library
from bot.outbound.outcome import OnStart, SendOutcome, SendResult
from bot.schedule.due import due_on, next_due
from bot.subscribers import store as subscribers
from tests.fixed_clock import FixedClock

pytestmark = pytest.mark.dialect

DAY = dt.date(2027, 1, 14)
INSTANTS = [dt.time(0, 30), dt.time(7, 59), dt.time(8, 0), dt.time(15, 59), dt.time(16, 0)]
INSTANTS += [dt.time(23, 59)]
# +08:00; +14:00 (the first to reach a date); -11:00 (the last): the same UTC instant is a
# different local date in two of them.
ZONES = ["Asia/Kuala_Lumpur", "Pacific/Kiritimati", "Pacific/Pago_Pago"]


class Telegram:
    """A fake Bot API that accepts every message and remembers what each chat received."""

    def __init__(self) -> None:
        self.received: dict[int, list[str]] = {}
        self._ids = itertools.count(1)

    async def send(
        self,
        chat_id: int,
        method: str,
        params: Mapping[str, Any],
        *,
        on_start: OnStart | None = None,
        bulk: bool = True,
    ) -> SendResult:
        if on_start is not None:
            await on_start()
        self.received.setdefault(chat_id, []).append(str(params.get("text")))
        return SendResult(SendOutcome.SENT, message_id=next(self._ids))


async def _subscriber(db: Database, chat_id: int, tz: str, at: dt.time, now: dt.datetime) -> None:
    async with db.session() as session:
        await subscribers.record_start(
            session,
            chat_id=chat_id,
            user_id=chat_id,
            language="en",
            source=None,
            defaults=subscribers.Defaults(tz, at),
            now=now,
        )
        assert await subscribers.subscribe(session, chat_id, now) is not None


async def _ledger(db: Database, chat_id: int) -> list[Delivery]:
    async with db.session() as session:
        query = (
            select(Delivery)
            .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
            .where(Subscriber.chat_id == chat_id)
        )
        return list(await session.scalars(query))


async def test_the_database_refuses_a_second_row_for_the_same_local_date(db: Database) -> None:
    now = dt.datetime(2027, 1, 14, 1, 0, tzinfo=dt.UTC)
    await _subscriber(db, 1, "Asia/Kuala_Lumpur", dt.time(8, 0), now)

    def row(subscriber_id: int, day: dt.date) -> Delivery:
        return Delivery(
            subscriber_id=subscriber_id,
            local_date=day,
            due_at=now,
            status="sent",
            attempts=1,
            created_at=now,
            updated_at=now,
        )

    async with db.session() as session:
        sub = await subscribers.find(session, 1)
        assert sub is not None
        session.add(row(sub.id, DAY))
        await session.commit()
        session.add(row(sub.id, DAY + dt.timedelta(days=1)))  # another date: allowed
        await session.commit()
        session.add(row(sub.id, DAY))
        with pytest.raises(IntegrityError):
            await session.commit()
        await session.rollback()
    assert sorted(r.local_date for r in await _ledger(db, 1)) == [DAY, DAY + dt.timedelta(days=1)]


def _later_same_day(local: dt.datetime) -> dt.time:
    """A send time half way between `local` and the local midnight after it."""
    midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(0))
    naive = local.replace(tzinfo=None)
    later = (naive + (midnight - naive) / 2).replace(microsecond=0)
    assert later.date() == local.date() and later.time() > local.time()
    return later.time()


@pytest.mark.parametrize("utc", INSTANTS, ids=lambda t: t.strftime("%H%M"))
@pytest.mark.parametrize("tz", ZONES)
async def test_moving_the_send_time_later_the_same_day_brings_no_second_tip(
    db: Database, content: Content, utc: dt.time, tz: str
) -> None:
    instant = dt.datetime.combine(DAY, utc, tzinfo=dt.UTC)
    local = instant.astimezone(ZoneInfo(tz))
    clock = FixedClock(instant - dt.timedelta(minutes=1))
    await _subscriber(db, 7, tz, local.time(), clock.now())
    telegram = Telegram()
    engine = DeliveryEngine(
        db,
        content.catalogs,
        telegram,
        clock,
        static_library(Library(content.tips, content.program)),
        EngineConfig(),
    )

    clock.move_to(instant)
    assert (await engine.tick()).counts["sent"] == 1
    assert len(telegram.received[7]) == 1

    # Later the same local day they choose a later time: due again today, by the clock...
    later = _later_same_day(local)
    clock.move_to(instant + dt.timedelta(seconds=1))
    async with db.session() as session:
        moved = await subscribers.set_send_time(session, 7, later, clock.now())
    again = due_on(local.date(), later, tz)
    assert moved.next_due_at == again
    clock.move_to(again + dt.timedelta(seconds=1))
    await engine.tick()
    # ...but that local date already had its tip.
    assert len(telegram.received[7]) == 1
    assert [r.local_date for r in await _ledger(db, 7)] == [local.date()]

    # The next local date does get one (the engine above was able to send).
    clock.move_to(due_on(local.date() + dt.timedelta(days=1), later, tz) + dt.timedelta(seconds=1))
    assert (await engine.tick()).counts["sent"] == 1
    assert len(telegram.received[7]) == 2


@pytest.mark.parametrize("tz", ZONES)
def test_the_next_due_instant_is_strictly_after_the_one_just_due(tz: str) -> None:
    # The engine moves next_due_at from the instant it claims at; an instant equal to the
    # one just claimed would claim the same local date again on every tick.
    due = due_on(DAY, dt.time(8, 0), tz)
    assert next_due(dt.time(8, 0), tz, due) == due_on(DAY + dt.timedelta(days=1), dt.time(8), tz)
    assert next_due(dt.time(8, 0), tz, due - dt.timedelta(microseconds=1)) == due
    assert due.utcoffset() == dt.timedelta(0)
