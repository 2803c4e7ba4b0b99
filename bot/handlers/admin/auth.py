"""The one admin filter every admin handler sits behind.

The set of admin ids lives in memory for the filter (filters cannot await the database);
it is loaded in post_init, reloaded after every change on this replica, and every minute
so that a change made on another replica or by the command line arrives too.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import Application, filters

from bot import admins
from bot.handlers.services import Services

log = logging.getLogger(__name__)

FILTER_KEY = "admin_filter"


class AdminFilter(filters.UpdateFilter):
    """Passes updates from a user in the current admin set."""

    def __init__(self) -> None:
        super().__init__(name="AdminFilter")
        self.ids: frozenset[int] = frozenset()

    def filter(self, update: Update) -> bool:
        user = update.effective_user
        return user is not None and user.id in self.ids


def admin_filter(app: Application[Any, Any, Any, Any, Any, Any]) -> AdminFilter:
    """This application's admin filter (one per application, made on first use)."""
    found = app.bot_data.get(FILTER_KEY)
    if not isinstance(found, AdminFilter):
        found = AdminFilter()
        app.bot_data[FILTER_KEY] = found
    return found


async def refresh(app: Application[Any, Any, Any, Any, Any, Any], svc: Services) -> None:
    """Reload the admin set from settings and the database."""
    async with svc.db.session() as session:
        ids = await admins.admin_ids(session, svc.settings.admin_ids)
    admin_filter(app).ids = ids
