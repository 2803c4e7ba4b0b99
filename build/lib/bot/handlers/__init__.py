"""Thin Telegram handlers: read the update, call the logic, reply from the catalogs.

The order below is the order handlers are tried in within a group; the groups themselves are
the table in `bot.handlers.groups`. Registering only adds handlers: the periodic jobs are
started by the runtime (`bot.runtime.app`).
"""

from __future__ import annotations

from typing import Any

from telegram.ext import Application

from bot.handlers import (
    admin,
    booking,
    consent,
    delivery,
    errors,
    fallback,
    faq,
    inbox,
    onboarding,
    preferences,
    privacy,
    settings,
)


def register_all(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register every handler module, in the order that matters."""
    onboarding.register(app)
    consent.register(app)
    privacy.register(app)
    # "Ask the clinic team": the typed message after opting in is read in group -8.
    inbox.register(app)
    inbox.start(app)  # the hourly purge of closed items (INBOX_RETENTION_DAYS)
    # Typed answers (a time after /time, STOP) are read in groups before the FAQ's (groups.py).
    preferences.register(app)
    settings.register(app)
    booking.register(app)
    delivery.register(app)
    # Admin handlers sit behind one admin filter; others see "unknown command".
    admin.register(app)
    # FAQ's free-text handler answers any text the modules above did not claim.
    faq.register(app)
    # The catch-all goes last: it answers whatever no module above claimed.
    fallback.register(app)
    errors.register(app)
