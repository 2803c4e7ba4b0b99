"""The staff inbox ("Ask the clinic team"): questions patients chose to send to a person.

An item exists only after the patient opted in, and it carries their chat so the clinic can
reply through the bot. No Telegram here: the patient's side is bot/handlers/inbox.py, the
staff's bot/handlers/admin/inbox.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import yaml
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin import stats
from bot.db.audit import audit
from bot.db.models import ConsentRecord, InboxItem, InboxStatus
from bot.subscribers import consent
from bot.subscribers import store as subscribers

KINDS = ("unanswered", "urgent", "crisis")
MAX_TEXT = 4000  # a Telegram message is 4,096 characters; leave room for the header


def fit(text: str) -> str:
    """The text as stored: without NUL (PostgreSQL's text cannot hold it; nobody means it),
    trimmed, at most MAX_TEXT characters."""
    return text.replace("\x00", "").strip()[:MAX_TEXT]


class NotFound(Exception):
    """No such inbox item (erased by the patient, purged, or never there)."""


async def open_item(
    session: AsyncSession,
    *,
    chat_id: int,
    language: str,
    kind: str,
    question: str,
    now: dt.datetime,
) -> InboxItem:
    """Store a question the patient opted to send to the team, with their consent."""
    if kind not in KINDS:
        raise ValueError(f"not an inbox kind: {kind!r}")
    item = InboxItem(
        chat_id=chat_id,
        language=language,
        kind=kind,
        question=fit(question),
        status=InboxStatus.OPEN,
        created_at=now,
    )
    session.add(item)
    await consent.record(session, chat_id, consent.INBOX, language, now)
    await session.commit()
    return item


async def newest(session: AsyncSession, *, limit: int = 10, offset: int = 0) -> Sequence[InboxItem]:
    """Return items newest first (closed ones too, until purged)."""
    rows = await session.scalars(
        select(InboxItem)
        .order_by(InboxItem.created_at.desc(), InboxItem.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return rows.all()


async def count_open(session: AsyncSession) -> int:
    """Return how many items wait for a reply."""
    found = await session.scalar(
        select(func.count()).select_from(InboxItem).where(InboxItem.status == InboxStatus.OPEN)
    )
    return int(found or 0)


async def get(session: AsyncSession, item_id: int) -> InboxItem:
    """Return one item, or raise NotFound."""
    item = await session.get(InboxItem, item_id)
    if item is None:
        raise NotFound(item_id)
    return item


async def record_reply(
    session: AsyncSession, item_id: int, reply: str, staff_id: int, now: dt.datetime
) -> InboxItem:
    """Store the staff's reply (after it reached the patient), and who sent it in the audit
    log (its length only: the words stay with the item, erased with the patient's data)."""
    item = await get(session, item_id)
    await audit(
        session, staff_id, "inbox.reply", f"inbox:{item_id}", None, {"chars": len(reply)}, now
    )
    item.reply = fit(reply)
    item.replied_by = staff_id
    item.replied_at = now
    if item.status == InboxStatus.OPEN:
        item.status = InboxStatus.ANSWERED
    await session.commit()
    return item


async def close(session: AsyncSession, item_id: int, staff_id: int, now: dt.datetime) -> InboxItem:
    """Close an item; it is purged INBOX_RETENTION_DAYS later."""
    item = await get(session, item_id)
    if item.status != InboxStatus.CLOSED:
        await audit(session, staff_id, "inbox.close", f"inbox:{item_id}", item.status, None, now)
        item.status = InboxStatus.CLOSED
        item.closed_by = staff_id
        item.closed_at = now
        await session.commit()
    return item


async def purge_closed(session: AsyncSession, now: dt.datetime, days: int) -> int:
    """Delete items closed more than `days` ago; return how many."""
    cutoff = now - dt.timedelta(days=days)
    expired = (InboxItem.status == InboxStatus.CLOSED, InboxItem.closed_at < cutoff)
    chats = set(await session.scalars(select(InboxItem.chat_id).where(*expired)))
    result = await session.execute(delete(InboxItem).where(*expired))
    # The consent to keep a question goes with the last of that chat's questions.
    await session.execute(
        delete(ConsentRecord).where(
            ConsentRecord.purpose == consent.INBOX,
            ConsentRecord.chat_id.in_(chats),
            ConsentRecord.chat_id.not_in(select(InboxItem.chat_id)),
        )
    )
    await session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


async def export(session: AsyncSession, chat_id: int) -> list[dict[str, object]]:
    """Return a chat's items as JSON-ready values, for /mydata."""
    fields = ("question", "language", "status", "reply", "replied_at", "closed_at", "created_at")
    return await subscribers.export_rows(session, InboxItem, chat_id, fields)


async def has_any(session: AsyncSession, chat_id: int) -> bool:
    """Return whether a chat has any item (so /deletemydata has something to erase)."""
    found = await session.scalar(select(InboxItem.id).where(InboxItem.chat_id == chat_id).limit(1))
    return found is not None


async def erase(session: AsyncSession, chat_id: int) -> int:
    """Delete a chat's items and every consent record of it; return how many items."""
    result = await session.execute(delete(InboxItem).where(InboxItem.chat_id == chat_id))
    await session.commit()
    await consent.erase(session, chat_id)
    return int(getattr(result, "rowcount", 0) or 0)


def age(item: InboxItem, now: dt.datetime) -> str:
    """Return how long an item has waited, short: 5m, 3h, 2d."""
    seconds = max(0, int((now - item.created_at).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def faq_draft(item: InboxItem, today: dt.date, *, topics: Sequence[str], by: str) -> str:
    """Return a draft FAQ entry (YAML, tips/faq.yaml's schema) from a question and its reply.

    The same draft /stats makes from an unanswered question, with the staff's reply as the
    answer in the patient's language; it stays a draft until a clinician reviews it.
    """
    asked = stats.OpenQuestion(item.id, item.question, item.language, "inbox", item.created_at)
    draft = stats.faq_draft(asked, today, topics=topics, by=by)
    if not item.reply:
        return draft
    header, _, body = draft.partition("\nfaq:")
    data: dict[str, Any] = yaml.safe_load("faq:" + body)
    data["faq"][0]["text"][item.language]["answer"] = item.reply
    dumped = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=88)
    return f"{header}\n{dumped}"
