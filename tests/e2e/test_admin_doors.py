"""Every admin door, found by walking the handlers the real application registers, is shut
to a non-admin: an admin command gets the ordinary "unknown command" reply, an admin button
the ordinary "old button" answer, and nothing else happens in their chat.

The lists are not written down here: a handler added to the admin console without the admin
filter is found and fails these tests.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import find, settings
from hypothesis import strategies as st
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.handlers.admin.auth import PREFIX, AdminButtons, admin_filter
from bot.handlers.commands import COMMANDS
from bot.runtime.app import AnyApplication
from tests.e2e.conftest import ADMIN_ID, Chat, Harness, buttons

STRANGER = 4_040_404


def _handlers(app: AnyApplication) -> list[BaseHandler[Any, Any, Any]]:
    return [handler for group in app.handlers.values() for handler in group]


def _pattern(handler: BaseHandler[Any, Any, Any]) -> str | None:
    pattern = getattr(handler, "pattern", None)
    return getattr(pattern, "pattern", pattern) if pattern is not None else None


def admin_commands(app: AnyApplication) -> list[str]:
    """Every command registered that is not one of the public commands users are shown."""
    found = {
        command
        for handler in _handlers(app)
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    }
    return sorted(found - set(COMMANDS))


def admin_patterns(app: AnyApplication) -> list[str]:
    """Every callback pattern that admin buttons (`adm:`) match, whatever handler holds it."""
    patterns = []
    for handler in _handlers(app):
        pattern = _pattern(handler)
        admin = isinstance(pattern, str) and pattern.lstrip("^(").startswith(PREFIX)
        if isinstance(handler, CallbackQueryHandler) and admin:
            patterns.append(str(pattern))
    return patterns


def example(pattern: str) -> str:
    """The simplest callback data the pattern matches (as a crafted or forwarded press)."""
    data: str = find(
        st.from_regex(pattern).filter(lambda s: s.isprintable() and len(s.encode()) <= 64),
        lambda _: True,
        settings=settings(database=None),
    )
    assert re.match(pattern, data), (pattern, data)
    return data


def _uses(tree: object, wanted: object) -> bool:
    """Whether a (possibly combined) PTB filter contains `wanted`."""
    if tree is wanted:
        return True
    parts = [getattr(tree, name, None) for name in ("base_filter", "and_filter", "or_filter")]
    return any(part is not None and _uses(part, wanted) for part in parts)


def test_the_application_has_admin_doors_to_check(harness: Harness) -> None:
    # Without these the tests below would pass over an empty list.
    assert {"admin", "admins", "broadcast", "stats"} <= set(admin_commands(harness.app))
    patterns = admin_patterns(harness.app)
    assert len(patterns) > 30
    assert any(p.startswith("^adm:bc") for p in patterns)
    assert any(p.startswith("^adm:stats") for p in patterns)


def test_every_admin_handler_sits_behind_the_admin_filter(harness: Harness) -> None:
    gate = admin_filter(harness.app)
    open_doors = []
    for handler in _handlers(harness.app):
        module = handler.callback.__module__
        pattern = _pattern(handler)
        is_admin = module.startswith("bot.handlers.admin") or (
            isinstance(pattern, str) and pattern.lstrip("^(").startswith(PREFIX)
        )
        if isinstance(handler, CommandHandler) and set(handler.commands) - set(COMMANDS):
            is_admin = True
        if not is_admin or module == "bot.handlers.admin.auth":
            continue  # auth's own handler only logs refusals; it never answers
        gated = isinstance(handler, AdminButtons) or _uses(getattr(handler, "filters", None), gate)
        if not gated:
            open_doors.append(f"{module}.{handler.callback.__name__} {pattern or ''}")
    assert open_doors == []


async def test_a_non_admin_gets_unknown_command_for_every_admin_command(
    harness: Harness,
) -> None:
    chat = await harness.user(STRANGER, "Stranger")
    ordinary = await chat.say("/nosuchcommand")
    for command in admin_commands(harness.app):
        for typed in (f"/{command}", f"/{command} 1 2"):
            reply = await chat.say(typed)
            assert (reply["text"], reply.get("reply_markup")) == (
                ordinary["text"],
                ordinary.get("reply_markup"),
            ), typed
    await harness.idle()
    # One reply per command typed, nothing more (no menu sent a moment later).
    history = await chat.client.history(STRANGER)
    replies = [m for m in history if m["from_bot"]]
    assert len(replies) == 1 + 2 * len(admin_commands(harness.app))


@pytest.mark.slow
@pytest.mark.timeout(240)  # walks every admin button: ~40 s alone, more on a busy machine
async def test_a_non_admin_pressing_any_admin_button_gets_the_old_button_answer(
    harness: Harness,
) -> None:
    chat = await harness.user(STRANGER, "Stranger")
    shown = await chat.say("/help")
    ordinary = await chat.answer_to(harness.press_data(STRANGER, shown["message_id"], "zz:none"))
    await harness.idle()
    before = await chat.client.history(STRANGER)
    for pattern in admin_patterns(harness.app):
        data = example(pattern)
        answer = await chat.answer_to(harness.press_data(STRANGER, shown["message_id"], data))
        assert answer == ordinary, (pattern, data, answer)
    await harness.idle()
    # Nothing was sent and nothing edited in the non-admin's chat.
    assert await chat.client.history(STRANGER) == before


async def test_the_admin_still_gets_through_the_same_doors(harness: Harness) -> None:
    # The refusals above come from the filter, not from doors that are broken for everyone.
    ordinary = await (await harness.user(STRANGER)).say("/nosuchcommand")
    admin = Chat(harness.client, ADMIN_ID)
    for command in admin_commands(harness.app):
        reply = await admin.say(f"/{command}")
        assert reply["text"] != ordinary["text"], command
        await harness.idle()  # some doors answer with more than one message (/stats: a chart)
    menu = await admin.say("/admin")
    assert len(buttons(menu)) >= 4
