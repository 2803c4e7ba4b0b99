"""Webhook de-duplication: each update_id is handled once, whichever replica it reaches.

Telegram posts an update again when it got no answer in time, and behind a load balancer
the repeat may reach another replica; a forged or replayed post carries an old id. The
database is what replicas share, so the first to insert the id handles the update and the
others answer 200 and drop it. Ids are kept for a day (Telegram itself keeps undelivered
updates for 24 hours) and pruned as new ones come. No Telegram here.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import WebhookUpdate

KEEP = dt.timedelta(hours=24)


async def take(session: AsyncSession, update_id: int, now: dt.datetime) -> bool:
    """Record that `update_id` arrived; True the first time, False for a repeat."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    taken = await session.scalar(
        dialect.insert(WebhookUpdate)
        .values(update_id=update_id, received_at=now)
        .on_conflict_do_nothing()
        .returning(WebhookUpdate.update_id)
    )
    await session.commit()
    return taken is not None


async def prune(session: AsyncSession, now: dt.datetime) -> int:
    """Forget ids older than KEEP; return how many went."""
    gone = await session.execute(
        delete(WebhookUpdate)
        .where(WebhookUpdate.received_at < now - KEEP)
        .returning(WebhookUpdate.update_id)
    )
    count = len(gone.all())
    await session.commit()
    return count
