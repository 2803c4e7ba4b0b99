"""A chat pressing /start, recorded as the bot records it: how the tests of tests/subscribers
make their chats."""

from __future__ import annotations

import datetime as dt

from bot.db.engine import Database
from bot.subscribers import store as subscribers

NOW = dt.datetime(2026, 11, 21, 1, 0, tzinfo=dt.UTC)  # 09:00 in Kuala Lumpur: today's 08:00 gone
DEFAULTS = subscribers.Defaults("Asia/Kuala_Lumpur", dt.time(8, 0))


async def start(
    db: Database,
    chat_id: int,
    *,
    language: str = "en",
    source: str | None = None,
    now: dt.datetime = NOW,
) -> bool:
    """Record /start for `chat_id` (its own user); True if its row was made now."""
    async with db.session() as session:
        outcome = await subscribers.record_start(
            session,
            chat_id=chat_id,
            user_id=chat_id,
            language=language,
            source=source,
            defaults=DEFAULTS,
            now=now,
        )
    return outcome.created
