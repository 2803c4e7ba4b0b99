"""Build the python-telegram-bot Application from Settings and run it."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator
from typing import Any

from telegram import BotCommand, Update
from telegram.ext import Application, ApplicationBuilder

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.content.loader import Content
from bot.db import migrate
from bot.db.engine import Database
from bot.delivery.choose import Library
from bot.delivery.engine import DeliveryEngine, EngineConfig, static_library
from bot.delivery.pacing import PacedRateLimiter, Pacer
from bot.delivery.scheduler import TickScheduler
from bot.delivery.sender import Sender
from bot.faq.matcher import FaqMatcher
from bot.handlers import register_all
from bot.handlers.admin import auth as admin_auth
from bot.handlers.delivery import LIBRARY_KEY
from bot.handlers.services import SERVICES_KEY, Services
from bot.http.aiohttp_request import AiohttpRequest

log = logging.getLogger(__name__)

PACER_KEY = "pacer"
SENDER_KEY = "sender"
ENGINE_KEY = "delivery_engine"
SCHEDULER_KEY = "scheduler"
REQUESTS_KEY = "http_requests"

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
    pacer = Pacer(settings.delivery_rate)
    requests = (AiohttpRequest(connection_pool_size=256), AiohttpRequest(connection_pool_size=1))
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        Application.builder()
        .token(token)
        .base_url(base)
        .base_file_url(base.replace("/bot", "/file/bot", 1))
        .concurrent_updates(True)
        # One pacer for everything the bot sends: handlers' replies through PTB's rate
        # limiter hook, daily tips and broadcasts through the Sender.
        .rate_limiter(PacedRateLimiter(pacer))
        .request(requests[0])
        .get_updates_request(requests[1])
        .post_init(_open_services)
        .post_stop(_stop_delivery)
        .post_shutdown(_close_services)
    )
    app = builder.build()
    app.bot_data[PACER_KEY] = pacer
    app.bot_data[REQUESTS_KEY] = requests
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
    _start_delivery(app, pending.settings, db, pending.content, pending.clock)
    log.info("bot ready as @%s", app.bot.username)


def _start_delivery(
    app: AnyApplication, settings: Settings, db: Database, content: Content, clock: Clock
) -> None:
    """The sender, the engine and the scheduler that ticks it."""
    pacer = app.bot_data[PACER_KEY]
    sender = Sender(
        app.bot,
        pacer,
        max_attempts=settings.send_max_attempts,
        paid_broadcast=settings.allow_paid_broadcast,
    )
    library = app.bot_data.get(LIBRARY_KEY) or static_library(
        Library(content.tips, content.program)
    )
    engine = DeliveryEngine(
        db,
        content.catalogs,
        sender,
        clock,
        library,
        EngineConfig(
            replica=settings.replica_id,
            catch_up=dt.timedelta(hours=settings.catch_up_hours),
            lease=dt.timedelta(seconds=settings.delivery_lease_seconds),
            # A batch is what the pacer sends in a quarter of a lease.
            batch=max(
                10, min(1000, int(settings.delivery_rate * settings.delivery_lease_seconds / 4))
            ),
        ),
    )
    scheduler = TickScheduler(engine, settings.delivery_tick_seconds)
    app.bot_data[SENDER_KEY] = sender
    app.bot_data[ENGINE_KEY] = engine
    app.bot_data[SCHEDULER_KEY] = scheduler
    scheduler.start()


async def _stop_delivery(app: AnyApplication) -> None:
    """Stop ticking; a tick in progress finishes and records its sends."""
    scheduler = app.bot_data.get(SCHEDULER_KEY)
    if isinstance(scheduler, TickScheduler):
        await scheduler.stop()


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


def run(app: AnyApplication) -> None:
    """Run with long polling until SIGINT/SIGTERM (the `gutskin-bot run` command)."""
    try:
        app.run_polling(allowed_updates=Update.ALL_TYPES, close_loop=False)
    finally:
        # PTB shuts down only what finished initialising: when start-up fails (a rejected
        # token, no network) the HTTP sessions are still open; close them here.
        loop = asyncio.get_event_loop()
        loop.run_until_complete(
            asyncio.gather(*(request.shutdown() for request in app.bot_data[REQUESTS_KEY]))
        )
        loop.close()


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
            if app.post_stop is not None:
                await app.post_stop(app)
    finally:
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
