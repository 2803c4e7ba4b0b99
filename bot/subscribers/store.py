"""Subscribing: who started the bot, who agreed to daily tips. No Telegram here."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.models import CORE_TOPICS, Concern
from bot.db.models import BroadcastDelivery, Delivery, Subscriber, SubscriberStatus
from bot.schedule.due import next_due_from
from bot.schedule.plan import Profile
from bot.subscribers.timezones import is_zone

# Deep-link payloads are at most 64 characters of A-Z, a-z, 0-9, _ and - (Bot API rule).
_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class Defaults:
    """What a new subscriber gets until they choose otherwise."""

    timezone: str
    send_time: dt.time


@dataclass(frozen=True)
class StartOutcome:
    """What /start found or made."""

    subscriber: Subscriber
    created: bool


def clean_source(payload: str | None) -> str | None:
    """Return a deep-link payload fit to store as the acquisition source, or None."""
    if payload is None:
        return None
    payload = payload.strip()
    return payload if _PAYLOAD.fullmatch(payload) else None


async def find(session: AsyncSession, chat_id: int) -> Subscriber | None:
    """Return the subscriber of a private chat, if any."""
    return await session.scalar(select(Subscriber).where(Subscriber.chat_id == chat_id))


async def record_start(
    session: AsyncSession,
    *,
    chat_id: int,
    user_id: int,
    language: str,
    source: str | None,
    defaults: Defaults,
    now: dt.datetime,
) -> StartOutcome:
    """Store the chat on first /start; a repeated /start changes nothing but a lost block.

    An upsert: two /start at once (a double tap, or a webhook update replayed to two
    replicas) store one row, and neither fails on the unique chat id.
    """
    existing = await find(session, chat_id)
    if existing is None:
        inserted = await session.scalar(
            insert_new(session, defaults, now, chat_id, user_id, language, source).returning(
                Subscriber.id
            )
        )
        await session.commit()
        existing = await find(session, chat_id)
        if existing is None:  # the user id is taken by another chat: not a private chat
            raise ValueError(f"user {user_id} already started the bot from another chat")
        if inserted is not None:
            return StartOutcome(existing, created=True)
    if existing.status == SubscriberStatus.BLOCKED:
        # They came back: /start after unblocking restores what they had.
        existing.status = SubscriberStatus.ACTIVE if existing.consented_at else SubscriberStatus.NEW
        await _save(session, existing, now)
    return StartOutcome(existing, created=False)


def insert_new(
    session: AsyncSession,
    defaults: Defaults,
    now: dt.datetime,
    chat_id: int,
    user_id: int,
    language: str,
    source: str | None,
) -> Any:
    """The INSERT of a new (not yet subscribed) chat that does nothing when it is stored
    already: one row even for two taps, or two replicas, at once."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return (
        dialect.insert(Subscriber)
        .values(
            chat_id=chat_id,
            user_id=user_id,
            language=language,
            timezone=defaults.timezone,
            send_time=defaults.send_time,
            status=SubscriberStatus.NEW,
            source=clean_source(source),
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing()
    )


@dataclass(frozen=True)
class SubscribeOutcome:
    """What pressing Subscribe did."""

    subscriber: Subscriber | None  # None: the chat never started the bot
    activated: bool  # this press made them active; False when they already were
    returning: bool  # they had agreed to tips before


async def subscribe(session: AsyncSession, chat_id: int, now: dt.datetime) -> Subscriber | None:
    """Record consent and make the subscriber active; None when the chat never started."""
    return (await subscribe_once(session, chat_id, now)).subscriber


async def subscribe_once(session: AsyncSession, chat_id: int, now: dt.datetime) -> SubscribeOutcome:
    """Record consent and make the subscriber active, telling which of two presses at once
    did it: the status changes in one conditional UPDATE, so exactly one of them wins."""
    won = await session.execute(
        update(Subscriber)
        .where(Subscriber.chat_id == chat_id, Subscriber.status != SubscriberStatus.ACTIVE)
        .values(status=SubscriberStatus.ACTIVE, paused_until=None)
        .returning(Subscriber.consented_at)
        .execution_options(synchronize_session=False)
    )
    row = won.first()
    subscriber = await session.scalar(
        select(Subscriber)
        .where(Subscriber.chat_id == chat_id)
        .execution_options(populate_existing=True)
    )
    if subscriber is None or row is None:
        await session.commit()
        return SubscribeOutcome(subscriber, activated=False, returning=subscriber is not None)
    subscriber.consented_at = row.consented_at or now
    await _save(session, subscriber, now)
    return SubscribeOutcome(subscriber, activated=True, returning=row.consented_at is not None)


def export(subscriber: Subscriber) -> dict[str, object]:
    """Return everything stored about a subscriber, as JSON-ready values."""
    return {
        "chat_id": subscriber.chat_id,
        "user_id": subscriber.user_id,
        "language": subscriber.language,
        "timezone": subscriber.timezone,
        "send_time": subscriber.send_time.strftime("%H:%M"),
        "status": subscriber.status,
        "source": subscriber.source,
        "topics": subscriber.topics.split(",") if subscriber.topics else "all",
        "skin_concern": subscriber.concern,
        "paused_until": subscriber.paused_until.isoformat() if subscriber.paused_until else None,
        "next_tip_due_at": subscriber.next_due_at.isoformat() if subscriber.next_due_at else None,
        "consented_at": subscriber.consented_at.isoformat() if subscriber.consented_at else None,
        "created_at": subscriber.created_at.isoformat(),
        "updated_at": subscriber.updated_at.isoformat(),
        "note": "Questions you typed and booking buttons you pressed are stored without "
        "any link to you, so they are not personal data and are not listed here; only "
        "questions you sent to the clinic team are (questions_to_the_team).",
    }


async def export_rows(
    session: AsyncSession, model: Any, chat_id: int, fields: Iterable[str]
) -> list[dict[str, object]]:
    """A chat's rows of a table (by its chat_id, oldest first) as JSON-ready values: these
    fields, instants as ISO text."""
    rows = await session.scalars(select(model).where(model.chat_id == chat_id).order_by(model.id))
    names = tuple(fields)
    return [{name: _json(getattr(row, name)) for name in names} for row in rows]


def _json(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.datetime) else value


async def export_all(session: AsyncSession, subscriber: Subscriber) -> dict[str, object]:
    """Return everything stored about a subscriber, with the tips sent to them."""
    rows = await session.scalars(
        select(Delivery)
        .where(Delivery.subscriber_id == subscriber.id)
        .order_by(Delivery.local_date)
    )
    tips = [
        {
            "date": row.local_date.isoformat(),
            "tip": row.tip_id,
            "status": row.status,
            "sent_at": row.sent_at.isoformat() if row.sent_at else None,
            "feedback": row.feedback,
        }
        for row in rows
    ]
    return {**export(subscriber), "tips": tips}


async def erase(session: AsyncSession, chat_id: int) -> bool:
    """Delete every personal row of a chat; return whether there was anything to delete.

    Statements, not ORM deletes: of two erasures at once, one deletes and the other finds
    nothing, where an ORM delete of an already deleted row would fail.
    """
    subscriber_id = await session.scalar(select(Subscriber.id).where(Subscriber.chat_id == chat_id))
    if subscriber_id is None:
        return False
    # The foreign key cascades too; deleting explicitly does not depend on it being enforced.
    await session.execute(delete(Delivery).where(Delivery.subscriber_id == subscriber_id))
    await session.execute(
        delete(BroadcastDelivery).where(BroadcastDelivery.subscriber_id == subscriber_id)
    )
    gone = await session.scalar(
        delete(Subscriber).where(Subscriber.id == subscriber_id).returning(Subscriber.id)
    )
    await session.commit()
    return gone is not None


class NotSubscribed(Exception):
    """The chat has not agreed to be stored, so there are no preferences to change."""


async def current(session: AsyncSession, chat_id: int, *, lock: bool = False) -> Subscriber:
    """Return the subscriber of a chat that agreed to be stored, else raise NotSubscribed.

    `lock` holds the row until commit, for a read-modify-write that another replica (or
    another connection of this one) may do at the same moment: FOR UPDATE on PostgreSQL; on
    SQLite, which has no FOR UPDATE and whose driver runs a SELECT outside any transaction,
    a write first (changing nothing) takes the database's one write lock until commit.
    """
    statement = select(Subscriber).where(Subscriber.chat_id == chat_id)
    if lock:
        if session.get_bind().dialect.name == "sqlite":
            await session.execute(
                update(Subscriber)
                .where(Subscriber.chat_id == chat_id)
                .values(id=Subscriber.id)
                .execution_options(synchronize_session=False)
            )
        statement = statement.with_for_update().execution_options(populate_existing=True)
    subscriber = await session.scalar(statement)
    if subscriber is None or subscriber.consented_at is None:
        raise NotSubscribed(chat_id)
    return subscriber


async def set_send_time(
    session: AsyncSession, chat_id: int, send_time: dt.time, now: dt.datetime
) -> Subscriber:
    """Change the local time the daily tip arrives."""
    subscriber = await current(session, chat_id)
    subscriber.send_time = send_time
    await _save(session, subscriber, now)
    return subscriber


async def set_language(
    session: AsyncSession, chat_id: int, language: str, now: dt.datetime
) -> Subscriber | None:
    """Change the language; anyone who started the bot may choose it (it is not sensitive)."""
    subscriber = await find(session, chat_id)
    if subscriber is None:
        return None
    subscriber.language = language
    await _save(session, subscriber, now)
    return subscriber


async def pause(
    session: AsyncSession, chat_id: int, until: dt.datetime | None, now: dt.datetime
) -> Subscriber:
    """Stop tips until a moment (or until resumed); only an active or paused subscription."""
    running = (SubscriberStatus.ACTIVE, SubscriberStatus.PAUSED)
    return await _set_status(session, chat_id, SubscriberStatus.PAUSED, now, until, running)


async def resume(session: AsyncSession, chat_id: int, now: dt.datetime) -> Subscriber:
    """Start tips again after a pause or /stop."""
    return await _set_status(session, chat_id, SubscriberStatus.ACTIVE, now)


async def unsubscribe(session: AsyncSession, chat_id: int, now: dt.datetime) -> Subscriber:
    """Stop daily tips for good, keeping preferences so a later /start restores them."""
    return await _set_status(session, chat_id, SubscriberStatus.UNSUBSCRIBED, now)


async def _set_status(
    session: AsyncSession,
    chat_id: int,
    status: SubscriberStatus,
    now: dt.datetime,
    until: dt.datetime | None = None,
    only_from: tuple[SubscriberStatus, ...] | None = None,
) -> Subscriber:
    """Move a subscription to `status` (paused `until`), if it is in one of `only_from`."""
    subscriber = await current(session, chat_id)
    if only_from is not None and subscriber.status not in only_from:
        raise NotSubscribed(chat_id)
    subscriber.status = status
    subscriber.paused_until = until
    await _save(session, subscriber, now)
    return subscriber


async def mark_blocked(session: AsyncSession, chat_id: int, now: dt.datetime) -> bool:
    """Stop every send to a chat that blocked the bot; return whether a row changed."""
    subscriber = await find(session, chat_id)
    if subscriber is None or subscriber.status == SubscriberStatus.BLOCKED:
        return False
    subscriber.status = SubscriberStatus.BLOCKED
    await _save(session, subscriber, now)
    return True


async def set_timezone(
    session: AsyncSession, chat_id: int, zone: str, now: dt.datetime
) -> Subscriber:
    """Change the IANA zone the daily send time is read in."""
    if not is_zone(zone):
        raise ValueError(f"not a timezone: {zone!r}")
    subscriber = await current(session, chat_id)
    subscriber.timezone = zone
    await _save(session, subscriber, now)
    return subscriber


CORE_TOPIC_NAMES: tuple[str, ...] = tuple(str(topic) for topic in CORE_TOPICS)
CONCERN_NAMES: tuple[str, ...] = tuple(str(concern) for concern in Concern)


class LastTopic(Exception):
    """Turning this topic off would leave none: at least one topic stays on."""


def topics_of(subscriber: Subscriber) -> tuple[str, ...]:
    """Return the core topics a subscriber gets, in the program's order (NULL means all)."""
    if subscriber.topics is None:
        return CORE_TOPIC_NAMES
    chosen = set(subscriber.topics.split(","))
    return tuple(topic for topic in CORE_TOPIC_NAMES if topic in chosen) or CORE_TOPIC_NAMES


def _stored_topics(topics: Iterable[str]) -> str | None:
    """Return the column value for a set of topics: None when it is all of them."""
    chosen = set(topics)
    if chosen == set(CORE_TOPIC_NAMES):
        return None
    return ",".join(topic for topic in CORE_TOPIC_NAMES if topic in chosen)


async def set_topic(
    session: AsyncSession, chat_id: int, topic: str, on: bool, now: dt.datetime
) -> Subscriber:
    """Turn one core topic on or off; refuse (LastTopic) to turn off the last one."""
    if topic not in CORE_TOPIC_NAMES:
        raise ValueError(f"not a core topic: {topic!r}")
    subscriber = await current(session, chat_id, lock=True)  # taps may reach two replicas
    chosen = set(topics_of(subscriber))
    if on:
        chosen.add(topic)
    else:
        chosen.discard(topic)
    if not chosen:
        raise LastTopic(topic)
    subscriber.topics = _stored_topics(chosen)
    await _save(session, subscriber, now)
    return subscriber


async def set_concern(
    session: AsyncSession, chat_id: int, concern: str | None, now: dt.datetime
) -> Subscriber:
    """Store the skin concern tips should lean towards; None means no concern."""
    if concern is not None and concern not in CONCERN_NAMES:
        raise ValueError(f"not a skin concern: {concern!r}")
    subscriber = await current(session, chat_id)
    subscriber.concern = concern
    await _save(session, subscriber, now)
    return subscriber


async def _save(session: AsyncSession, subscriber: Subscriber, now: dt.datetime) -> None:
    """Store a change: every change of time, zone, status or pause moves the due instant."""
    reschedule(subscriber, now)
    subscriber.updated_at = now
    await session.commit()


def reschedule(subscriber: Subscriber, now: dt.datetime) -> None:
    """Set next_due_at from the subscriber's status, time, zone and pause.

    Call after every change to any of those. Only active subscribers, and paused ones with
    an end date, have a due instant; the tick reads nothing else.
    """
    paused = subscriber.status == SubscriberStatus.PAUSED
    subscriber.next_due_at = next_due_from(
        subscriber.send_time,
        subscriber.timezone,
        now,
        active=subscriber.status == SubscriberStatus.ACTIVE,
        resume_at=subscriber.paused_until if paused else None,
    )


def profile_of(subscriber: Subscriber) -> Profile:
    """What the day's decision (`bot.schedule.plan.plan_day`) reads of a subscriber."""
    return Profile(
        timezone=subscriber.timezone,
        topics=subscriber.topics,
        concern=subscriber.concern,
        active=subscriber.status == SubscriberStatus.ACTIVE,
    )
