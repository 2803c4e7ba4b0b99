"""What consent stores: the chat and one record on "I agree", the concern's withdrawal, the
records in /mydata's export, and nothing left of them after /deletemydata."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from bot.db.engine import Database
from bot.db.models import ConsentRecord, Subscriber, SubscriberStatus
from bot.subscribers import consent
from bot.subscribers import store as subscribers

pytestmark = pytest.mark.dialect

NOW = dt.datetime(2026, 11, 21, 1, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(days=3)
DEFAULTS = subscribers.Defaults("Asia/Kuala_Lumpur", dt.time(8, 0))
CHAT = 5


async def agree(
    db: Database,
    chat_id: int = CHAT,
    *,
    language: str = "ms",
    source: str | None = None,
    now: dt.datetime = NOW,
) -> None:
    async with db.session() as session:
        await consent.agree(
            session,
            chat_id=chat_id,
            user_id=chat_id,
            language=language,
            source=source,
            defaults=DEFAULTS,
            now=now,
        )


async def records(
    db: Database, chat_id: int = CHAT
) -> list[tuple[str, str, str, dt.datetime, dt.datetime | None]]:
    async with db.session() as session:
        rows = await session.scalars(
            select(ConsentRecord).where(ConsentRecord.chat_id == chat_id).order_by(ConsentRecord.id)
        )
        return [(r.purpose, r.notice, r.language, r.given_at, r.withdrawn_at) for r in rows]


async def test_agreeing_stores_the_chat_with_defaults_and_one_record_of_the_notice(
    db: Database,
) -> None:
    await agree(db, source="qr-cheras")
    async with db.session() as session:
        stored = await subscribers.find(session, CHAT)
    assert stored is not None
    assert (stored.user_id, stored.language, stored.timezone, stored.send_time) == (
        CHAT,
        "ms",
        "Asia/Kuala_Lumpur",
        dt.time(8, 0),
    )
    assert (stored.status, stored.source, stored.created_at, stored.updated_at) == (
        SubscriberStatus.NEW,
        "qr-cheras",
        NOW,
        NOW,
    )
    assert await records(db) == [("tips", "consent", "ms", NOW, None)]


async def test_a_second_tap_stores_no_second_chat_nor_record(db: Database) -> None:
    await agree(db)
    await agree(db, language="en", source="other", now=LATER)
    async with db.session() as session:
        rows = list(await session.scalars(select(Subscriber)))
    assert [(r.chat_id, r.language, r.source, r.created_at) for r in rows] == [
        (CHAT, "ms", None, NOW)
    ]
    assert await records(db) == [("tips", "consent", "ms", NOW, None)]


async def test_a_source_that_is_not_a_deep_link_payload_is_not_stored(db: Database) -> None:
    await agree(db, source="bad source!")
    async with db.session() as session:
        stored = await subscribers.find(session, CHAT)
    assert stored is not None and stored.source is None


async def test_each_chat_has_its_own_consent(db: Database) -> None:
    await agree(db, chat_id=6)
    await agree(db, chat_id=CHAT, language="en")
    assert await records(db, CHAT) == [("tips", "consent", "en", NOW, None)]
    assert await records(db, 6) == [("tips", "consent", "ms", NOW, None)]


async def test_other_purposes_name_their_own_notices(db: Database) -> None:
    await agree(db)
    async with db.session() as session:
        await consent.record(session, CHAT, consent.CONCERN, "en", LATER)
        await consent.record(session, CHAT, consent.INBOX, "ms", LATER)
        await session.commit()
    assert await records(db) == [
        ("tips", "consent", "ms", NOW, None),
        ("concern", "concern_consent", "en", LATER, None),
        ("inbox", "inbox_consent", "ms", LATER, None),
    ]


async def _with_concern(db: Database) -> None:
    await agree(db)
    async with db.session() as session:
        await subscribers.subscribe(session, CHAT, NOW)
        await consent.record(session, CHAT, consent.CONCERN, "ms", NOW)
        await subscribers.set_concern(session, CHAT, "acne", NOW)


async def test_withdrawing_the_concern_erases_it_and_marks_only_that_consent(
    db: Database,
) -> None:
    await _with_concern(db)
    async with db.session() as session:
        assert await consent.withdraw_concern(session, CHAT, LATER) is True
    async with db.session() as session:
        stored = await subscribers.find(session, CHAT)
    assert stored is not None and stored.concern is None and stored.updated_at == LATER
    assert await records(db) == [
        ("tips", "consent", "ms", NOW, None),
        ("concern", "concern_consent", "ms", NOW, LATER),
    ]
    async with db.session() as session:  # nothing left to withdraw
        assert await consent.withdraw_concern(session, CHAT, LATER + LATER.resolution) is False
    assert (await records(db))[1][4] == LATER  # the first withdrawal's time stays


async def test_withdrawing_leaves_other_chats_alone(db: Database) -> None:
    await _with_concern(db)
    async with db.session() as session:
        assert await consent.withdraw_concern(session, 6, LATER) is False
    assert (await records(db))[1][4] is None
    async with db.session() as session:
        stored = await subscribers.find(session, CHAT)
    assert stored is not None and stored.concern == "acne"


async def test_the_export_lists_every_record_in_order(db: Database) -> None:
    await _with_concern(db)
    async with db.session() as session:
        await consent.withdraw_concern(session, CHAT, LATER)
    async with db.session() as session:
        exported = await consent.export(session, CHAT)
        assert await consent.export(session, 6) == []
    assert exported == [
        {
            "purpose": "tips",
            "notice": "consent",
            "language": "ms",
            "given_at": NOW.isoformat(),
            "withdrawn_at": None,
        },
        {
            "purpose": "concern",
            "notice": "concern_consent",
            "language": "ms",
            "given_at": NOW.isoformat(),
            "withdrawn_at": LATER.isoformat(),
        },
    ]


async def test_erasing_deletes_every_record_of_the_chat_and_counts_them(db: Database) -> None:
    await _with_concern(db)
    await agree(db, chat_id=6)
    async with db.session() as session:
        assert await consent.erase(session, CHAT) == 2
    assert await records(db, CHAT) == []
    assert len(await records(db, 6)) == 1
    async with db.session() as session:
        assert await consent.erase(session, CHAT) == 0


async def test_a_question_kept_for_the_team_is_no_consent_to_tips(db: Database) -> None:
    async with db.session() as session:  # asked the team before ever subscribing
        await consent.record(session, CHAT, consent.INBOX, "en", NOW)
        await session.commit()
    await agree(db, now=LATER)
    assert await records(db) == [
        ("inbox", "inbox_consent", "en", NOW, None),
        ("tips", "consent", "ms", LATER, None),
    ]


async def test_agreeing_again_after_a_withdrawn_consent_records_it_again(db: Database) -> None:
    await agree(db)
    async with db.session() as session:
        await session.execute(
            update(ConsentRecord).where(ConsentRecord.chat_id == CHAT).values(withdrawn_at=NOW)
        )
        await session.commit()
    await agree(db, now=LATER)
    assert await records(db) == [
        ("tips", "consent", "ms", NOW, NOW),
        ("tips", "consent", "ms", LATER, None),
    ]
