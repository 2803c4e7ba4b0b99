"""The one error handler: log with the traceback, tell the admins, be kind to the user."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.admin.alerts import AlertGate
from bot.handlers.groups import AnyApplication
from bot.services import services_if_any

log = logging.getLogger(__name__)


async def report_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure, apologise to the user, and send the admins a one-line summary."""
    log.error("error while handling an update", exc_info=context.error)
    svc = services_if_any(context.bot_data)
    if svc is None:
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
    gate = svc.state.error_alerts
    if gate is None:
        gate = svc.state.error_alerts = AlertGate()
    summary = gate.admit(type(context.error).__name__, svc.clock.now())
    if summary is None:
        return  # grouped into the next alert: one user must not be able to flood the admins
    for admin in svc.settings.admin_ids:
        try:
            await context.bot.send_message(admin, summary)
        except TelegramError:
            log.warning("could not notify admin %s", admin)


def register(app: AnyApplication) -> None:
    """Register the error handler."""
    app.add_error_handler(report_error)
