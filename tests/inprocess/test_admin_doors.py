"""Every admin door, found by walking the handlers the real application registers, is shut
to a non-admin: an admin command gets the ordinary "unknown command" reply, an admin button
the ordinary "old button" answer, and nothing else happens in their chat.

The lists are not written down here (tests/admin_doors.py walks the application): a handler
added to the admin console without the admin filter is found and fails these tests. That the
admin still gets through the same doors is tested end to end, in tests/e2e/test_admin_doors.py.
"""

from __future__ import annotations

import pytest
from telegram.ext import CommandHandler

from bot.handlers.admin.auth import PREFIX, AdminButtons, admin_filter
from bot.handlers.commands import COMMANDS
from tests.admin_doors import admin_commands, admin_patterns, example, handlers, pattern_of, uses
from tests.inprocess.conftest import Harness

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_the_application_has_admin_doors_to_check(harness: Harness) -> None:
    # Without these the tests below would pass over an empty list.
    assert {"admin", "admins", "broadcast", "stats"} <= set(admin_commands(harness.app))
    patterns = admin_patterns(harness.app)
    assert len(patterns) > 30
    assert any(p.startswith("^adm:bc") for p in patterns)
    assert any(p.startswith("^adm:stats") for p in patterns)


async def test_every_admin_handler_sits_behind_the_admin_filter(harness: Harness) -> None:
    gate = admin_filter(harness.app)
    open_doors = []
    for handler in handlers(harness.app):
        module = handler.callback.__module__
        pattern = pattern_of(handler)
        is_admin = module.startswith("bot.handlers.admin") or (
            isinstance(pattern, str) and pattern.lstrip("^(").startswith(PREFIX)
        )
        if isinstance(handler, CommandHandler) and set(handler.commands) - set(COMMANDS):
            is_admin = True
        if not is_admin or module == "bot.handlers.admin.auth":
            continue  # auth's own handler only logs refusals; it never answers
        gated = isinstance(handler, AdminButtons) or uses(getattr(handler, "filters", None), gate)
        if not gated:
            open_doors.append(f"{module}.{handler.callback.__name__} {pattern or ''}")
    assert open_doors == []


async def test_a_non_admin_gets_unknown_command_for_every_admin_command(
    harness: Harness,
) -> None:
    chat = harness.user("Stranger")
    ordinary = await chat.say("/nosuchcommand")
    for command in admin_commands(harness.app):
        for typed in (f"/{command}", f"/{command} 1 2"):
            reply = await chat.say(typed)
            assert (reply["text"], reply.get("reply_markup")) == (
                ordinary["text"],
                ordinary.get("reply_markup"),
            ), typed
    # One reply per command typed, nothing more.
    replies = [m for m in chat.history() if m["from_bot"]]
    assert len(replies) == 1 + 2 * len(admin_commands(harness.app))


async def test_a_non_admin_pressing_any_admin_button_gets_the_old_button_answer(
    harness: Harness,
) -> None:
    chat = harness.user("Stranger")
    shown = await chat.say("/help")
    ordinary = await chat.press_data(shown, "zz:none")
    before = chat.history()
    for pattern in admin_patterns(harness.app):
        data = example(pattern)
        answer = await chat.press_data(shown, data)
        assert answer == ordinary, (pattern, data, answer)
    # Nothing was sent and nothing edited in the non-admin's chat.
    assert chat.history() == before
