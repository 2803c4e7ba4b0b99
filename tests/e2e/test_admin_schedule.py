"""Schedule as an admin: an edit changes which tip a subscriber gets, at once, and is undone."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.content import store as content_store
from bot.content.loader import Content
from bot.content.models import Topic
from bot.content.program import day_plan
from bot.db.models import AuditEntry, Delivery
from tests.e2e.conftest import ADMIN_ID, Chat, Harness, buttons
from tests.e2e.test_daily_tips import (
    ledger,
    move_clock_to,
    stored,
    subscribe,
    tips_in,
    wait_until,
)

ZONE = ZoneInfo("Asia/Kuala_Lumpur")
SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


async def open_day(harness: Harness, admin: Chat, day: dt.date) -> dict[str, object]:
    """From /admin, open one date of the schedule the way an admin taps through."""
    menu = await admin.say("/admin")
    week = await admin.press_edit(menu, "🗓 Schedule")
    today = harness.clock.now().astimezone(ZONE).date()
    for _ in range((day - today).days // 7 + 2):
        label = f"{SHORT[day.weekday()]} {day.day}"
        if label in buttons(week):
            return await admin.press_edit(week, label)
        week = await admin.press_edit(week, "Week after ▶")
    raise AssertionError(f"{day} not reachable from the week view")


async def library_plan(harness: Harness, content: Content, day: dt.date) -> object:
    async with harness.db.session() as session:
        library = await content_store.current_library(session, content)
    return day_plan(library.program, day)


async def test_pinning_a_tip_changes_tomorrows_tip_and_undo_restores(
    harness: Harness, content: Content
) -> None:
    reader = await harness.user(5201, "Mei Ling")
    await subscribe(reader)
    due = (await stored(harness, 5201)).next_due_at
    assert due is not None
    day = due.astimezone(ZONE).date()
    sleep_tip = next(t for t in content.tips if t.topic == Topic.SLEEP)
    admin = await harness.user(ADMIN_ID, "Admin")

    screen = await open_day(harness, admin, day)
    assert buttons(screen)[:2] == ["📌 Put a tip here", "🏷 Change topic"]
    topics = await admin.press_edit(screen, "📌 Put a tip here")
    tips = await admin.press_edit(topics, "Sleep")
    assert sleep_tip.text["en"].title in buttons(tips)
    preview = await admin.press_edit(tips, sleep_tip.text["en"].title)
    assert preview["text"].startswith("Preview\nBefore:")
    assert f"📌 {sleep_tip.text['en'].title}" in preview["text"]
    assert buttons(preview) == ["✅ Apply", "Cancel"]
    # Nothing changes before Apply.
    assert (await library_plan(harness, content, day)).kind != "tip"

    done = await admin.press_edit(preview, "✅ Apply")
    assert done["text"] == "✅ Schedule changed. It applies from the next delivery."
    plan = await library_plan(harness, content, day)
    assert (plan.kind, plan.tip_id) == ("tip", sleep_tip.id)  # type: ignore[attr-defined]
    async with harness.db.session() as session:
        entry = (await session.scalars(select(AuditEntry))).one()
    assert (entry.actor_id, entry.action) == (ADMIN_ID, "schedule.pin")
    assert json.loads(entry.before or "") == {"program": None}
    after = json.loads(entry.after or "")["program"]
    assert {"date": day.isoformat(), "tip": sleep_tip.id} in after["dates"]

    # The engine plans with the same library: the subscriber gets the pinned tip.
    before = await reader.newest_id()
    await move_clock_to(harness, due + dt.timedelta(seconds=1))
    tip = await harness.client.wait_for_bot_message(
        5201, after_message_id=before, contains="Try today", timeout=15
    )
    assert tip["text"].startswith(sleep_tip.text["en"].title)

    undone = await admin.press_edit(done, "↩ Undo")
    assert undone["text"] == "↩ Undone. Everything is back as it was before that change."
    assert (await library_plan(harness, content, day)).kind != "tip"
    async with harness.db.session() as session:
        actions = list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["schedule.pin", "undo"]


async def test_skip_a_date_then_pause_and_resume_everything(
    harness: Harness, content: Content
) -> None:
    reader = await harness.user(5202, "Aisyah")
    await subscribe(reader)
    due = (await stored(harness, 5202)).next_due_at
    assert due is not None
    day = due.astimezone(ZONE).date()
    admin = await harness.user(ADMIN_ID, "Admin")

    screen = await open_day(harness, admin, day)
    preview = await admin.press_edit(screen, "⛔ Skip this date")
    assert "⛔ no tip" in preview["text"]
    await admin.press_edit(preview, "✅ Apply")
    assert (await library_plan(harness, content, day)).kind == "skip"

    await move_clock_to(harness, due + dt.timedelta(seconds=1))

    async def skipped() -> bool:
        async with harness.db.session() as session:
            rows = list(await session.scalars(select(Delivery.status)))
        return rows == ["skipped"]

    await wait_until(skipped)
    assert await tips_in(harness, 5202) == []

    menu = await admin.say("/admin")
    week = await admin.press_edit(menu, "🗓 Schedule")
    preview = await admin.press_edit(week, "⏸ Pause all deliveries")
    assert preview["text"].startswith("Pause all deliveries?")
    done = await admin.press_edit(preview, "✅ Apply")
    assert done["text"].startswith("⏸ All deliveries are paused.")
    async with harness.db.session() as session:
        assert (await content_store.current_library(session, content)).paused
    menu = await admin.say("/admin")
    assert "paused for everyone" in menu["text"]
    week = await admin.press_edit(menu, "🗓 Schedule")
    preview = await admin.press_edit(week, "▶ Resume all deliveries")
    await admin.press_edit(preview, "✅ Apply")
    async with harness.db.session() as session:
        assert not (await content_store.current_library(session, content)).paused
        actions = list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["schedule.skip", "schedule.pause", "schedule.resume"]


async def test_weekday_topic_and_default_send_time(harness: Harness, content: Content) -> None:
    admin = await harness.user(ADMIN_ID, "Admin")
    menu = await admin.say("/admin")
    week = await admin.press_edit(menu, "🗓 Schedule")
    weekdays = await admin.press_edit(week, "🔁 Weekday topics")
    assert "Monday: Fiber" in weekdays["text"]
    choose = await admin.press_edit(weekdays, "Monday")
    assert buttons(choose)[:5] == ["Fiber", "Fermented foods", "Sleep", "Stress", "Mix"]
    preview = await admin.press_edit(choose, "Sleep")
    assert "· Fiber" in preview["text"] and "· Sleep" in preview["text"]
    await admin.press_edit(preview, "✅ Apply")
    async with harness.db.session() as session:
        library = await content_store.current_library(session, content)
    assert library.program.weekdays["monday"] == "sleep"

    week = await admin.press_edit(await admin.say("/admin"), "🗓 Schedule")
    prompt = await admin.press_edit(week, "⏰ Default send time")
    assert prompt["text"].startswith("Default send time: now 08:00 (Asia/Kuala_Lumpur).")
    bad = await admin.say("25:99")
    assert bad["text"].startswith("Sorry, I couldn't read that time.")
    preview = await admin.say("7.30am")
    assert preview["text"].startswith("New subscribers will get their tip at 07:30")
    await admin.press_edit(preview, "✅ Apply")
    async with harness.db.session() as session:
        assert await content_store.default_send_time(
            session, harness.app.bot_data["services"].settings
        ) == dt.time(7, 30)


async def test_past_dates_and_crafted_buttons_change_nothing(
    harness: Harness, content: Content
) -> None:
    admin = await harness.user(ADMIN_ID, "Admin")
    menu = await admin.say("/admin")
    yesterday = harness.clock.now().astimezone(ZONE).date() - dt.timedelta(days=1)
    code = yesterday.strftime("%Y%m%d")
    harness.press_data(ADMIN_ID, menu["message_id"], f"adm:sk:{code}")
    refused = await admin.edited(menu)
    assert (
        refused["text"]
        == f"{yesterday.isoformat()} has passed. Only today and later dates can change."
    )
    query = harness.press_data(ADMIN_ID, menu["message_id"], "adm:sd:notadate")
    answer = await admin.answer_to(query)
    assert answer["text"].startswith("That button is from an older message.")
    async with harness.db.session() as session:
        assert list(await session.scalars(select(AuditEntry))) == []


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_label(day: dt.date) -> str:
    """A date as the admin screens write it, without the year: 'Wed 2 Dec'."""
    return f"{SHORT[day.weekday()]} {day.day} {MONTHS[day.month - 1]}"


def week_line(week: dict[str, object], day: dt.date) -> str:
    """The week view's line for one date."""
    text = str(week["text"])
    found = [line for line in text.splitlines() if line.startswith(f"{day_label(day)} {day.year}")]
    assert len(found) == 1, (day, text)
    return found[0]


async def test_week_marks_today_and_past_days_and_moves_skip_today_once_sent(
    harness: Harness, content: Content
) -> None:
    reader = await harness.user(5202, "Mei Ling")
    await subscribe(reader)
    due = (await stored(harness, 5202)).next_due_at
    assert due is not None
    today = harness.clock.now().astimezone(ZONE).date()
    admin = await harness.user(ADMIN_ID, "Admin")

    week = await admin.press_edit(await admin.say("/admin"), "🗓 Schedule")
    assert week_line(week, today).endswith("◀ today")
    monday = today - dt.timedelta(days=today.weekday())
    for day in (monday + dt.timedelta(days=n) for n in range(7)):
        line = week_line(week, day)
        assert line.endswith("· past") == (day < today), line
    before = await admin.press_edit(week, "◀ Week before")
    assert all(week_line(before, monday - dt.timedelta(days=n)).endswith("· past") for n in (1, 7))

    # Pin a tip two days after the next delivery, so that date has something to move.
    tip_day = due.astimezone(ZONE).date()
    target = tip_day + dt.timedelta(days=2)
    sleep_tip = next(t for t in content.tips if t.topic == Topic.SLEEP)
    screen = await open_day(harness, admin, target)
    tips = await admin.press_edit(await admin.press_edit(screen, "📌 Put a tip here"), "Sleep")
    preview = await admin.press_edit(tips, sleep_tip.text["en"].title)
    await admin.press_edit(preview, "✅ Apply")
    moves = await admin.press_edit(await open_day(harness, admin, target), "➡ Move to another day")
    assert day_label(today) in buttons(moves)  # nothing has gone out today yet

    # The tip goes out: that day is "today, sent", and no longer offered or accepted.
    await move_clock_to(harness, due + dt.timedelta(seconds=1))
    await wait_until(lambda: _sent(harness, 5202))
    assert harness.clock.now().astimezone(ZONE).date() == tip_day
    week = await open_week_of(admin)
    assert week_line(week, tip_day).endswith("◀ today, sent")
    moves = await admin.press_edit(await open_day(harness, admin, target), "➡ Move to another day")
    assert day_label(tip_day) not in buttons(moves)
    assert buttons(moves)[0] == day_label(tip_day + dt.timedelta(days=1))
    crafted = f"adm:sx:m:{target:%Y%m%d}:{tip_day:%Y%m%d}"
    harness.press_data(ADMIN_ID, moves["message_id"], crafted)
    refused = await admin.edited(moves)
    assert refused["text"] == (
        f"Today's tips ({tip_day.isoformat()}) have gone out already. "
        "Only tomorrow and later dates can change now."
    )
    today_screen = await open_day(harness, admin, tip_day)
    assert "Today's tips have gone out" in str(today_screen["text"])
    assert "📌 Put a tip here" not in buttons(today_screen)
    assert (await library_plan(harness, content, target)).kind == "tip"


async def open_week_of(admin: Chat) -> dict[str, object]:
    """The schedule's week view, from /admin."""
    return await admin.press_edit(await admin.say("/admin"), "🗓 Schedule")


async def _sent(harness: Harness, user_id: int) -> bool:
    rows = await ledger(harness, user_id)
    return bool(rows) and rows[0].status == "sent"
