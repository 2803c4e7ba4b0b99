"""Consent (PDPA): nothing about a person is stored before they agree; what they agreed to
is recorded, and withdrawing it erases what it covered. No Telegram here."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ConsentRecord, Subscriber, SubscriberStatus
from bot.subscribers import store as subscribers

TIPS, CONCERN, INBOX = "tips", "concern", "inbox"
NOTICES = {TIPS: "consent", CONCERN: "concern_consent", INBOX: "inbox_consent"}
"""The catalog key of the text each consent was given to (the record names it)."""

# What the "I agree" button carries: the notice's language and the deep-link source, so
# neither is stored before the tap. Button data is at most 64 bytes.
AGREE = "sub:yes"
_AGREE = re.compile(r"^sub:yes(?::(?P<lang>[a-z]{2})(?::(?P<source>[A-Za-z0-9_-]{1,53}))?)?$")


def agree_data(language: str, source: str | None) -> str:
    """Return the "I agree" button's data for a notice in `language` (the source if it fits)."""
    source = subscribers.clean_source(source)
    data = f"{AGREE}:{language}"
    if source and len(data) + 1 + len(source) <= 64:
        data = f"{data}:{source}"
    return data


def parse_agree(data: str | None) -> tuple[str | None, str | None] | None:
    """Return (language, source) from "I agree" data, or None when it is not such data."""
    found = _AGREE.match(data or "")
    if found is None:
        return None
    return found["lang"], found["source"]


async def agree(
    session: AsyncSession,
    *,
    chat_id: int,
    user_id: int,
    language: str,
    source: str | None,
    defaults: subscribers.Defaults,
    now: dt.datetime,
) -> None:
    """Store the chat on "I agree" (one row even for two taps at once) and record the consent.

    The subscription itself is then made active by subscribers.subscribe.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    await session.execute(
        dialect.insert(Subscriber)
        .values(
            chat_id=chat_id,
            user_id=user_id,
            language=language,
            timezone=defaults.timezone,
            send_time=defaults.send_time,
            status=SubscriberStatus.NEW,
            source=subscribers.clean_source(source),
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing()
    )
    given = await session.scalar(
        select(ConsentRecord.id).where(
            ConsentRecord.chat_id == chat_id,
            ConsentRecord.purpose == TIPS,
            ConsentRecord.withdrawn_at.is_(None),
        )
    )
    if given is None:
        session.add(_record(chat_id, TIPS, language, now))
    await session.commit()


def _record(chat_id: int, purpose: str, language: str, now: dt.datetime) -> ConsentRecord:
    return ConsentRecord(
        chat_id=chat_id, purpose=purpose, notice=NOTICES[purpose], language=language, given_at=now
    )


async def record(
    session: AsyncSession, chat_id: int, purpose: str, language: str, now: dt.datetime
) -> None:
    """Record one consent (added to the session; the caller commits)."""
    session.add(_record(chat_id, purpose, language, now))


async def withdraw_concern(session: AsyncSession, chat_id: int, now: dt.datetime) -> bool:
    """Erase the skin concern and mark its consent withdrawn; return whether one was stored."""
    had = await session.scalar(select(Subscriber.concern).where(Subscriber.chat_id == chat_id))
    await session.execute(
        update(ConsentRecord)
        .where(
            ConsentRecord.chat_id == chat_id,
            ConsentRecord.purpose == CONCERN,
            ConsentRecord.withdrawn_at.is_(None),
        )
        .values(withdrawn_at=now)
    )
    await session.commit()
    if had is not None:
        await subscribers.set_concern(session, chat_id, None, now)
    return had is not None


async def export(session: AsyncSession, chat_id: int) -> list[dict[str, object]]:
    """Return a chat's consent records as JSON-ready values."""
    rows = await session.scalars(
        select(ConsentRecord).where(ConsentRecord.chat_id == chat_id).order_by(ConsentRecord.id)
    )
    return [
        {
            "purpose": row.purpose,
            "notice": row.notice,
            "language": row.language,
            "given_at": row.given_at.isoformat(),
            "withdrawn_at": row.withdrawn_at.isoformat() if row.withdrawn_at else None,
        }
        for row in rows
    ]


async def erase(session: AsyncSession, chat_id: int) -> int:
    """Delete a chat's consent records (with /deletemydata); return how many."""
    result = await session.execute(delete(ConsentRecord).where(ConsentRecord.chat_id == chat_id))
    await session.commit()
    return int(getattr(result, "rowcount", 0) or 0)
