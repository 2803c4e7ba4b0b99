"""The bot's HTTP side: /healthz and /metrics for the operator, the webhook for Telegram.

Why our own aiohttp server and not PTB's ``run_webhook``: PTB's needs tornado (another
server stack, not installed), while aiohttp already carries our Bot API requests and the
sandbox. The webhook does what PTB's own handler does (check the secret, build the Update,
put it on ``app.update_queue``), so handlers cannot tell webhook from polling; and we
control the stop order: the webhook refuses new updates (503, Telegram retries them later
or at another replica) before the application drains its queue.

Listeners: health and metrics on HEALTH_HOST:HEALTH_PORT; the webhook on
WEBHOOK_LISTEN:WEBHOOK_PORT at WEBHOOK_PATH. When both name the same address they share
one listener. Plain HTTP: TLS is the reverse proxy's job (Telegram needs https).
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from prometheus_client.aiohttp import make_aiohttp_handler
from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.error import BadRequest

from bot.config import Settings
from bot.db.engine import Database
from bot.runtime import webhook_updates
from bot.runtime.health import HealthMonitor
from bot.runtime.metrics import Metrics

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_WARN_EVERY = 60.0  # seconds between two warnings about refused webhook requests
_PRUNE_EVERY = 600.0  # seconds between two prunings of the taken update ids


class ServeError(Exception):
    """A port could not be opened or Telegram refused the webhook; one line naming the setting."""


@dataclass(eq=False, repr=False)  # a repr would print the settings
class WebServer:
    """Serve health, metrics and (in webhook mode) the webhook; see the module docstring."""

    app: Any
    settings: Settings
    db: Database
    now: Callable[[], dt.datetime]
    metrics: Metrics
    health: HealthMonitor
    accepting: bool = field(default=False, init=False)
    addresses: dict[str, tuple[str, int]] = field(default_factory=dict, init=False)
    _runners: list[web.AppRunner] = field(default_factory=list, init=False)
    _refused: int = field(default=0, init=False)
    _warned_at: float = field(default=0.0, init=False)
    _pruned_at: float = field(default=-_PRUNE_EVERY, init=False)

    def __post_init__(self) -> None:
        secret = self.settings.webhook_secret
        self._secret = secret.get_secret_value().encode() if secret is not None else b""
        self._prometheus = make_aiohttp_handler(self.metrics.registry)

    @property
    def webhook_mode(self) -> bool:
        """Whether updates arrive here (UPDATES=webhook)."""
        return self.settings.updates == "webhook"

    async def start(self) -> None:
        """Open the listeners, start watching health, and in webhook mode register it."""
        s = self.settings
        listeners: dict[tuple[str, int], tuple[web.Application, list[str]]] = {}

        def listener(host: str, port: int, setting: str) -> web.Application:
            app, names = listeners.setdefault((host, port), (web.Application(), []))
            names.append(setting)
            return app

        if s.health_port:
            ops = listener(s.health_host, s.health_port, "HEALTH_PORT")
            ops.router.add_get("/healthz", self._healthz)
            ops.router.add_get("/metrics", self._metrics)
        if self.webhook_mode:
            hook = listener(s.webhook_listen, s.webhook_port, "WEBHOOK_PORT")
            hook.router.add_post(s.webhook_serve_path, self._webhook)
        for (host, port), (app, names) in listeners.items():
            # In-flight requests get a short grace period at stop; Telegram retries the rest.
            runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
            await runner.setup()
            self._runners.append(runner)
            try:
                await web.TCPSite(runner, host, port).start()
            except OSError as exc:
                await self.stop()
                reason = os.strerror(exc.errno) if exc.errno else str(exc)
                raise ServeError(
                    f"{' and '.join(names)}: cannot listen on {host}:{port} ({reason})"
                ) from None
            for name in names:
                self.addresses[name] = runner.addresses[0][:2]
        self.health.start()
        if self.webhook_mode:
            try:
                await self._register_webhook()
            except BaseException:
                await self.stop()
                raise

    async def _register_webhook(self) -> None:
        """Point Telegram at our public URL; harmless when every replica does it."""
        s = self.settings
        assert s.webhook_url is not None and s.webhook_secret is not None
        self.accepting = True
        try:
            await self.app.bot.set_webhook(
                url=s.webhook_url,
                secret_token=s.webhook_secret.get_secret_value(),
                allowed_updates=Update.ALL_TYPES,
            )
        except BadRequest as exc:  # a URL or secret Telegram does not take
            raise ServeError(f"WEBHOOK_URL: Telegram refused the webhook ({exc.message})") from None
        log.info("webhook registered; serving updates on %s", s.webhook_serve_path)

    def stop_accepting(self) -> None:
        """Refuse new updates from now on (503: Telegram keeps them and retries)."""
        self.accepting = False

    async def stop(self) -> None:
        """Close the listeners (the webhook stays registered: updates wait at Telegram)."""
        self.accepting = False
        await self.health.stop()
        runners, self._runners = self._runners, []
        for runner in runners:
            await runner.cleanup()

    # -- routes --------------------------------------------------------------------------

    async def _healthz(self, _request: web.Request) -> web.Response:
        ok, report = await self.health.check()
        return web.json_response(report, status=200 if ok else 503)

    async def _metrics(self, request: web.Request) -> web.StreamResponse:
        await self.metrics.read_database(self.db, self.now())
        return await self._prometheus(request)

    async def _webhook(self, request: web.Request) -> web.Response:
        """Take one update from Telegram: the secret first, then the body."""
        given = request.headers.get(SECRET_HEADER)
        if given is None or not hmac.compare_digest(given.encode(errors="replace"), self._secret):
            self._refuse("missing" if given is None else "wrong", request)
            self.metrics.webhook_requests.labels("forbidden").inc()
            return web.Response(status=403)
        update = self._parse(await request.read())
        if update is None:
            self.metrics.webhook_requests.labels("bad_request").inc()
            return web.Response(status=400)
        if not self.accepting:
            self.metrics.webhook_requests.labels("unavailable").inc()
            return web.Response(status=503, headers={"Retry-After": "5"})
        try:
            first = await self._take(update.update_id)
        except SQLAlchemyError as exc:
            # Without the shared record a repeat could be handled twice: let Telegram retry.
            log.warning(
                "webhook: cannot record update %s (%s)", update.update_id, type(exc).__name__
            )
            self.metrics.webhook_requests.labels("unavailable").inc()
            return web.Response(status=503, headers={"Retry-After": "5"})
        if not first:
            log.debug("webhook: update %s already taken; dropped", update.update_id)
            self.metrics.webhook_requests.labels("duplicate").inc()
            return web.Response()
        await self.app.update_queue.put(update)
        self.metrics.webhook_requests.labels("accepted").inc()
        return web.Response()

    async def _take(self, update_id: int) -> bool:
        """Whether this update is new to every replica (bot/runtime/webhook_updates.py); now and
        then forget the old ids."""
        now = self.now()
        async with self.db.session() as session:
            first = await webhook_updates.take(session, update_id, now)
            if time.monotonic() - self._pruned_at >= _PRUNE_EVERY:
                self._pruned_at = time.monotonic()
                await webhook_updates.prune(session, now)
        return first

    def _parse(self, body: bytes) -> Update | None:
        try:
            data = json.loads(body)
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                return None
            return Update.de_json(data, self.app.bot)
        except Exception:
            return None

    def _refuse(self, why: str, request: web.Request) -> None:
        """Log refused requests, at most once a minute (a scanner must not flood the log)."""
        self._refused += 1
        now = time.monotonic()
        if now - self._warned_at >= _WARN_EVERY:
            log.warning(
                "webhook: refused %d request(s) with a %s secret token header (last from %s)",
                self._refused,
                why,
                request.remote,
            )
            self._refused, self._warned_at = 0, now
