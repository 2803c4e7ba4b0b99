"""The admin console: every handler here sits behind one admin filter.

Order: the refusal log sits in group -4 (it never answers); the typed-input reader and
uploads in group -6, before broadcasts' typed input (-5), settings (-3), preferences (-2, -1)
and the FAQ (0), and only while that admin's chat waits for input; the rest are buttons and
commands in group 0, each matching only its own `adm:` callback data.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import Application

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

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


def register(app: AnyApplication) -> None:
    """Register the admin handlers (nothing else: the runtime gives delivery its content)."""
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
