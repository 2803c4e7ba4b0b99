"""The one admin filter every admin handler sits behind, and what non-admins see.

The set of admin ids lives in memory for the filter (filters cannot await the database);
it is loaded in post_init, reloaded after every change on this replica, and every minute
so that a change made on another replica or by the command line arrives too.

A non-admin never reaches admin code: their /admin is answered by the fallback's ordinary
"unknown command", their press of an admin button (from a forwarded message) by its
"old button" answer. The attempt is logged with their user id and nothing else. Admin
commands appear only in admins' own chats (BotCommandScopeChat), never in the public list.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.admin import admins
from bot.handlers.commands import COMMANDS
from bot.handlers.groups import AnyApplication, Group
from bot.handlers.services import Services
from bot.services import services_in

log = logging.getLogger(__name__)

PREFIX = "adm:"
# Admin commands: name -> (catalog key of its description, owners only). Shown only in
# admins' own chats, in this order.
ADMIN_COMMANDS: dict[str, tuple[str, bool]] = {
    "admin": ("admin_command_admin", False),
    "admins": ("admin_command_admins", True),
    "broadcast": ("bc_command", False),
    "stats": ("stats_command", False),
    "try": ("try_command", False),  # the `faq ask` check in Telegram
    "inbox": ("admin_command_inbox", False),  # questions patients sent to the team
    "review": ("admin_command_review", False),  # clinical review's queue
}
RELOAD_SECONDS = 60
_COMMAND = re.compile(r"^/(?P<name>[A-Za-z0-9_]{1,32})(@\w+)?(\s|$)")


class AdminFilter(filters.UpdateFilter):
    """Passes updates from a user in the current admin set."""

    def __init__(self) -> None:
        super().__init__(name="AdminFilter")
        self.ids: frozenset[int] = frozenset()
        self.commands_for: frozenset[int] = frozenset()  # chats whose command list is set

    def filter(self, update: Update) -> bool:
        user = update.effective_user
        return user is not None and user.id in self.ids


def admin_filter(app: AnyApplication) -> AdminFilter:
    """This application's admin filter (one per application, made on first use)."""
    state = services_in(app.bot_data).state
    if state.admin_filter is None:
        state.admin_filter = AdminFilter()
    return state.admin_filter


class AdminButtons(CallbackQueryHandler[Any, Any]):
    """A CallbackQueryHandler that only admins' presses reach."""

    def __init__(self, app: AnyApplication, callback: Any, pattern: str) -> None:
        super().__init__(callback, pattern=pattern)
        self._admins = admin_filter(app)

    def check_update(self, update: object) -> Any:
        if not isinstance(update, Update) or not self._admins.filter(update):
            return None
        return super().check_update(update)


class AdminCommand(CommandHandler[Any, Any]):
    """/<name> in a private chat, for admins only (others get the ordinary unknown-command
    answer from the fallback, and the attempt is logged by `_Refusals`)."""

    def __init__(self, app: AnyApplication, name: str, callback: Any) -> None:
        super().__init__(name, callback, filters=filters.ChatType.PRIVATE & admin_filter(app))


def add_admin_doors(
    app: AnyApplication,
    buttons: Sequence[tuple[str, Any]],
    command: tuple[str, Any] | None = None,
) -> None:
    """Register a module's admin command and buttons ((pattern, callback) pairs, in order),
    each behind the admin filter."""
    if command is not None:
        app.add_handler(AdminCommand(app, *command))
    for pattern, callback in buttons:
        app.add_handler(AdminButtons(app, callback, pattern))


class _Refusals(BaseHandler[Update, Any, None]):
    """Matches a non-admin's admin command or admin button, only to log it."""

    def __init__(self, app: AnyApplication) -> None:
        super().__init__(_log_refusal)
        self._admins = admin_filter(app)

    def check_update(self, update: object) -> bool:
        if not isinstance(update, Update) or update.effective_user is None:
            return False
        if self._admins.filter(update):
            return False
        query = update.callback_query
        if query is not None:
            return (query.data or "").startswith(PREFIX)
        message = update.message
        found = _COMMAND.match(message.text or "") if message is not None else None
        return found is not None and found.group("name").lower() in ADMIN_COMMANDS


async def _log_refusal(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    # Logged and let through: the fallback gives the ordinary answer, so nothing leaks.
    user = update.effective_user
    log.warning("admin console refused for user %s", user.id if user else None)


def is_owner(context: ContextTypes.DEFAULT_TYPE, user_id: int | None) -> bool:
    """Whether this user is an owner (ADMIN_IDS in settings)."""
    return user_id in services_in(context.bot_data).settings.admin_ids


async def refresh(app: AnyApplication, svc: Services) -> None:
    """Reload the admin set from settings and the database; give new admins their commands."""
    async with svc.db.session() as session:
        ids = await admins.admin_ids(session, svc.settings.admin_ids)
    found = admin_filter(app)
    found.ids = ids
    await _sync_commands(app, svc, found)


async def _sync_commands(app: AnyApplication, svc: Services, found: AdminFilter) -> None:
    """Set admin commands in the chats of admins who lack them; clear them for ex-admins."""
    done = set(found.commands_for & found.ids)
    catalogs = svc.content.catalogs
    for user_id in sorted(found.ids - found.commands_for):
        owner = user_id in svc.settings.admin_ids
        names = [(c, f"command_{c}") for c in COMMANDS] + [
            (c, key) for c, (key, owners_only) in ADMIN_COMMANDS.items() if owner or not owners_only
        ]
        scope = BotCommandScopeChat(user_id)
        try:
            for lang in catalogs.languages:
                commands = [BotCommand(c, catalogs.text(lang, key)) for c, key in names]
                code = None if lang == "en" else lang
                await app.bot.set_my_commands(commands, scope=scope, language_code=code)
        except TelegramError as exc:  # they never started the bot: try again next reload
            log.debug("cannot set admin commands for %s yet: %s", user_id, exc)
            continue
        done.add(user_id)
    for user_id in sorted(found.commands_for - found.ids):
        try:
            for lang in catalogs.languages:
                code = None if lang == "en" else lang
                await app.bot.delete_my_commands(BotCommandScopeChat(user_id), language_code=code)
        except TelegramError as exc:
            log.debug("cannot clear admin commands for %s: %s", user_id, exc)
            done.add(user_id)
    found.commands_for = frozenset(done)


async def reload(app: AnyApplication) -> None:
    """Every minute (a periodic job of the runtime's scheduler): pick up admins added or
    removed elsewhere (another replica, the CLI)."""
    try:
        await refresh(app, services_in(app.bot_data))
    except (SQLAlchemyError, OSError, TelegramError):
        log.exception("could not reload the admin list; keeping the last one")


def register(app: AnyApplication) -> None:
    """Log refused attempts (in a group of their own, so the fallback still answers)."""
    app.add_handler(_Refusals(app), group=Group.ADMIN_REFUSALS)
