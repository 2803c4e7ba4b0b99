"""The one error handler: log with the traceback, tell the admins, be kind to the user."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from bot.admin.alerts import AlertGate
from bot.handlers.services import SERVICES_KEY, Services

log = logging.getLogger(__name__)
ALERTS_KEY = "error_alerts"


async def report_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure, apologise to the user, and send the admins a one-line summary."""
    log.error("error while handling an update", exc_info=context.error)
    svc = context.bot_data.get(SERVICES_KEY)
    if not isinstance(svc, Services):
        return
    if isinstance(update, Update) and update.effective_chat is not None:
        user = update.effective_user
        lang = svc.content.catalogs.language_for(user.language_code if user else None)
        try:
            await context.bot.send_message(
                update.effective_chat.id, svc.content.catalogs.text(lang, "error")
            )
        except TelegramError:
            log.warning("could not tell chat %s about the error", update.effective_chat.id)
    # Only the type: an exception's text can carry a user's message or ids (see the log).
    gate = context.bot_data.setdefault(ALERTS_KEY, AlertGate())
    summary = gate.admit(type(context.error).__name__, svc.clock.now())
    if summary is None:
        return  # grouped into the next alert: one user must not be able to flood the admins
    for admin in svc.settings.admin_ids:
        try:
            await context.bot.send_message(admin, summary)
        except TelegramError:
            log.warning("could not notify admin %s", admin)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register the error handler."""
    app.add_error_handler(report_error)
