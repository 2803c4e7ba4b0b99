"""Build the python-telegram-bot Application from Settings and run it."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from telegram import BotCommand, Update
from telegram.ext import Application, ApplicationBuilder

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.content.loader import Content
from bot.db import migrate
from bot.faq.matcher import FaqMatcher
from bot.handlers import register_all
from bot.handlers.admin import auth as admin_auth
from bot.handlers.services import SERVICES_KEY, Services

log = logging.getLogger(__name__)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
COMMANDS = (
    "start",
    "faq",
    "book",
    "time",
    "language",
    "pause",
    "resume",
    "stop",
    "mydata",
    "deletemydata",
    "help",
)


def build_application(
    settings: Settings,
    content: Content,
    *,
    token: str,
    base_url: str | None = None,
    clock: Clock | None = None,
) -> AnyApplication:
    """Build the application; services open in post_init and close in post_shutdown."""
    base = base_url or settings.telegram_api_base_url
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        Application.builder()
        .token(token)
        .base_url(base)
        .base_file_url(base.replace("/bot", "/file/bot", 1))
        .concurrent_updates(True)
        .post_init(_open_services)
        .post_shutdown(_close_services)
    )
    app = builder.build()
    app.bot_data[SERVICES_KEY] = _Pending(settings, content, clock or SystemClock())
    register_all(app)
    return app


class _Pending:
    """What post_init needs to open the services."""

    def __init__(self, settings: Settings, content: Content, clock: Clock) -> None:
        self.settings, self.content, self.clock = settings, content, clock


async def _open_services(app: AnyApplication) -> None:
    pending = app.bot_data[SERVICES_KEY]
    assert isinstance(pending, _Pending)
    db = pending.settings.open_database()
    await migrate.upgrade(db)
    matcher = FaqMatcher(pending.content.faq)
    app.bot_data[SERVICES_KEY] = Services(
        pending.settings, db, pending.content, pending.clock, matcher
    )
    await admin_auth.refresh(app, app.bot_data[SERVICES_KEY])
    await _set_commands(app, pending.content)
    log.info("bot ready as @%s", app.bot.username)


async def _close_services(app: AnyApplication) -> None:
    svc = app.bot_data.get(SERVICES_KEY)
    if isinstance(svc, Services):
        await svc.db.close()


async def _set_commands(app: AnyApplication, content: Content) -> None:
    catalogs = content.catalogs
    for lang in catalogs.languages:
        commands = [BotCommand(c, catalogs.text(lang, f"command_{c}")) for c in COMMANDS]
        # English is also the default for every client language we have no catalog for.
        await app.bot.set_my_commands(commands, language_code=None if lang == "en" else lang)


@contextlib.asynccontextmanager
async def running(app: AnyApplication, *, poll_interval: float = 0.0) -> AsyncIterator[None]:
    """Run the application with polling inside an existing event loop (sandbox, tests)."""
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(
            poll_interval=poll_interval, timeout=10, allowed_updates=Update.ALL_TYPES
        )
        try:
            yield
        finally:
            await app.updater.stop()
            await app.stop()
    finally:
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
