"""Expected values from what the user asked, not from what the product stored.

"Pause for 1 week" means seven local days from the tap, read off the clock and the user's
zone at several hours of the day; /deletemydata leaves nothing of the subscriber even when
the database does not cascade the deletion.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select

from bot.db.engine import Database
from bot.db.models import Broadcast, BroadcastDelivery, Delivery, Subscriber
from bot.handlers.services import SERVICES_KEY
from tests.e2e.conftest import Chat, Harness, buttons

pytestmark = pytest.mark.dialect

KL = ZoneInfo("Asia/Kuala_Lumpur")


def _next_utc(now: dt.datetime, at: dt.time) -> dt.datetime:
    """The next instant after `now` at which the UTC clock shows `at`."""
    instant = dt.datetime.combine(now.date(), at, tzinfo=dt.UTC)
    return instant if instant > now else instant + dt.timedelta(days=1)


async def _subscribed(harness: Harness, user_id: int) -> Chat:
    chat = await harness.user(user_id)
    welcome = await chat.say("/start")
    await chat.press(welcome, buttons(welcome)[0])
    return chat


# In Kuala Lumpur: 08:30, 23:59 (the date changes a minute later), 00:00, 07:59.
@pytest.mark.parametrize(
    "utc",
    [dt.time(0, 30), dt.time(15, 59), dt.time(16, 0), dt.time(23, 59)],
    ids=lambda t: t.strftime("%H%M"),
)
async def test_pause_for_a_week_is_seven_local_days_from_the_tap(
    harness: Harness, utc: dt.time
) -> None:
    harness.clock.move_to(_next_utc(harness.clock.now(), utc))
    chat = await _subscribed(harness, 6301)
    prompt = await chat.say("/pause")
    tapped = harness.clock.now()
    paused = await chat.press(prompt, "1 week")
    answered = harness.clock.now()
    # The tap and the answer may straddle a local midnight: either date is honest.
    expected = {(t.astimezone(KL).date() + dt.timedelta(days=7)) for t in (tapped, answered)}
    shown = paused["text"].removeprefix("Your tips are paused until ").split(".")[0]
    assert paused["text"].startswith("Your tips are paused until ")
    assert dt.datetime.strptime(shown, "%d/%m/%Y").replace(tzinfo=KL).date() in expected


def _cascades_off(db: Database) -> None:
    """Make every new connection of this database ignore ON DELETE CASCADE."""

    def off(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        if db.is_sqlite:
            cursor.execute("PRAGMA foreign_keys=OFF")
        else:  # no triggers fire, foreign keys' cascades included (needs a superuser)
            cursor.execute("SET session_replication_role = replica")
            dbapi_connection.commit()  # else the pool's reset rolls the SET back
        cursor.close()

    event.listen(db.engine.sync_engine, "connect", off)


async def test_deletemydata_deletes_every_row_itself_without_cascades(harness: Harness) -> None:
    chat = await _subscribed(harness, 6302)
    await chat.say("/today", contains="Not medical advice")
    now = harness.clock.now()
    async with harness.db.session() as session:
        sub = await session.scalar(select(Subscriber).where(Subscriber.chat_id == 6302))
        assert sub is not None
        announcement = Broadcast(
            text="Open on Sunday",
            audience="all",
            status="done",
            send_at=now,
            created_by=0,
            language="en",
            created_at=now,
            updated_at=now,
        )
        session.add(announcement)
        await session.flush()
        session.add(
            BroadcastDelivery(
                broadcast_id=announcement.id, subscriber_id=sub.id, status="sent", updated_at=now
            )
        )
        await session.commit()
        subscriber_id = sub.id
    assert await _rows_of(harness, subscriber_id) == {"deliveries": 1, "broadcast_deliveries": 1}

    bot_db = harness.app.bot_data[SERVICES_KEY].db
    _cascades_off(bot_db)
    await bot_db.engine.dispose()  # connections opened from now on do not cascade
    confirm = await chat.say("/deletemydata")
    await harness.client.press_button(6302, confirm["message_id"], text=buttons(confirm)[0])
    await harness.client.wait_for_bot_message(6302, contains="/start")
    await harness.idle()

    async with harness.db.session() as session:
        gone = await session.scalar(select(Subscriber).where(Subscriber.chat_id == 6302))
    assert gone is None
    assert await _rows_of(harness, subscriber_id) == {"deliveries": 0, "broadcast_deliveries": 0}


async def _rows_of(harness: Harness, subscriber_id: int) -> dict[str, int]:
    async with harness.db.session() as session:
        tips = await session.scalar(
            select(func.count()).where(Delivery.subscriber_id == subscriber_id)
        )
        sent = await session.scalar(
            select(func.count()).where(BroadcastDelivery.subscriber_id == subscriber_id)
        )
    return {"deliveries": tips or 0, "broadcast_deliveries": sent or 0}
