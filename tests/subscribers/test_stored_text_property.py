"""Whatever people type is stored, or refused on purpose, on both databases (property-based).

PostgreSQL's text cannot hold NUL, and a fuzzer once found a NUL in a question breaking the
store there; SQLite takes anything. So: any text as an unanswered question, as a question
for the clinic team and as the team's reply, and any deep-link payload at /start, is kept
as the product promises (NUL dropped, cut to its limit) or, for the payload, dropped.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.admin import inbox
from bot.db.engine import Database
from bot.db.models import Question
from bot.faq.answer import Reply, record
from bot.subscribers import store as subscribers
from tests.subscribers.starting import start

pytestmark = pytest.mark.dialect

NOW = dt.datetime(2026, 12, 3, 1, 0, tzinfo=dt.UTC)
# Any text: every plane, control characters and NUL among them (no lone surrogates:
# Telegram sends UTF-8, which cannot carry them).
TEXT = st.text(st.characters(codec="utf-8"), max_size=5000)


async def test_any_text_people_type_is_stored_as_promised(db: Database) -> None:
    loop = asyncio.get_running_loop()
    chats = itertools.count(6_100_000)

    def run(coroutine: Callable[[], Coroutine[Any, Any, None]]) -> None:
        asyncio.run_coroutine_threadsafe(coroutine(), loop).result(timeout=60)

    async def example(question: str, reply: str, payload: str) -> None:
        chat = next(chats)
        async with db.session() as session:
            await record(session, Reply("unanswered"), question, "en", NOW)
            stored = await session.scalar(select(Question.text).order_by(Question.id.desc()))
        assert stored == question.replace("\x00", "")[:4096]

        async with db.session() as session:
            item = await inbox.open_item(
                session, chat_id=chat, language="ms", kind="unanswered", question=question, now=NOW
            )
            await inbox.record_reply(session, item.id, reply, staff_id=1, now=NOW)
        async with db.session() as session:
            again = await inbox.get(session, item.id)
        assert again.question == question.replace("\x00", "").strip()[: inbox.MAX_TEXT]
        assert again.reply == reply.replace("\x00", "").strip()[: inbox.MAX_TEXT]

        await start(db, chat, source=payload, now=NOW)
        async with db.session() as session:
            found = await subscribers.find(session, chat)
        assert found is not None
        assert found.source == subscribers.clean_source(payload)

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        database=None,
        phases=[Phase.explicit, Phase.generate],
    )
    @given(question=TEXT, reply=TEXT, payload=TEXT)
    def property_holds(question: str, reply: str, payload: str) -> None:
        run(lambda: example(question, reply, payload))

    go: Callable[[], None] = property_holds
    await asyncio.to_thread(go)
