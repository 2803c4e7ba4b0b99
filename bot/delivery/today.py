"""/today, the tip's feedback buttons and "more on this topic". No Telegram here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.library import Library
from bot.content.models import Tip, Topic
from bot.db.models import Delivery, DeliveryStatus, Subscriber, SubscriberStatus
from bot.delivery.engine import SEEN, history_of
from bot.schedule.choose import Skip, choose_tip, parse_concern, parse_topics
from bot.schedule.due import local_date


async def record_feedback(
    session: AsyncSession, chat_id: int, delivery_id: int, helpful: bool, now: dt.datetime
) -> bool:
    """Store a vote on one delivered tip; False when it is not this chat's (or is gone)."""
    owner = select(Subscriber.id).where(Subscriber.chat_id == chat_id).scalar_subquery()
    result = await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.subscriber_id == owner)
        .values(feedback="helpful" if helpful else "not_helpful", updated_at=now)
    )
    await session.commit()
    return bool(getattr(result, "rowcount", 0))


async def more_on_topic(
    session: AsyncSession,
    library: Library,
    chat_id: int,
    topic: Topic,
    shown: Sequence[str],
) -> Tip | None:
    """A tip on `topic` they have not had and were not just shown, or None."""
    sub = await session.scalar(select(Subscriber.id).where(Subscriber.chat_id == chat_id))
    seen: set[str] = set(shown)
    if sub is not None:
        seen |= set((await history_of(session, [sub]))[sub].last_seen)
    return next((t for t in library.tips if t.topic == topic and t.id not in seen), None)


async def todays_tip(
    session: AsyncSession,
    library: Library,
    subscriber: Subscriber | None,
    now: dt.datetime,
    default_timezone: str,
) -> tuple[Tip | Skip, int | None]:
    """Today's tip for this chat and the ledger row it is recorded in (None: not stored).

    A subscriber who already had today's tip sees the same one again. Otherwise today's
    tip is chosen now and written to the ledger as today's delivery, so the scheduled
    send later today finds it and sends nothing more: still one tip per local day.
    Someone who has not subscribed gets the program's tip for today, and nothing is stored.
    """
    if library.paused:
        return Skip("deliveries paused"), None
    subscribed = subscriber is not None and subscriber.consented_at is not None
    tz = subscriber.timezone if subscriber is not None else default_timezone
    day = local_date(now, tz)
    if subscriber is None or not subscribed:
        choice = choose_tip(library, day, topics=parse_topics(None), concern=None, seen={})
        return choice, None
    existing = await session.scalar(
        select(Delivery).where(Delivery.subscriber_id == subscriber.id, Delivery.local_date == day)
    )
    if existing is not None and existing.tip_id and existing.status in SEEN:
        tip = library.tip(existing.tip_id)
        if tip is not None:
            return tip, existing.id
    if existing is not None and existing.status == DeliveryStatus.SKIPPED:
        return Skip(existing.error or "skipped date"), None
    history = (await history_of(session, [subscriber.id]))[subscriber.id]
    choice = choose_tip(
        library,
        day,
        topics=parse_topics(subscriber.topics),
        concern=parse_concern(subscriber.concern),
        seen=history.last_seen,
    )
    if isinstance(choice, Skip) or subscriber.status != SubscriberStatus.ACTIVE:
        return choice, None
    if existing is not None:
        # A missed or failed send earlier today: this one takes its place.
        existing.tip_id, existing.status, existing.updated_at = choice.id, "sending", now
        existing.claimed_by, existing.lease_until = "today", now + dt.timedelta(minutes=5)
        await session.commit()
        return choice, existing.id
    row = Delivery(
        subscriber_id=subscriber.id,
        local_date=day,
        due_at=now,
        tip_id=choice.id,
        status=DeliveryStatus.SENDING,
        attempts=1,
        claimed_by="today",
        lease_until=now + dt.timedelta(minutes=5),
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.commit()
    return choice, row.id


async def record_sent(
    session: AsyncSession, delivery_id: int, message_id: int | None, now: dt.datetime
) -> None:
    """Mark /today's ledger row sent."""
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == DeliveryStatus.SENDING)
        .values(status=DeliveryStatus.SENT, sent_at=now, message_id=message_id, updated_at=now)
    )
    await session.commit()
