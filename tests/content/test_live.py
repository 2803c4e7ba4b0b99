"""The live content: the files until an admin changes something, then the change, at once."""

from __future__ import annotations

import datetime as dt

from bot.content import store as content_store
from bot.content.live import LiveContent
from bot.content.loader import Content
from bot.db.engine import Database
from bot.faq.matcher import FaqMatcher

NOW = dt.datetime(2031, 1, 5, 9, 0, tzinfo=dt.UTC)
ACTOR = 900001


async def test_the_faq_and_tips_in_use_follow_admins_changes(
    db: Database, content: Content
) -> None:
    live = LiveContent(content, FaqMatcher)
    async with db.session() as session:
        before = await live.now(session)
    assert before.revision is None and before.content is content
    assert before.library.tips == content.tips

    retired, dropped = content.tips[0], content.faq[0]
    async with db.session() as session:
        await content_store.apply(
            session,
            content,
            {
                **content_store.tips_change(content, {retired.id: (retired, True)}),
                **content_store.faq_change(content, content.faq[1:]),
            },
            actor=ACTOR,
            action="test",
            target=None,
            now=NOW,
        )
    async with db.session() as session:
        after = await live.now(session)
        again = await live.now(session)
    assert after.revision is not None and again is after  # cached until the next change
    assert after.library.tip(retired.id) is None and retired not in after.content.tips
    assert after.content.faq == content.faq[1:] and dropped not in after.content.faq
    assert after.matcher is not before.matcher  # rebuilt for the FAQ in use
    assert after.content.catalogs is content.catalogs


async def test_the_matcher_is_kept_while_the_faq_is_unchanged(
    db: Database, content: Content
) -> None:
    live = LiveContent(content, FaqMatcher)
    tip = content.tips[0]
    async with db.session() as session:
        await content_store.apply(
            session,
            content,
            content_store.tips_change(content, {tip.id: (tip, True)}),
            actor=ACTOR,
            action="test",
            target=None,
            now=NOW,
        )
    async with db.session() as session:
        found = await live.now(session)
    assert found.revision is not None and found.library.tip(tip.id) is None
    assert found.matcher is live.base.matcher
