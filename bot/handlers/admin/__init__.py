"""The admin console: every handler here sits behind one admin filter.

Order (bot.handlers.groups): the refusal log sits in ADMIN_REFUSALS (it never answers); the
typed-input reader and uploads in ADMIN_INPUT, before broadcasts' typed input, settings,
preferences and the FAQ, and only while that admin's chat waits for input; the rest are buttons
and commands in MAIN, each matching only its own `adm:` callback data.
"""

from __future__ import annotations

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
from bot.handlers.groups import AnyApplication


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
    broadcasts.register(app)
    stats.register(app)
    # /try <question>: the `faq ask` check in Telegram (#12).
    try_question.register(app)
    # /inbox: questions patients sent to the clinic team (#15).
    inbox.register(app)
    # Clinical review (#15): the queue, /review.
    review.register(app)
