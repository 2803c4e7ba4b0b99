"""Typed answers to the admin console (a time, a tip's text, a YAML snippet, an admin's id).

Read in a handler group before every other typed-text handler (broadcasts -5, settings -3,
preferences -2 and -1, the FAQ 0), and only while that admin's chat waits for one: anyone
else's text, and an admin's text when nothing is awaited, goes on untouched.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes, MessageHandler, filters

from bot.handlers.admin import common, inbox, people, review, schedule, tip_add, tips, transfer
from bot.handlers.admin.auth import admin_filter
from bot.handlers.groups import Group
from bot.handlers.services import text

Reader = Callable[[Update, ContextTypes.DEFAULT_TYPE, dict[str, Any]], Awaitable[None]]


async def _file_expected(
    update: Update, context: ContextTypes.DEFAULT_TYPE, _waiting: dict[str, Any]
) -> None:
    lang = await common.lang_of(update, context)
    await common.send(update, context, text(context, lang, "admin_import_send_file"))


READERS: dict[str, Reader] = {
    people.INPUT: people.read_new_admin,
    inbox.REPLY_INPUT: inbox.read_reply,
    schedule.TIME_INPUT: schedule.read_send_time,
    tips.TEXT_INPUT: tips.read_text,
    tip_add.STEP_INPUT: tip_add.read_step,
    tip_add.YAML_INPUT: tip_add.read_yaml_snippet,
    transfer.IMPORT_INPUT: _file_expected,
    review.COMMENT_INPUT: review.read_comment,
}


async def read_input(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Hand the text to what this admin's chat waits for, and keep it from the FAQ."""
    waiting = common.awaiting(context)
    reader = READERS.get(waiting["kind"]) if waiting else None
    if waiting is None or reader is None:
        return
    await reader(update, context, waiting)
    raise ApplicationHandlerStop


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register the typed-input reader in the admin input group."""
    typed = (filters.TEXT & ~filters.COMMAND) | filters.FORWARDED
    only = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & admin_filter(app)
    app.add_handler(MessageHandler(only & typed, read_input), group=Group.ADMIN_INPUT)
