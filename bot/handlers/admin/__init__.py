"""The admin console: every handler here sits behind one admin filter.

Order: the refusal log sits in group -4 (it never answers); the typed-input reader and
uploads in group -6, before broadcasts' typed input (-5), settings (-3), preferences (-2, -1)
and the FAQ (0), and only while that admin's chat waits for input; the rest are buttons and
commands in group 0, each matching only its own `adm:` callback data.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram.ext import Application

from bot import content_store
from bot import review as review_rules
from bot.delivery.choose import Library
from bot.handlers.admin import (
    auth,
    broadcasts,
    inbox,
    inputs,
    menu,
    people,
    review,
    schedule,
    schedule_edit,
    stats,
    tip_add,
    tips,
    transfer,
    try_question,
)
from bot.handlers.delivery import LIBRARY_KEY
from bot.handlers.services import SERVICES_KEY

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


def library_provider(app: AnyApplication) -> Any:
    """The delivery engine's and /today's library: the files merged with admins' changes."""

    async def provide(session: AsyncSession) -> Library:
        # Before post_init this is the pending setup, after it the Services: both hold content.
        svc = app.bot_data[SERVICES_KEY]
        library = await content_store.current_library(session, svc.content)
        if svc.settings.review_required:  # CONTENT_REVIEW=required: only reviewed tips
            library = await review_rules.gate_library(
                session, svc.content, library, svc.clock.now()
            )
        return library

    return provide


def register(app: AnyApplication) -> None:
    """Register the admin handlers, and plug admins' content into delivery."""
    app.bot_data[LIBRARY_KEY] = library_provider(app)
    auth.register(app)
    menu.register(app)
    people.register(app)
    schedule.register(app)
    schedule_edit.register(app)
    tips.register(app)
    tip_add.register(app)
    transfer.register(app)
    inputs.register(app)
    # Broadcasts (adm:bc, /broadcast) and Stats (adm:stats, /stats), built beside the console.
    auth.add_admin_command("broadcast", "bc_command")
    auth.add_admin_command("stats", "stats_command")
    broadcasts.register(app)
    stats.register(app)
    # /try <question>: the `faq ask` check in Telegram (#12).
    auth.add_admin_command("try", "try_command")
    try_question.register(app)
    # /inbox: questions patients sent to the clinic team (#15).
    auth.add_admin_command("inbox", "admin_command_inbox")
    inbox.register(app)
    # Clinical review (#15): the queue, /review.
    auth.add_admin_command("review", "admin_command_review")
    review.register(app)
