"""Build the python-telegram-bot Application from Settings and run it."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import BotCommand, Update
from telegram.ext import Application, ApplicationBuilder

from bot.admin import review
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.content.library import Library
from bot.content.live import Gate, LiveContent
from bot.content.loader import Content
from bot.content.models import FaqEntry
from bot.db import migrate
from bot.db.engine import Database
from bot.delivery import capacity
from bot.delivery.engine import DeliveryEngine, EngineConfig, claim_size
from bot.faq.matcher import FaqMatcher
from bot.faq.model import shipped_model
from bot.handlers import inbox, register_all
from bot.handlers.admin import auth as admin_auth
from bot.handlers.admin import broadcast_runs
from bot.handlers.commands import COMMANDS
from bot.outbound.pacing import PacedRateLimiter, Pacer
from bot.outbound.sender import Sender
from bot.runtime.health import HealthLimits, HealthMonitor
from bot.runtime.http import AiohttpRequest
from bot.runtime.metrics import Metrics
from bot.runtime.replicas import Replicas
from bot.runtime.scheduler import TickScheduler
from bot.runtime.updates import ChatOrderedUpdateProcessor
from bot.runtime.web import WebServer
from bot.schedule.due import zone
from bot.services import SERVICES_KEY, Services, services_in

log = logging.getLogger(__name__)

# PTB 22 warns on every RetryAfter (a 429) unless durations are timedeltas; we read
# retry_after either way (bot/outbound/pacing.py), so opt in and keep the logs clean.
os.environ.setdefault("PTB_TIMEDELTA", "true")

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


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
    pacer = Pacer(
        settings.delivery_rate,
        per_chat_interval=settings.per_chat_interval,
        # Paid broadcasts pace at Telegram's own limit (1,000/s), with no margin below it.
        until_answered=settings.paid_broadcasts,
    )
    metrics = Metrics(replica=settings.replica_id, updates=settings.updates)
    requests = (
        AiohttpRequest(connection_pool_size=256, read_timeout=settings.send_read_timeout),
        AiohttpRequest(connection_pool_size=1),
    )
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        Application.builder()
        .token(token)
        .base_url(base)
        .base_file_url(base.replace("/bot", "/file/bot", 1))
        # One chat's updates in order, chats in parallel (bot/runtime/updates.py); every update is
        # counted, timed and its ids bound to the log lines it causes.
        .concurrent_updates(ChatOrderedUpdateProcessor(metrics))
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
    matcher = FaqMatcher.of(content.faq)
    shipped_model()  # read the triage model's weights now (0.1-0.2 s), not on a first message
    clock = clock or SystemClock()
    app.bot_data[SERVICES_KEY] = Services(
        settings=settings,
        db=settings.open_database(),  # not connected until post_init
        content=content,
        clock=clock,
        matcher=matcher,
        live=LiveContent(
            content,
            FaqMatcher.of,
            matcher,
            gate=_review_gate(content, clock) if settings.review_required else None,
        ),
        pacer=pacer,
        metrics=metrics,
        requests=requests,
    )
    # Before the error handler that reports: every error handler runs, this one only counts.
    app.add_error_handler(_count_error)
    register_all(app)
    return app


def _add_periodic_jobs(app: AnyApplication, scheduler: TickScheduler) -> None:
    """The periodic jobs beside the delivery tick, all on its one scheduler: reload the admin
    set (a change on another replica or by the CLI arrives), start due broadcasts, purge
    closed inbox items past their retention."""
    scheduler.every("admin-reload", admin_auth.RELOAD_SECONDS, lambda: admin_auth.reload(app))
    scheduler.every("broadcasts", broadcast_runs.TICK_SECONDS, lambda: broadcast_runs.run_due(app))
    scheduler.every("inbox-purge", inbox.PURGE_SECONDS, lambda: inbox.purge(app), first=60)


async def _count_error(_update: object, context: Any) -> None:
    services_in(context.bot_data).metrics.handler_errors.inc()


async def _open_services(app: AnyApplication) -> None:
    svc = services_in(app.bot_data)
    await migrate.upgrade(svc.db)
    await admin_auth.refresh(app, svc)
    await _set_commands(app, svc.content)
    await _start_delivery(app, svc)
    await _start_web(app, svc)
    log.info("bot ready as @%s (updates: %s)", app.bot.username, svc.settings.updates)


def _review_gate(files: Content, clock: Clock) -> Gate:
    """CONTENT_REVIEW=required: patients are answered and sent only reviewed wording."""

    async def gate(
        session: AsyncSession, content: Content, library: Library
    ) -> tuple[tuple[FaqEntry, ...], Library]:
        now = clock.now()
        faq = await review.live_faq(session, files, content.faq, now)
        return faq, await review.gate_library(session, files, library, now)

    return gate


async def _start_delivery(app: AnyApplication, svc: Services) -> None:
    """The sender, the engine and the scheduler that ticks it; on PostgreSQL the replica's
    heartbeat, which splits DELIVERY_RATE between the live replicas."""
    settings = svc.settings
    sender = Sender(
        app.bot,
        svc.pacer,
        max_attempts=settings.send_max_attempts,
        paid_broadcast=settings.paid_broadcasts,
    )
    # The content in use: the files merged with admins' changes, read once per revision.
    engine = DeliveryEngine(
        svc.db,
        svc.content.catalogs,
        sender,
        svc.clock,
        svc.live.library,
        EngineConfig(
            replica=settings.replica_id,
            catch_up=dt.timedelta(hours=settings.catch_up_hours),
            lease=dt.timedelta(seconds=settings.delivery_lease_seconds),
            batch=claim_size(settings.delivery_rate, settings.delivery_lease_seconds),
        ),
    )
    replicas = None
    if not svc.db.is_sqlite:
        # DELIVERY_RATE is the deployment's (Telegram's limit is per token): this replica
        # paces at its share, and claims what that share sends in a quarter of a lease.
        replicas = Replicas(
            svc.db,
            settings.replica_id,
            settings.delivery_rate,
            svc.pacer,
            svc.clock.now,
            interval=settings.replica_heartbeat_seconds,
        )
        await replicas.start()
        live = replicas
        engine.batch_size = lambda: claim_size(live.share, settings.delivery_lease_seconds)
    scheduler = TickScheduler(engine, settings.delivery_tick_seconds, replicas=replicas)
    _add_periodic_jobs(app, scheduler)
    svc.sender, svc.engine, svc.scheduler = sender, engine, scheduler
    scheduler.start()


def _begin_stop(app: AnyApplication) -> None:
    """The first thing on shutdown: no new send starts (daily tips and broadcasts), and
    requests on the wire get STOP_GRACE_SECONDS before they are cut and recorded in doubt."""
    svc = services_in(app.bot_data)
    if svc.engine is not None:
        svc.engine.stop()
    if svc.sender is not None:
        svc.sender.stop(svc.settings.stop_grace_seconds)


async def _stop_delivery(app: AnyApplication) -> None:
    """Stop ticking; a tick in progress records its sends (see `_begin_stop`)."""
    _begin_stop(app)
    scheduler = services_in(app.bot_data).scheduler
    if scheduler is not None:
        await scheduler.stop()


async def _start_web(app: AnyApplication, svc: Services) -> None:
    """Health and metrics (HEALTH_PORT), and in webhook mode the webhook (bot/runtime/web.py)."""
    settings, db, clock, metrics = svc.settings, svc.db, svc.clock, svc.metrics
    engine, sender = svc.engine, svc.sender
    metrics.watch(sender=sender, engine=engine)
    if not settings.health_port and settings.updates != "webhook":
        return
    health = HealthMonitor(
        db,
        clock.now,
        HealthLimits(
            max_tick_age=max(settings.health_max_tick_age, 3 * settings.delivery_tick_seconds),
            max_pause=settings.health_max_pause,
        ),
        engine=engine,
        sender=sender,
        info={"replica": settings.replica_id, "updates": settings.updates},
    )
    health.warnings = _capacity_warnings(settings, db, clock)
    if settings.updates == "polling":
        health.updates_ok = lambda: app.updater is None or app.updater.running or not app.running
    server = WebServer(app, settings, db, clock.now, metrics, health)
    if settings.updates == "webhook":
        health.updates_ok = lambda: server.accepting or not app.running
    svc.web = server
    try:
        await server.start()
    except BaseException:
        # post_stop never runs when post_init fails: stop the delivery started above.
        await _stop_delivery(app)
        raise


def _capacity_warnings(
    settings: Settings, db: Database, clock: Clock
) -> Callable[[], Awaitable[list[str]]]:
    """The /healthz warnings: send times too large for the catch-up window."""

    async def read() -> list[str]:
        found = await capacity.load(
            db,
            clock.now(),
            rate=settings.delivery_rate,
            window=dt.timedelta(hours=settings.catch_up_hours),
        )
        return capacity.warnings(found, zone(settings.default_timezone))

    return read


async def _close_services(app: AnyApplication) -> None:
    svc = services_in(app.bot_data)
    server, svc.web = svc.web, None
    if server is not None:
        await server.stop()
    await svc.db.close()


async def _set_commands(app: AnyApplication, content: Content) -> None:
    catalogs = content.catalogs
    for lang in catalogs.languages:
        commands = [BotCommand(c, catalogs.text(lang, f"command_{c}")) for c in COMMANDS]
        # English is also the default for every client language we have no catalog for.
        await app.bot.set_my_commands(commands, language_code=None if lang == "en" else lang)


def run(app: AnyApplication) -> None:
    """Run until SIGINT/SIGTERM (the `gutskin-bot run` command), taking updates as UPDATES says."""
    try:
        asyncio.run(_run_until_stopped(app))
    except asyncio.CancelledError:
        raise KeyboardInterrupt from None


async def _run_until_stopped(app: AnyApplication) -> None:
    stop = asyncio.Event()
    main = asyncio.current_task()
    assert main is not None

    def on_signal() -> None:
        # The first signal stops gracefully (in-flight sends finish); a second one at once.
        if stop.is_set():
            main.cancel()
        stop.set()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    try:
        async with running(app):
            await stop.wait()
    finally:
        # PTB shuts down only what finished initialising: when start-up fails (a rejected
        # token, no network) the HTTP sessions are still open; close them here.
        requests = services_in(app.bot_data).requests
        await asyncio.gather(*(request.shutdown() for request in requests))


@contextlib.asynccontextmanager
async def running(app: AnyApplication, *, poll_interval: float = 0.0) -> AsyncIterator[None]:
    """Run the application inside an existing event loop (run, sandbox, tests).

    Updates come as UPDATES says: by long polling (the default), by the webhook that
    post_init opened and registered, or not at all (a replica that only delivers tips).
    """
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        polling = _settings_of(app).updates == "polling"
        if polling:
            assert app.updater is not None
            await app.updater.start_polling(
                poll_interval=poll_interval, timeout=10, allowed_updates=Update.ALL_TYPES
            )
        try:
            yield
        finally:
            _begin_stop(app)
            # Stop taking updates first; app.stop() then handles those already taken.
            if polling:
                assert app.updater is not None
                await app.updater.stop()
            server = services_in(app.bot_data).web
            if server is not None:
                server.stop_accepting()
            await app.stop()
            if app.post_stop is not None:
                await app.post_stop(app)
    finally:
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)


def _settings_of(app: AnyApplication) -> Settings:
    return services_in(app.bot_data).settings
