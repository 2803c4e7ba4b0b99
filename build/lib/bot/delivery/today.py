"""/today, the tip's feedback buttons and "more on this topic". No Telegram here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.library import Library
from bot.content.models import Tip, Topic
from bot.db.models import Delivery, DeliveryStatus, Subscriber, SubscriberStatus
from bot.delivery.engine import history_of
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


@dataclass(frozen=True)
class TodaysTip:
    """What /today shows, and what the handler must do with the ledger afterwards.

    `send_id` is set when /today holds the day's ledger row as "sending" (claimed from the
    schedule or new): the handler sends it and records the outcome with `record_outcome`.
    `delivery_id` is the row the tip's feedback buttons vote on.
    """

    choice: Tip | Skip
    delivery_id: int | None = None
    send_id: int | None = None
    on_its_way: bool = False  # the scheduled send of this tip is on the wire right now


# A row in one of these states is not on its way and not delivered: /today may take it.
_TAKEABLE = (
    DeliveryStatus.CLAIMED,
    DeliveryStatus.FAILED,
    DeliveryStatus.MISSED,
    DeliveryStatus.EXPIRED,
    DeliveryStatus.REJECTED,
    DeliveryStatus.BLOCKED,
)
TODAY = "today"


async def todays_tip(
    session: AsyncSession,
    library: Library,
    subscriber: Subscriber | None,
    now: dt.datetime,
    default_timezone: str,
    *,
    lease: dt.timedelta = dt.timedelta(seconds=30),
) -> TodaysTip:
    """Today's tip for this chat, through the same ledger row as the scheduled send.

    One row per subscriber and local day, and one way to send it: whoever moves the row
    from planned to "sending" (this, or the delivery tick's mark) sends it; the other
    does not. So /today while the day's tip is planned sends it now and the tick sends
    nothing; /today while it is on the wire says so; after it arrived (or is in doubt)
    /today shows the same tip again without recording a second delivery. A /today whose
    send certainly failed leaves the row "failed", and the tick sends it later.
    Someone who has not subscribed gets the program's tip for today, and nothing is stored.
    """
    if library.paused:
        return TodaysTip(Skip("deliveries paused"))
    subscribed = subscriber is not None and subscriber.consented_at is not None
    tz = subscriber.timezone if subscriber is not None else default_timezone
    day = local_date(now, tz)
    if subscriber is None or not subscribed:
        choice = choose_tip(library, day, topics=parse_topics(None), concern=None, seen={})
        return TodaysTip(choice)
    for _ in range(3):  # each lost race means the row changed; read it again
        existing = await session.scalar(
            select(Delivery)
            .where(Delivery.subscriber_id == subscriber.id, Delivery.local_date == day)
            .execution_options(populate_existing=True)
        )
        found = await _take(session, library, subscriber, existing, day, now, lease)
        if found is not None:
            return found
    raise RuntimeError("today's ledger row kept changing")


async def _take(
    session: AsyncSession,
    library: Library,
    subscriber: Subscriber,
    existing: Delivery | None,
    day: dt.date,
    now: dt.datetime,
    lease: dt.timedelta,
) -> TodaysTip | None:
    """Claim or show the day's row; None when another writer changed it meanwhile."""
    if existing is not None:
        tip = library.tip(existing.tip_id) if existing.tip_id else None
        ident, status, error = existing.id, existing.status, existing.error
        if status == DeliveryStatus.SKIPPED:
            await session.rollback()
            return TodaysTip(Skip(error or "skipped date"))
        if status == DeliveryStatus.SENDING:
            await session.rollback()
            return TodaysTip(tip or _choose(library, subscriber, day, {}), ident, on_its_way=True)
        if status not in _TAKEABLE:
            # Sent, or in doubt: show it again; no second delivery is recorded.
            await session.rollback()
            if tip is None:  # no longer in the library: today's choice, not stored
                return TodaysTip(_choose(library, subscriber, day, {}))
            return TodaysTip(tip, ident)
    history = (await history_of(session, [subscriber.id]))[subscriber.id]
    choice: Tip | Skip
    keep = (
        existing is not None
        and existing.status in (DeliveryStatus.CLAIMED, DeliveryStatus.FAILED)
        and existing.tip_id
        and library.tip(existing.tip_id)
    )
    if keep:
        assert existing is not None and existing.tip_id is not None
        found = library.tip(existing.tip_id)
        assert found is not None
        choice = found
    else:
        choice = _choose(library, subscriber, day, history.last_seen)
    if isinstance(choice, Skip) or subscriber.status != SubscriberStatus.ACTIVE:
        await session.rollback()
        return TodaysTip(choice)
    if existing is not None:
        ident, status = existing.id, existing.status
        # Planned, or an earlier send that certainly did not arrive: this one takes its
        # place, but only if nobody moved the row since it was read.
        taken = await session.execute(
            update(Delivery)
            .where(Delivery.id == ident, Delivery.status == status)
            .values(
                tip_id=choice.id,
                status=DeliveryStatus.SENDING,
                attempts=Delivery.attempts + 1,
                claimed_by=TODAY,
                lease_until=now + lease,
                updated_at=now,
            )
        )
        await session.commit()
        if not getattr(taken, "rowcount", 0):
            return None
        return TodaysTip(choice, ident, ident)
    dialect = sqlite if session.get_bind().dialect.name == "sqlite" else postgresql
    inserted = await session.scalar(
        dialect.insert(Delivery)
        .values(
            subscriber_id=subscriber.id,
            local_date=day,
            due_at=now,
            tip_id=choice.id,
            status=DeliveryStatus.SENDING,
            attempts=1,
            claimed_by=TODAY,
            lease_until=now + lease,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["subscriber_id", "local_date"])
        .returning(Delivery.id)
    )
    await session.commit()
    if inserted is None:
        return None  # the tick planned the day's row meanwhile
    return TodaysTip(choice, inserted, inserted)


def _choose(
    library: Library, subscriber: Subscriber, day: dt.date, seen: dict[str, dt.date]
) -> Tip | Skip:
    return choose_tip(
        library,
        day,
        topics=parse_topics(subscriber.topics),
        concern=parse_concern(subscriber.concern),
        seen=seen,
    )


async def record_outcome(
    session: AsyncSession,
    delivery_id: int,
    status: str,
    now: dt.datetime,
    *,
    message_id: int | None = None,
    reason: str | None = None,
    retry_after: dt.timedelta = dt.timedelta(seconds=60),
) -> None:
    """Store how /today's send of its ledger row ended.

    "sent"; "failed" only when the message certainly did not arrive (the tick sends it
    later, inside the catch-up window); "unknown" when it may have (never sent again);
    "blocked" or "rejected" for Telegram's refusals.
    """
    values: dict[str, object] = {"status": status, "updated_at": now}
    if status == DeliveryStatus.SENT:
        values.update(sent_at=now, message_id=message_id, error=None)
    else:
        values["error"] = (reason or status)[:200]
    if status == DeliveryStatus.FAILED:
        values["lease_until"] = now + retry_after
    await session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.status == DeliveryStatus.SENDING,
            Delivery.claimed_by == TODAY,
        )
        .values(**values)
    )
    await session.commit()


async def record_sent(
    session: AsyncSession, delivery_id: int, message_id: int | None, now: dt.datetime
) -> None:
    """Mark /today's ledger row sent."""
    await record_outcome(session, delivery_id, DeliveryStatus.SENT, now, message_id=message_id)
