"""A subscription's life as stored: subscribe, pause, resume, stop, blocked, back again; what
/mydata exports; and /deletemydata erasing every row itself, with the database's cascades off.

Expected instants come from what the user asked: 08:00 in Kuala Lumpur is 00:00 UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import event, func, select

from bot.db.engine import Database
from bot.db.models import Broadcast, BroadcastDelivery, Delivery, Subscriber, SubscriberStatus
from bot.subscribers import store as subscribers
from tests.subscribers import starting
from tests.subscribers.starting import DEFAULTS, NOW

pytestmark = pytest.mark.dialect

TOMORROW_0800_KL = dt.datetime(2026, 11, 22, 0, 0, tzinfo=dt.UTC)
CHAT = 5


async def start(db: Database, chat_id: int = CHAT, now: dt.datetime = NOW) -> bool:
    return await starting.start(db, chat_id, now=now)


async def stored(db: Database, chat_id: int = CHAT) -> Subscriber:
    async with db.session() as session:
        found = await subscribers.find(session, chat_id)
    assert found is not None
    return found


async def test_the_first_press_activates_and_a_second_finds_it_done(db: Database) -> None:
    await start(db)
    async with db.session() as session:
        first = await subscribers.subscribe_once(session, CHAT, NOW)
    async with db.session() as session:
        second = await subscribers.subscribe_once(session, CHAT, NOW + dt.timedelta(seconds=1))
    assert (first.activated, first.returning) == (True, False)
    assert (second.activated, second.returning) == (False, True)
    row = await stored(db)
    assert (row.status, row.consented_at, row.next_due_at, row.updated_at) == (
        SubscriberStatus.ACTIVE,
        NOW,
        TOMORROW_0800_KL,
        NOW,
    )
    async with db.session() as session:
        nobody = await subscribers.subscribe_once(session, 999, NOW)
    assert (nobody.subscriber, nobody.activated, nobody.returning) == (None, False, False)


async def test_subscribing_again_after_stop_is_a_return_that_keeps_the_first_consent(
    db: Database,
) -> None:
    await start(db)
    async with db.session() as session:
        await subscribers.subscribe(session, CHAT, NOW)
        await subscribers.unsubscribe(session, CHAT, NOW)
    later = NOW + dt.timedelta(days=10)
    async with db.session() as session:
        back = await subscribers.subscribe_once(session, CHAT, later)
    assert (back.activated, back.returning) == (True, True)
    row = await stored(db)
    assert (row.status, row.consented_at, row.updated_at) == (SubscriberStatus.ACTIVE, NOW, later)


async def test_pause_resume_stop_and_their_due_instants(db: Database) -> None:
    await start(db)
    async with db.session() as session:
        await subscribers.subscribe(session, CHAT, NOW)
    until = dt.datetime(2026, 11, 28, 1, 0, tzinfo=dt.UTC)  # a week from the tap
    async with db.session() as session:
        paused = await subscribers.pause(session, CHAT, until, NOW)
    assert (paused.status, paused.paused_until) == (SubscriberStatus.PAUSED, until)
    assert paused.next_due_at == dt.datetime(2026, 11, 29, 0, 0, tzinfo=dt.UTC)
    async with db.session() as session:
        for_good = await subscribers.pause(session, CHAT, None, NOW)
    assert (for_good.status, for_good.next_due_at) == (SubscriberStatus.PAUSED, None)
    async with db.session() as session:
        resumed = await subscribers.resume(session, CHAT, NOW)
    assert (resumed.status, resumed.paused_until) == (SubscriberStatus.ACTIVE, None)
    assert resumed.next_due_at == TOMORROW_0800_KL
    async with db.session() as session:
        await subscribers.pause(session, CHAT, until, NOW)
        stopped = await subscribers.unsubscribe(session, CHAT, NOW)
    assert (stopped.status, stopped.paused_until, stopped.next_due_at) == (
        SubscriberStatus.UNSUBSCRIBED,
        None,
        None,
    )
    with pytest.raises(subscribers.NotSubscribed):  # stopped: nothing to pause
        async with db.session() as session:
            await subscribers.pause(session, CHAT, until, NOW)
    row = await stored(db)
    assert row.status == SubscriberStatus.UNSUBSCRIBED


async def test_a_chat_that_blocked_the_bot_gets_nothing_until_it_starts_again(
    db: Database,
) -> None:
    await start(db)
    async with db.session() as session:
        await subscribers.subscribe(session, CHAT, NOW)
    async with db.session() as session:
        assert await subscribers.mark_blocked(session, CHAT, NOW) is True
    async with db.session() as session:
        assert await subscribers.mark_blocked(session, CHAT, NOW) is False  # already
        assert await subscribers.mark_blocked(session, 999, NOW) is False  # unknown chat
    row = await stored(db)
    assert (row.status, row.next_due_at) == (SubscriberStatus.BLOCKED, None)
    assert await start(db, now=NOW + dt.timedelta(days=1)) is False  # 09:00 the next day
    row = await stored(db)
    day_after_0800_kl = TOMORROW_0800_KL + dt.timedelta(days=1)
    assert (row.status, row.next_due_at) == (SubscriberStatus.ACTIVE, day_after_0800_kl)


async def test_a_blocked_chat_that_never_agreed_comes_back_as_new(db: Database) -> None:
    await start(db)
    async with db.session() as session:
        assert await subscribers.mark_blocked(session, CHAT, NOW) is True
    await start(db)
    row = await stored(db)
    assert (row.status, row.next_due_at) == (SubscriberStatus.NEW, None)


async def test_send_time_and_language(db: Database) -> None:
    await start(db)
    async with db.session() as session:
        assert (await subscribers.set_language(session, CHAT, "ms", NOW)) is not None
        assert await subscribers.set_language(session, 999, "ms", NOW) is None
    with pytest.raises(subscribers.NotSubscribed):  # a send time needs consent
        async with db.session() as session:
            await subscribers.set_send_time(session, CHAT, dt.time(21, 30), NOW)
    async with db.session() as session:
        await subscribers.subscribe(session, CHAT, NOW)
        await subscribers.set_send_time(session, CHAT, dt.time(21, 30), NOW)
    row = await stored(db)
    assert (row.language, row.send_time) == ("ms", dt.time(21, 30))
    assert row.next_due_at == dt.datetime(2026, 11, 21, 13, 30, tzinfo=dt.UTC)  # tonight


async def test_the_export_names_everything_stored(db: Database) -> None:
    await start(db)
    async with db.session() as session:
        await subscribers.subscribe(session, CHAT, NOW)
        await subscribers.set_topic(session, CHAT, "stress", False, NOW)
        await subscribers.set_concern(session, CHAT, "acne", NOW)
        until = dt.datetime(2026, 11, 28, 1, 0, tzinfo=dt.UTC)
        row = await subscribers.pause(session, CHAT, until, NOW)
        exported = subscribers.export(row)
    note = exported.pop("note")
    assert exported == {
        "chat_id": CHAT,
        "user_id": CHAT,
        "language": "en",
        "timezone": "Asia/Kuala_Lumpur",
        "send_time": "08:00",
        "status": "paused",
        "source": None,
        "topics": ["fiber", "fermented", "sleep"],
        "skin_concern": "acne",
        "paused_until": until.isoformat(),
        "next_tip_due_at": "2026-11-29T00:00:00+00:00",
        "consented_at": NOW.isoformat(),
        "created_at": NOW.isoformat(),
        "updated_at": NOW.isoformat(),
    }
    assert isinstance(note, str) and "questions_to_the_team" in note
    fresh = Subscriber(
        chat_id=6,
        user_id=6,
        language="ms",
        timezone="UTC",
        send_time=dt.time(7, 5),
        status=SubscriberStatus.NEW,
        created_at=NOW,
        updated_at=NOW,
    )
    assert {
        k: v for k, v in subscribers.export(fresh).items() if k != "note" and v is None
    }.keys() == {"source", "skin_concern", "paused_until", "next_tip_due_at", "consented_at"}
    assert subscribers.export(fresh)["topics"] == "all"
    assert subscribers.export(fresh)["send_time"] == "07:05"


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


async def _rows(db: Database, subscriber_id: int) -> tuple[int, int, int]:
    async with db.session() as session:
        return (
            int(await session.scalar(select(func.count()).select_from(Subscriber)) or 0),
            int(
                await session.scalar(
                    select(func.count()).where(Delivery.subscriber_id == subscriber_id)
                )
                or 0
            ),
            int(
                await session.scalar(
                    select(func.count()).where(BroadcastDelivery.subscriber_id == subscriber_id)
                )
                or 0
            ),
        )


async def test_erasure_deletes_every_row_itself_with_cascades_off(db: Database) -> None:
    await start(db)
    await start(db, chat_id=6)  # someone else, who keeps everything
    async with db.session() as session:
        await subscribers.subscribe(session, CHAT, NOW)
        mine, other = await stored(db), await stored(db, 6)
        announcement = Broadcast(
            text="Open on Sunday",
            audience="all",
            status="done",
            send_at=NOW,
            created_by=0,
            language="en",
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(announcement)
        await session.flush()
        for sub in (mine, other):
            session.add(
                BroadcastDelivery(
                    broadcast_id=announcement.id,
                    subscriber_id=sub.id,
                    status="sent",
                    updated_at=NOW,
                )
            )
            session.add(
                Delivery(
                    subscriber_id=sub.id,
                    local_date=dt.date(2026, 11, 22),
                    due_at=NOW,
                    tip_id="fiber-feeds-gut-bacteria",
                    status="sent",
                    sent_at=NOW,
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
        await session.commit()
    _cascades_off(db)
    await db.engine.dispose()  # connections opened from now on do not cascade
    async with db.session() as session:
        assert await subscribers.erase(session, CHAT) is True
    assert await _rows(db, mine.id) == (1, 0, 0)
    assert await _rows(db, other.id) == (1, 1, 1)
    async with db.session() as session:
        assert await subscribers.erase(session, CHAT) is False


async def test_start_tells_whom_it_found_or_made(db: Database) -> None:
    for created in (True, False):
        async with db.session() as session:
            outcome = await subscribers.record_start(
                session,
                chat_id=CHAT,
                user_id=CHAT,
                language="en",
                source=None,
                defaults=DEFAULTS,
                now=NOW,
            )
        assert (outcome.subscriber.chat_id, outcome.created) == (CHAT, created)


async def test_one_chat_subscribing_activates_nobody_else(db: Database) -> None:
    await start(db)
    await start(db, chat_id=6)
    async with db.session() as session:
        mine = await subscribers.subscribe_once(session, CHAT, NOW)
    async with db.session() as session:
        again = await subscribers.subscribe_once(session, CHAT, NOW)
    assert mine.subscriber is not None and mine.subscriber.chat_id == CHAT
    assert again.subscriber is not None and again.subscriber.chat_id == CHAT
    other = await stored(db, 6)
    assert (other.status, other.consented_at, other.next_due_at) == (
        SubscriberStatus.NEW,
        None,
        None,
    )


async def test_the_full_export_lists_a_tip_not_yet_sent(db: Database) -> None:
    await start(db)
    async with db.session() as session:
        sub = await subscribers.subscribe(session, CHAT, NOW)
        assert sub is not None
        session.add(
            Delivery(
                subscriber_id=sub.id,
                local_date=dt.date(2026, 11, 22),
                due_at=TOMORROW_0800_KL,
                tip_id="fiber-feeds-gut-bacteria",
                status="claimed",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        await session.commit()
        everything = await subscribers.export_all(session, sub)
    assert everything["tips"] == [
        {
            "date": "2026-11-22",
            "tip": "fiber-feeds-gut-bacteria",
            "status": "claimed",
            "sent_at": None,
            "feedback": None,
        }
    ]
