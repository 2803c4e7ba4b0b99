"""Admins' content in the database: merged over tips/, cheap for every tick, audited, undone."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select, update

from bot.config import load_settings
from bot.content import imports as content_import
from bot.content import store as content_store
from bot.content.library import Library
from bot.content.live import LiveContent
from bot.content.loader import Content
from bot.content.models import Topic
from bot.content.program import EditError, day_plan, pin, skip
from bot.content.store import CannotUndo, ChangeRefused, NothingToChange, State
from bot.content.transfer import dump_faq, dump_program, dump_tips, parse_file, with_text
from bot.db.engine import Database
from bot.db.models import AuditEntry, ContentTip
from tests.conftest import DbTarget

pytestmark = pytest.mark.dialect

NOW = dt.datetime(2031, 1, 5, 9, 0, tzinfo=dt.UTC)
DAY = dt.date(2031, 1, 6)
ACTOR = 900001


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """Collect the SQL statements run on the database meanwhile."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


async def library(db: Database, content: Content) -> Library:
    async with db.session() as session:
        return await content_store.current_library(session, content)


async def apply(db: Database, content: Content, change: object, action: str = "test") -> int:
    async with db.session() as session:
        return await content_store.apply(
            session,
            content,
            change,
            actor=ACTOR,
            action=action,
            target=None,
            now=NOW,  # type: ignore[arg-type]
        )


def pin_on(day: dt.date, tip_id: str, content: Content) -> object:
    return lambda state: content_store.program_change(content, pin(state.program, day, tip_id))


async def test_without_changes_the_library_is_the_files(db: Database, content: Content) -> None:
    found = await library(db, content)
    assert found.tips == content.tips and found.program == content.program and not found.paused


async def test_a_tick_costs_one_query_until_something_changes(
    db: Database, content: Content
) -> None:
    live = LiveContent(content, tuple)  # what the running bot's tick asks

    async def library() -> Library:
        async with db.session() as session:
            return await live.library(session)

    first = await library()
    with statements(db) as seen:
        again = await library()
    assert again is first and len(seen) == 1
    await apply(db, content, pin_on(DAY, content.tips[0].id, content))
    changed = await library()
    assert changed is not first and changed.program != first.program
    with statements(db) as seen:
        assert await library() is changed
    assert len(seen) == 1


async def test_a_schedule_change_reaches_the_library_at_once(
    db: Database, content: Content
) -> None:
    tip = next(t for t in content.tips if t.topic == Topic.STRESS)
    assert day_plan((await library(db, content)).program, DAY).kind == "topic"
    audit_id = await apply(db, content, pin_on(DAY, tip.id, content), "schedule.pin")
    plan = day_plan((await library(db, content)).program, DAY)
    assert (plan.kind, plan.tip_id) == ("tip", tip.id)
    async with db.session() as session:
        entry = await session.get(AuditEntry, audit_id)
    assert entry is not None and (entry.actor_id, entry.action) == (ACTOR, "schedule.pin")
    assert json.loads(entry.before or "") == {"program": None}
    assert {"date": DAY.isoformat(), "tip": tip.id} in json.loads(entry.after or "")["program"][
        "dates"
    ]


async def test_pause_switch_and_default_send_time(db: Database, content: Content) -> None:
    settings = load_settings(database_url="sqlite+aiosqlite:///x.db")
    async with db.session() as session:
        assert await content_store.default_send_time(session, settings) == dt.time(8, 0)
    await apply(db, content, {content_store.PAUSED: True, content_store.SEND_TIME: "07:15"})
    assert (await library(db, content)).paused
    async with db.session() as session:
        assert await content_store.default_send_time(session, settings) == dt.time(7, 15)
    await apply(db, content, {content_store.PAUSED: False})
    assert not (await library(db, content)).paused


async def test_editing_retiring_and_undoing_a_tip(db: Database, content: Content) -> None:
    tip = content.tips[0]
    edited = with_text(tip, "en", "title", "A better title")
    edit_id = await apply(
        db, content, content_store.tips_change(content, {tip.id: (edited, False)}), "tips.edit"
    )
    assert (await library(db, content)).tip(tip.id) == edited
    retire_id = await apply(
        db, content, content_store.tips_change(content, {tip.id: (edited, True)}), "tips.retire"
    )
    assert (await library(db, content)).tip(tip.id) is None
    async with db.session() as session:
        state = await content_store.load_state(session, content)
        found = state.find(tip.id)
        assert found is not None and found.retired and found.tip == edited  # kept for history
        # Undoing the edit while the retirement stands would lose the retirement: refused.
        with pytest.raises(CannotUndo) as caught:
            await content_store.undo(session, content, edit_id, actor=ACTOR, now=NOW)
        assert caught.value.key == "admin_undo_changed"
        await content_store.undo(session, content, retire_id, actor=ACTOR, now=NOW)
        await content_store.undo(session, content, edit_id, actor=ACTOR, now=NOW)
        assert list(await session.scalars(select(ContentTip))) == []  # back to the file
    assert (await library(db, content)).tips == content.tips


async def test_a_change_that_would_break_delivery_is_refused_whole(
    db: Database, content: Content
) -> None:
    tip = content.tips[0]
    await apply(db, content, pin_on(DAY, tip.id, content))
    with pytest.raises(ChangeRefused) as caught:
        await apply(db, content, content_store.tips_change(content, {tip.id: (tip, True)}))
    assert caught.value.problems == (f"schedule.yaml: dates: {DAY}: unknown tip '{tip.id}'",)
    # Retiring every sleep tip would leave Thursdays with nothing.
    sleep = [t for t in content.tips if t.topic == Topic.SLEEP]
    every = content_store.tips_change(content, {t.id: (t, True) for t in sleep})
    with pytest.raises(ChangeRefused) as caught:
        await apply(db, content, every)
    assert caught.value.problems == ("schedule.yaml: topic 'sleep' has no tips",)
    async with db.session() as session:
        assert list(await session.scalars(select(ContentTip))) == []
        assert len(list(await session.scalars(select(AuditEntry)))) == 1


async def test_nothing_to_change_and_edit_errors_write_nothing(
    db: Database, content: Content
) -> None:
    with pytest.raises(NothingToChange):
        await apply(db, content, {content_store.PAUSED: False})
    with pytest.raises(EditError):
        await apply(
            db,
            content,
            lambda state: content_store.program_change(
                content, pin(pin(state.program, DAY, content.tips[0].id), DAY, content.tips[0].id)
            ),
        )
    async with db.session() as session:
        assert list(await session.scalars(select(AuditEntry))) == []


async def test_concurrent_edits_both_land(
    db: Database, db_target: DbTarget, content: Content
) -> None:
    """Two replicas (two engines) edit the program at the same moment: neither edit is lost."""
    first, second = content.tips[0].id, content.tips[1].id
    other = db_target.open()
    try:
        await asyncio.gather(
            apply(db, content, pin_on(DAY, first, content)),
            apply(other, content, pin_on(DAY + dt.timedelta(days=1), second, content)),
        )
    finally:
        await other.close()
    program = (await library(db, content)).program
    assert [(d.date, d.tip) for d in program.dates] == [
        (DAY, first),
        (DAY + dt.timedelta(days=1), second),
    ]


async def test_import_applies_in_one_transaction(db: Database, content: Content) -> None:
    state_tips = list(content.tips)
    renamed = with_text(state_tips[0], "ms", "title", "Tajuk baharu")
    data = dump_tips([renamed, *state_tips[1:-1]]).encode()
    parsed = parse_file(data, "tips.yaml", content.catalogs)
    async with db.session() as session:
        plan = await content_import.plan_import(session, content, parsed)
    assert (plan.added, plan.changed, plan.removed) == ((), (renamed.id,), (state_tips[-1].id,))
    await apply(db, content, content_import.import_change(content, parsed), "import.tips")
    found = await library(db, content)
    assert found.tip(renamed.id) == renamed and found.tip(state_tips[-1].id) is None
    # Importing the original files brings everything back, the retired tip included.
    parsed = parse_file(dump_tips(content.tips).encode(), "tips.yaml", content.catalogs)
    await apply(db, content, content_import.import_change(content, parsed), "import.tips")
    assert (await library(db, content)).tips == content.tips


async def test_faq_and_schedule_imports(db: Database, content: Content) -> None:
    program = skip(content.program, DAY, "Holiday")
    parsed = parse_file(dump_program(program).encode(), "schedule.yaml")
    async with db.session() as session:
        plan = await content_import.plan_import(session, content, parsed)
    assert plan.added == (DAY.isoformat(),) and plan.problems == ()
    await apply(db, content, content_import.import_change(content, parsed), "import.schedule")
    assert day_plan((await library(db, content)).program, DAY).kind == "skip"
    faq = parse_file(dump_faq(content.faq[1:]).encode(), "faq.yaml", content.catalogs)
    await apply(db, content, content_import.import_change(content, faq), "import.faq")
    async with db.session() as session:
        assert await content_store.current_faq(session, content) == content.faq[1:]


async def test_stored_content_that_no_longer_validates_is_left_out(
    db: Database, content: Content, caplog: pytest.LogCaptureFixture
) -> None:
    tip = content.tips[0]
    edited = with_text(tip, "en", "title", "Changed")
    await apply(db, content, content_store.tips_change(content, {tip.id: (edited, False)}))
    async with db.session() as session:
        await session.execute(update(ContentTip).values(body='{"id": "x"}'))
        await session.commit()
    await apply(db, content, {content_store.PAUSED: True})  # a new revision: the tick re-reads
    with caplog.at_level(logging.ERROR, logger="bot.content.store"):
        found = await library(db, content)
    assert found.tip(tip.id) == tip  # the file's wording, never a broken tip
    assert "no longer validates" in caplog.text


def test_state_problems_name_the_schedule(content: Content) -> None:
    tips = tuple(content_store.TipState(t) for t in content.tips)
    state = State(tips, pin(content.program, DAY, "gone"), content.faq, False, None)
    assert state.problems() == [f"schedule.yaml: dates: {DAY}: unknown tip 'gone'"]
