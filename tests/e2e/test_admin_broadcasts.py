"""Broadcasts end to end: an admin composes, previews, targets and sends an announcement
through the real bot, its sender and the sandbox; progress, stop, schedule and cancel."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.admin.broadcasts import RunnerConfig
from bot.config import SANDBOX_TOKEN
from bot.db.models import AuditEntry, Broadcast, BroadcastDelivery, Subscriber
from bot.runtime.app import build_application
from bot.services import services_in
from tests.e2e.conftest import ADMIN_ID, Chat, Harness, buttons

KL = "Asia/Kuala_Lumpur"


async def seed(harness: Harness, user_id: int, *, language: str = "en", **fields: Any) -> None:
    """A sandbox user who subscribed (stored directly: onboarding is tested elsewhere)."""
    await harness.client.add_user(user_id, f"User {user_id}", language_code=language)
    now = harness.clock.now()
    async with harness.db.session() as session:
        session.add(
            Subscriber(
                chat_id=user_id,
                user_id=user_id,
                language=language,
                timezone=KL,
                send_time=dt.time(8, 0),
                status=fields.pop("status", "active"),
                consented_at=now,
                next_due_at=now + dt.timedelta(hours=20),
                created_at=now,
                updated_at=now,
                **fields,
            )
        )
        await session.commit()


async def admin(harness: Harness) -> Chat:
    services_in(harness.app.bot_data).state.broadcast_config = RunnerConfig(
        poll=0.1, progress_every=0.2, retry_pause=0.0
    )
    return Chat(harness.client, ADMIN_ID)


async def next_message(
    chat: Chat, after: dict[str, Any], contains: str | None = None
) -> dict[str, Any]:
    return await chat.client.wait_for_bot_message(
        chat.user_id, after_message_id=after["message_id"], contains=contains, timeout=15
    )


async def received(harness: Harness, user_id: int, mark: str) -> list[dict[str, Any]]:
    history = await harness.client.history(user_id)
    return [m for m in history if m["from_bot"] and mark in (m["text"] or m["caption"] or "")]


async def compose(admin_chat: Chat, body: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """/broadcast -> New announcement -> type the text; return the preview and the panel."""
    menu = await admin_chat.say("/broadcast")
    assert menu["text"].startswith("Broadcasts")
    prompt = await admin_chat.press_edit(menu, "✏️ New announcement")
    assert prompt["text"].startswith("New announcement")
    preview = await admin_chat.say(body)
    panel = await next_message(admin_chat, preview, contains="Announcement draft")
    return preview, panel


async def test_an_admin_sends_an_announcement_to_one_language_and_sees_it_through(
    harness: Harness,
) -> None:
    chat = await admin(harness)
    for user_id in (5001, 5002, 5003):
        await seed(harness, user_id, source="ig-nov")
    await seed(harness, 5004, language="ms")
    await seed(harness, 5005)
    await harness.client.block(5005)
    await asyncio.sleep(0.3)  # the bot hears of the block and marks them; then pretend it missed it
    async with harness.db.session() as session:
        row = await session.scalar(select(Subscriber).where(Subscriber.chat_id == 5005))
        assert row is not None
        row.status = "active"
        await session.commit()

    # What the admin types is what subscribers read: "<b>" typed stays "<b>", "&" stays "&"
    # (formatting made in the Telegram app arrives as entities and is kept as such).
    preview, panel = await compose(chat, "Open day this <b>Saturday</b>: skin checks & talks")
    assert preview["text"] == "Open day this <b>Saturday</b>: skin checks & talks"
    assert "Audience: everyone subscribed, 5 subscribers now" in panel["text"]

    asked = await chat.press_edit(panel, "🔗 Add link button")
    assert "Label | https://link" in asked["text"]
    bad = await chat.say("Book now https://nextmed.example/book")
    assert "Write the button as Label | https://link" in bad["text"]
    preview = await chat.say("Book now | https://nextmed.example/book")
    assert preview["reply_markup"]["inline_keyboard"][0][0] == {
        "text": "Book now",
        "url": "https://nextmed.example/book",
    }
    panel = await next_message(chat, preview, contains="Announcement draft")

    kinds = await chat.press_edit(panel, "👥 Audience")
    assert buttons(kinds)[:2] == ["Everyone (5)", "By language"]
    languages = await chat.press_edit(kinds, "By language")
    assert buttons(languages)[:2] == ["English (4)", "Bahasa Melayu (1)"]
    panel = await chat.press_edit(languages, "English (4)")
    assert "Audience: language: English, 4 subscribers now" in panel["text"]

    confirm = await chat.press_edit(panel, "📣 Send now")
    assert confirm["text"] == "Send this announcement to 4 subscribers (language: English) now?"
    progress = await chat.press_edit(confirm, "✅ Yes, send now")
    assert progress["text"] == "Starting the broadcast…" and buttons(progress) == []
    summary = await next_message(chat, progress, contains="is done")
    assert summary["text"].startswith("✅ Broadcast #")
    assert summary["text"].endswith(
        "is done. Sent to 3 of 4; 1 has blocked the bot, so they no longer get tips."
    )
    final = await chat.message(progress["message_id"])
    assert "finished in" in final["text"] and "100%" in final["text"]
    assert "Sent 3 of 4 · blocked 1 · failed 0" in final["text"]
    assert buttons(final) == []  # the Stop button is gone

    for user_id in (5001, 5002, 5003):
        [got] = await received(harness, user_id, "Open day")
        assert got["reply_markup"]["inline_keyboard"][0][0]["url"] == "https://nextmed.example/book"
    assert await received(harness, 5004, "Open day") == []  # Malay: not in the audience
    async with harness.db.session() as session:
        blocked = await session.scalar(select(Subscriber).where(Subscriber.chat_id == 5005))
        assert blocked is not None and blocked.status == "blocked"
        [broadcast] = list(await session.scalars(select(Broadcast)))
        assert (broadcast.status, broadcast.total, broadcast.audience) == ("done", 4, "language")
        statuses = sorted(await session.scalars(select(BroadcastDelivery.status)))
        assert statuses == ["blocked", "sent", "sent", "sent"]
        actions = list(await session.scalars(select(AuditEntry.action)))
        assert "broadcast.create" in actions


async def test_bad_input_changes_nothing_and_a_photo_can_be_added(harness: Harness) -> None:
    chat = await admin(harness)
    await seed(harness, 5101)
    menu = await chat.say("/broadcast")
    await chat.press_edit(menu, "✏️ New announcement")
    broken = await chat.say("x" * 4100)
    assert (
        broken["text"]
        == "That is 4100 characters; the limit is 4096. Please shorten it. Nothing was changed."
    )
    preview = await chat.say("Clinic closed on Monday")
    panel = await next_message(chat, preview, contains="Announcement draft")
    asked = await chat.press_edit(panel, "🖼 Add photo")
    assert asked["text"].startswith("Send the photo")
    refused = await chat.say("not a link")
    assert refused["text"].startswith("That is not a photo")
    photo = await chat.say("https://example.com/closed.jpg")
    assert photo["caption"] == "Clinic closed on Monday" and photo["photo"]
    panel = await next_message(chat, photo, contains="Announcement draft")
    assert "Photo: yes" in panel["text"]
    # Or a photo sent from the phone: Telegram's file_id is kept.
    text_only = await chat.press(panel, "Remove photo")
    assert text_only["text"] == "Clinic closed on Monday"
    panel = await next_message(chat, text_only, contains="Announcement draft")
    await chat.press_edit(panel, "🖼 Add photo")
    uploaded = harness.send_media(ADMIN_ID, "photo")
    photo = await chat.client.wait_for_bot_message(ADMIN_ID, after_message_id=uploaded)
    assert photo["photo"] and photo["caption"] == "Clinic closed on Monday"
    panel = await next_message(chat, photo, contains="Announcement draft")
    # A question typed now is the FAQ's again: the composer only reads what it asked for.
    answer = await chat.say("does dairy cause acne?")
    assert answer["text"].startswith("Does dairy cause acne?")
    gone = await chat.press_edit(panel, "🗑 Discard")
    assert gone["text"] == "Draft discarded. Nothing was sent."
    async with harness.db.session() as session:
        assert list(await session.scalars(select(Broadcast))) == []
    assert await received(harness, 5101, "Clinic closed") == []


@pytest.mark.slow
async def test_a_scheduled_broadcast_fires_when_the_clock_reaches_it_and_can_be_cancelled(
    harness: Harness,
) -> None:
    chat = await admin(harness)
    for user_id in (5201, 5202):
        await seed(harness, user_id)
    _preview, panel = await compose(chat, "Free talk on gut health next week")
    when = await chat.press_edit(panel, "🗓 Schedule")
    assert when["text"].startswith("When should it go?")
    unreadable = await chat.say("someday")
    assert unreadable["text"].startswith("I couldn't read that date and time.")
    tomorrow = (harness.clock.now() + dt.timedelta(days=1)).astimezone(ZoneInfo(KL))
    due = dt.datetime.combine(tomorrow.date(), dt.time(20, 30), ZoneInfo(KL))
    confirm = await chat.say(f"{tomorrow:%Y-%m-%d} 20:30")
    assert confirm["text"].startswith("Send this announcement on ")
    assert "20:30 (Asia/Kuala_Lumpur)" in confirm["text"]
    scheduled = await chat.press_edit(confirm, "✅ Yes, schedule it")
    assert scheduled["text"].startswith("Scheduled as broadcast #")

    # A second one, cancelled before it starts.
    _preview, panel = await compose(chat, "This one is cancelled")
    when = await chat.press_edit(panel, "🗓 Schedule")
    confirm = await chat.press_edit(when, "In 1 hour")
    done = await chat.press_edit(confirm, "✅ Yes, schedule it")
    listing = await chat.press_edit(done, buttons(done)[0])  # ❌ Cancel #2
    assert listing["text"].startswith("Cancel broadcast #2")
    cancelled = await chat.press_edit(listing, "Yes, cancel it")
    assert cancelled["text"] == "Broadcast #2 is cancelled. Nothing was sent."

    await asyncio.sleep(2.5)  # a tick or two: nothing is due yet
    assert await received(harness, 5201, "Free talk") == []
    # Past the first one's instant, whatever the hour this test runs at.
    await harness.client.advance_clock((due - harness.clock.now()).total_seconds() + 3600)
    deadline = asyncio.get_running_loop().time() + 15
    while len(await received(harness, 5202, "Free talk")) == 0:
        assert asyncio.get_running_loop().time() < deadline, "the scheduled broadcast never went"
        await asyncio.sleep(0.1)
    summary = await chat.client.wait_for_bot_message(ADMIN_ID, contains="is done", timeout=15)
    assert "Sent to all 2 subscribers." in summary["text"]
    for user_id in (5201, 5202):
        assert len(await received(harness, user_id, "Free talk")) == 1
        assert await received(harness, user_id, "cancelled") == []
    async with harness.db.session() as session:
        found = {b.id: b.status for b in await session.scalars(select(Broadcast))}
        actions = list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert found == {1: "done", 2: "cancelled"}
    assert actions == ["broadcast.create", "broadcast.create", "broadcast.cancel"]


async def test_a_non_admin_never_reaches_the_console(harness: Harness) -> None:
    await admin(harness)
    stranger = await harness.user(5301)
    reply = await stranger.say("/broadcast")
    assert reply["text"].startswith("I don't know that command.")


@pytest.mark.slow
async def test_a_larger_broadcast_shows_live_progress_while_some_users_have_blocked_the_bot(
    harness: Harness,
) -> None:
    chat = await admin(harness)
    audience = range(7000, 7120)
    blocked = set(audience[::10])  # 12 of 120
    for user_id in audience:
        await seed(harness, user_id)
    for user_id in blocked:
        await harness.client.block(user_id)
    deadline = asyncio.get_running_loop().time() + 10
    while True:  # the bot hears of each block; then it "missed" them, so sends will meet 403s
        async with harness.db.session() as session:
            rows = list(
                await session.scalars(select(Subscriber).where(Subscriber.status == "blocked"))
            )
            if len(rows) == len(blocked):
                for row in rows:
                    row.status = "active"
                await session.commit()
                break
        assert asyncio.get_running_loop().time() < deadline, "the bot never saw the blocks"
        await asyncio.sleep(0.1)
    _events, seq = await harness.client.events()

    _preview, panel = await compose(chat, "Our new branch opens in Setia Alam")
    confirm = await chat.press_edit(panel, "📣 Send now")
    progress = await chat.press_edit(confirm, "✅ Yes, send now")
    summary = await next_message(chat, progress, contains="is done")
    assert "Sent to 108 of 120; 12 have blocked the bot" in summary["text"]

    events, _last = await harness.client.events(after=seq)
    edits = [
        e["message"]
        for e in events
        if e["type"] == "edited" and e["message"]["message_id"] == progress["message_id"]
    ]
    shown = [m["text"] for m in edits]
    live = [m for m in edits if ": sending" in m["text"]]
    assert live, "no live progress was shown"
    assert all(buttons(m) == ["⏹ Stop"] for m in live)
    assert any("messages a second" in m["text"] and "left" in m["text"] for m in live)
    assert buttons(edits[-1]) == []
    assert shown[-1].startswith("Broadcast #1: finished in")
    assert "Sent 108 of 120 · blocked 12 · failed 0 · skipped 0" in shown[-1]
    for user_id in audience:
        got = await received(harness, user_id, "new branch")
        assert len(got) == (0 if user_id in blocked else 1)
    async with harness.db.session() as session:
        still = await session.scalar(select(func.count()).where(Subscriber.status == "blocked"))
    assert still == 12


@pytest.mark.slow
async def test_a_scheduled_broadcast_survives_a_restart_and_goes_once(harness: Harness) -> None:
    chat = await admin(harness)
    for user_id in (7501, 7502, 7503):
        await seed(harness, user_id)
    _preview, panel = await compose(chat, "Reminder: the clinic opens at 10 tomorrow")
    when = await chat.press_edit(panel, "🗓 Schedule")
    confirm = await chat.press_edit(when, "In 1 hour")
    await chat.press_edit(confirm, "✅ Yes, schedule it")
    # The bot process that stored it goes away (its job no longer runs; chat_data is gone).
    svc = services_in(harness.app.bot_data)
    assert svc.scheduler is not None
    svc.scheduler.remove("broadcasts")
    restarted = build_application(
        svc.settings,
        svc.content,
        token=SANDBOX_TOKEN,
        base_url=harness.sandbox.base_url,
        clock=harness.clock,
    )
    services_in(restarted.bot_data).state.broadcast_config = RunnerConfig(
        poll=0.1, progress_every=0.2
    )
    await restarted.initialize()
    try:
        assert restarted.post_init is not None
        await restarted.post_init(restarted)
        await restarted.start()  # no polling: the old process still reads the updates
        await harness.client.advance_clock(3600 + 5)
        summary = await chat.client.wait_for_bot_message(ADMIN_ID, contains="is done", timeout=20)
        assert "Sent to all 3 subscribers." in summary["text"]
        await restarted.stop()
    finally:
        if restarted.post_stop is not None:
            await restarted.post_stop(restarted)
        await restarted.shutdown()
        if restarted.post_shutdown is not None:
            await restarted.post_shutdown(restarted)
    for user_id in (7501, 7502, 7503):
        assert len(await received(harness, user_id, "Reminder: the clinic")) == 1
    async with harness.db.session() as session:
        [stored] = list(await session.scalars(select(Broadcast)))
        assert (stored.status, stored.total) == ("done", 3)


@pytest.mark.slow
async def test_stop_ends_a_broadcast_part_way(harness: Harness) -> None:
    chat = await admin(harness)
    audience = range(8000, 8150)
    for user_id in audience:
        await seed(harness, user_id)
    _preview, panel = await compose(chat, "Holiday hours this week")
    confirm = await chat.press_edit(panel, "📣 Send now")
    progress = await chat.press_edit(confirm, "✅ Yes, send now")
    live = await chat.edited(progress)
    while buttons(live) != ["⏹ Stop"]:
        live = await chat.edited(live)
    answer = await chat.press_alert(live, "⏹ Stop")
    assert answer["text"] == "Stopping. Messages already on their way still arrive."
    summary = await next_message(chat, progress, contains="was stopped")
    final = await chat.message(progress["message_id"])
    assert "stopped after" in final["text"] and buttons(final) == []
    got = [len(await received(harness, user_id, "Holiday hours")) for user_id in audience]
    assert set(got) <= {0, 1} and 0 < sum(got) < 150
    sent = sum(got)
    assert f"Sent to {sent} of 150; the other {150 - sent} were not sent." in summary["text"]
    async with harness.db.session() as session:
        [stored] = list(await session.scalars(select(Broadcast)))
        actions = list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert stored.status == "stopped"
    assert actions == ["broadcast.create", "broadcast.stop"]
