"""The admin console as an admin and as a non-admin: the menu, refusals, admins, commands."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from bot.db.models import Admin, AuditEntry
from tests.e2e.conftest import ADMIN_ID, Harness, buttons

MENU_BUTTONS = [
    "🗓 Schedule",
    "💡 Tips",
    "📣 Broadcasts",
    "📊 Stats",
    "📁 Export / Import",
    "📥 Inbox",
    "🩺 Review",
    "👥 Admins",
]


async def test_admin_menu_shows_every_section(harness: Harness) -> None:
    admin = await harness.user(ADMIN_ID, "Admin")
    menu = await admin.say("/admin")
    assert menu["text"].startswith("Admin console\nDeliveries: running · default send time 08:00")
    assert buttons(menu) == MENU_BUTTONS
    data = [b["callback_data"] for row in menu["reply_markup"]["inline_keyboard"] for b in row]
    assert data[2:4] == ["adm:bc", "adm:stats"]


async def test_the_console_speaks_malay_to_a_malay_client(harness: Harness) -> None:
    admin = await harness.user(ADMIN_ID, "Admin", language="ms")
    menu = await admin.say("/admin")
    assert menu["text"].startswith("Konsol admin\nPenghantaran: berjalan")
    assert buttons(menu)[:2] == ["🗓 Jadual", "💡 Tip"]
    week = await admin.press_edit(menu, "🗓 Jadual")
    assert week["text"].startswith("Jadual, minggu Isn ")
    commands = {
        (c["language_code"], c["scope"]["type"]): {x["command"] for x in c["commands"]}
        for c in await harness.client.commands()
    }
    assert "admin" in commands[("ms", "chat")]


async def test_non_admin_gets_the_ordinary_answers_and_is_logged(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    admin = await harness.user(ADMIN_ID, "Admin")
    menu = await admin.say("/admin")
    stranger = await harness.user(555001)
    unknown = await stranger.say("/nosuchcommand")
    with caplog.at_level(logging.WARNING, logger="bot.handlers.admin.auth"):
        for command in ("/admin", "/admins"):
            reply = await stranger.say(command)
            assert reply["text"] == unknown["text"]
        # A button taken from an admin's message (say, forwarded) gets the stale-button answer.
        query_id = harness.press_data(555001, menu["message_id"], "adm:sch")
        answer = await stranger.answer_to(query_id)
    assert answer["text"] == "That button is from an older message. Send /start to begin again."
    refusals = [r for r in caplog.records if r.name == "bot.handlers.admin.auth"]
    assert [r.getMessage() for r in refusals] == ["admin console refused for user 555001"] * 3
    assert all(r.levelno == logging.WARNING for r in refusals)
    # Nothing in anyone's command list names the admin commands, except in the admin's chat.
    admin_only = {"admin", "admins", "broadcast", "stats"}
    for listed in await harness.client.commands():
        names = {c["command"] for c in listed["commands"]}
        if listed["scope"] == {"type": "chat", "chat_id": ADMIN_ID}:
            assert admin_only <= names
        else:
            assert not names & admin_only, listed


async def test_owner_adds_and_removes_an_admin_who_then_gets_in_and_out(harness: Harness) -> None:
    owner = await harness.user(ADMIN_ID, "Admin")
    helper = await harness.user(555002, "Nurse")
    assert (await helper.say("/admin"))["text"].startswith("I don't know that command")
    people = await owner.say("/admins")
    assert "Owners" in people["text"] and f"{ADMIN_ID}" in people["text"]
    prompt = await owner.press_edit(people, "➕ Add an admin")
    assert prompt["text"].startswith("Add an admin")
    bad = await owner.say("not a number")
    assert bad["text"].startswith("That is not a user id.")
    preview = await owner.say("555002")
    assert preview["text"].startswith("Make 555002 an admin?")
    assert buttons(preview) == ["✅ Apply", "Cancel"]
    done = await owner.press_edit(preview, "✅ Apply")
    assert done["text"] == "✅ 555002 is now an admin."
    menu = await helper.say("/admin")
    assert menu["text"].startswith("Admin console")
    assert "👥 Admins" not in buttons(menu)  # admins are not owners
    assert (await helper.say("/admins"))["text"].startswith("Only owners")
    async with harness.db.session() as session:
        assert await session.get(Admin, 555002) is not None
    people = await owner.say("/admins")
    confirm = await owner.press_edit(people, "➖ Remove 555002")
    removed = await owner.press_edit(confirm, "✅ Apply")
    assert removed["text"] == "✅ 555002 is no longer an admin."
    assert (await helper.say("/admin"))["text"].startswith("I don't know that command")
    async with harness.db.session() as session:
        actions = list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["admins.add", "admins.remove"]


async def test_a_forwarded_message_names_the_new_admin(harness: Harness) -> None:
    owner = await harness.user(ADMIN_ID, "Admin")
    people = await owner.say("/admins")
    await owner.press_edit(people, "➕ Add an admin")
    newest = await owner.newest_id()
    harness.send_forwarded(ADMIN_ID, "hello from my friend")
    preview = await harness.client.wait_for_bot_message(ADMIN_ID, after_message_id=newest)
    assert preview["text"].startswith("Make 777 an admin?")
