"""Subscribing logic against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from bot.db.engine import Database
from bot.db.models import Delivery, Subscriber, SubscriberStatus
from bot.subscribers import store as subscribers
from tests.subscribers.starting import NOW, start

pytestmark = pytest.mark.dialect


async def _start(db: Database, chat_id: int = 5, source: str | None = None) -> bool:
    return await start(db, chat_id, language="ms", source=source)


async def test_start_twice_stores_one_row_with_defaults(db: Database) -> None:
    assert await _start(db, source="qr-cheras") is True
    assert await _start(db, source="other") is False
    async with db.session() as session:
        rows = (await session.scalars(select(Subscriber))).all()
    assert len(rows) == 1
    (row,) = rows
    assert (row.chat_id, row.language, row.timezone, row.send_time, row.status, row.source) == (
        5,
        "ms",
        "Asia/Kuala_Lumpur",
        dt.time(8, 0),
        SubscriberStatus.NEW,
        "qr-cheras",
    )
    assert row.created_at == NOW and row.consented_at is None


@pytest.mark.parametrize(
    ("payload", "stored"),
    [("qr-pj_2026", "qr-pj_2026"), ("x" * 65, None), ("bad payload!", None), ("", None)],
)
def test_deep_link_payload_is_cleaned(payload: str, stored: str | None) -> None:
    assert subscribers.clean_source(payload) == stored


async def test_subscribe_records_consent_once(db: Database) -> None:
    await _start(db)
    later = NOW + dt.timedelta(hours=1)
    async with db.session() as session:
        await subscribers.subscribe(session, 5, NOW)
    async with db.session() as session:
        await subscribers.subscribe(session, 5, later)
    async with db.session() as session:  # a fresh session reads what was stored
        stored = await subscribers.find(session, 5)
    assert stored is not None
    assert (stored.status, stored.consented_at) == (SubscriberStatus.ACTIVE, NOW)


async def test_subscribe_unknown_chat_changes_nothing(db: Database) -> None:
    async with db.session() as session:
        assert await subscribers.subscribe(session, 999, NOW) is None
        assert await session.scalar(select(func.count()).select_from(Subscriber)) == 0


async def test_start_after_block_restores_subscription(db: Database) -> None:
    await _start(db)
    async with db.session() as session:
        sub = await subscribers.subscribe(session, 5, NOW)
        assert sub is not None
        sub.status = SubscriberStatus.BLOCKED
        await session.commit()
    await _start(db)
    async with db.session() as session:
        sub = await subscribers.find(session, 5)
        assert sub is not None and sub.status == SubscriberStatus.ACTIVE


async def _consented(db: Database, chat_id: int = 5) -> None:
    await _start(db, chat_id)
    async with db.session() as session:
        await subscribers.subscribe(session, chat_id, NOW)


async def test_set_timezone_reschedules_the_next_tip(db: Database) -> None:
    await _consented(db)
    async with db.session() as session:
        before = await subscribers.find(session, 5)
        assert before is not None and before.next_due_at == dt.datetime(
            2026, 11, 22, 0, 0, tzinfo=dt.UTC
        )  # 08:00 in Kuala Lumpur, the next morning
        sub = await subscribers.set_timezone(session, 5, "Europe/London", NOW)
    assert sub.timezone == "Europe/London"
    async with db.session() as session:
        stored = await subscribers.find(session, 5)
    assert stored is not None and stored.timezone == "Europe/London"
    assert stored.next_due_at == dt.datetime(2026, 11, 21, 8, 0, tzinfo=dt.UTC)  # 08:00 GMT today
    assert stored.updated_at == NOW


async def test_set_timezone_refuses_what_is_not_a_zone(db: Database) -> None:
    await _consented(db)
    for bad in ("Mars/Olympus", "../../etc/passwd", "", "x" * 100):
        with pytest.raises(ValueError):
            async with db.session() as session:
                await subscribers.set_timezone(session, 5, bad, NOW)
    async with db.session() as session:
        stored = await subscribers.find(session, 5)
    assert stored is not None and stored.timezone == "Asia/Kuala_Lumpur"


async def test_preferences_need_consent(db: Database) -> None:
    await _start(db)  # started, never agreed: nothing but the chat may be stored
    with pytest.raises(subscribers.NotSubscribed):
        async with db.session() as session:
            await subscribers.set_timezone(session, 5, "Asia/Tokyo", NOW)
    with pytest.raises(subscribers.NotSubscribed):
        async with db.session() as session:
            await subscribers.set_topic(session, 5, "sleep", False, NOW)
    with pytest.raises(subscribers.NotSubscribed):
        async with db.session() as session:
            await subscribers.set_concern(session, 5, "acne", NOW)
    async with db.session() as session:
        stored = await subscribers.find(session, 5)
    assert stored is not None
    assert (stored.timezone, stored.topics, stored.concern) == ("Asia/Kuala_Lumpur", None, None)


async def test_topics_toggle_in_program_order_and_the_last_one_stays(db: Database) -> None:
    await _consented(db)
    steps = [
        ("stress", False, "fiber,fermented,sleep"),
        ("fiber", False, "fermented,sleep"),
        ("fiber", False, "fermented,sleep"),  # already off: no change
        ("stress", True, "fermented,sleep,stress"),
        ("sleep", False, "fermented,stress"),
        ("fermented", False, "stress"),
    ]
    for topic, on, stored_value in steps:
        async with db.session() as session:
            sub = await subscribers.set_topic(session, 5, topic, on, NOW)
        assert sub.topics == stored_value, (topic, on)
    with pytest.raises(subscribers.LastTopic):
        async with db.session() as session:
            await subscribers.set_topic(session, 5, "stress", False, NOW)
    async with db.session() as session:
        stored = await subscribers.find(session, 5)
    assert stored is not None and stored.topics == "stress"
    assert subscribers.topics_of(stored) == ("stress",)
    for topic in ("fiber", "fermented", "sleep"):
        async with db.session() as session:
            sub = await subscribers.set_topic(session, 5, topic, True, NOW)
    assert sub.topics is None  # all of them: stored as NULL
    assert subscribers.topics_of(sub) == ("fiber", "fermented", "sleep", "stress")


async def test_unknown_topic_or_concern_is_refused(db: Database) -> None:
    await _consented(db)
    with pytest.raises(ValueError):
        async with db.session() as session:
            await subscribers.set_topic(session, 5, "hydration", False, NOW)  # not a core topic
    with pytest.raises(ValueError):
        async with db.session() as session:
            await subscribers.set_concern(session, 5, "warts", NOW)


async def test_concern_is_stored_and_cleared(db: Database) -> None:
    await _consented(db)
    async with db.session() as session:
        assert (await subscribers.set_concern(session, 5, "rosacea", NOW)).concern == "rosacea"
    async with db.session() as session:
        stored = await subscribers.find(session, 5)
        assert stored is not None
        exported = subscribers.export(stored)
    assert (exported["topics"], exported["skin_concern"]) == ("all", "rosacea")
    async with db.session() as session:
        assert (await subscribers.set_concern(session, 5, None, NOW)).concern is None


async def test_subscribing_again_ends_a_pause(db: Database) -> None:
    await _consented(db)
    async with db.session() as session:
        await subscribers.pause(session, 5, NOW + dt.timedelta(days=7), NOW)
        sub = await subscribers.find(session, 5)
        assert sub is not None
        sub.status = SubscriberStatus.UNSUBSCRIBED
        await session.commit()
    async with db.session() as session:
        sub = await subscribers.subscribe(session, 5, NOW)
    assert sub is not None
    assert (sub.status, sub.paused_until) == (SubscriberStatus.ACTIVE, None)
    assert sub.next_due_at == dt.datetime(2026, 11, 22, 0, 0, tzinfo=dt.UTC)


def test_topics_of_ignores_what_is_no_longer_a_core_topic() -> None:
    sub = Subscriber(topics="sleep,hydration")
    assert subscribers.topics_of(sub) == ("sleep",)
    assert subscribers.topics_of(Subscriber(topics="hydration")) == subscribers.CORE_TOPIC_NAMES
    assert subscribers.topics_of(Subscriber(topics=None)) == subscribers.CORE_TOPIC_NAMES


async def test_export_lists_the_tips_sent_and_erase_removes_them(db: Database) -> None:
    await _consented(db)
    async with db.session() as session:
        sub = await subscribers.find(session, 5)
        assert sub is not None
        session.add(
            Delivery(
                subscriber_id=sub.id,
                local_date=dt.date(2026, 11, 22),
                due_at=NOW,
                tip_id="fiber-feeds-gut-bacteria",
                status="sent",
                sent_at=NOW,
                feedback="helpful",
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
            "status": "sent",
            "sent_at": NOW.isoformat(),
            "feedback": "helpful",
        }
    ]
    assert everything["chat_id"] == 5
    async with db.session() as session:
        assert await subscribers.erase(session, 5) is True
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Delivery)) == 0
        assert await session.scalar(select(func.count()).select_from(Subscriber)) == 0
        assert await subscribers.erase(session, 5) is False
