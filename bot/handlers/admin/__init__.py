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

from bot.content import store as content_store
from bot.content.library import Library
from bot.handlers.admin import (
    auth,
    broadcasts,
    inputs,
    menu,
    people,
    schedule,
    schedule_edit,
    stats,
    tip_add,
    tips,
    transfer,
)
from bot.handlers.delivery import LIBRARY_KEY
from bot.handlers.services import SERVICES_KEY

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


def library_provider(app: AnyApplication) -> Any:
    """The delivery engine's and /today's library: the files merged with admins' changes."""

    async def provide(session: AsyncSession) -> Library:
        # Before post_init this is the pending setup, after it the Services: both hold content.
        return await content_store.current_library(session, app.bot_data[SERVICES_KEY].content)

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
