"""A local Telegram Bot API emulator over HTTP, for running and testing the bot offline.

Point python-telegram-bot at it with ``Application.builder().token(token)
.base_url(sandbox.base_url)``; it answers ``POST|GET /bot{token}/{method}`` in the Bot API
wire format. Parameters may come as a query string, application/x-www-form-urlencoded (PTB's
default: strings raw, everything else JSON-encoded), multipart/form-data (file uploads, also
via ``attach://name``) or application/json. The implemented methods and their rules are in
``bot.sandbox.methods``; the control API for tests and the terminal is in
``bot.sandbox.control``; webhook delivery in ``bot.sandbox.webhook``; the optional chat page
(``Sandbox(web=WebUI(...))``, served at ``/``) in ``bot.sandbox.web``.
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import json
from typing import Any

from aiohttp import web
from aiohttp.web import AppRunner

from bot.clock import Clock, SystemClock
from bot.sandbox.control import WORLD, add_control_routes
from bot.sandbox.limits import summarize_params
from bot.sandbox.methods import METHODS, Upload
from bot.sandbox.state import ApiError, World
from bot.sandbox.users import add_user
from bot.sandbox.web import WebUI, add_web_routes
from bot.sandbox.webhook import WebhookDeliverer

_JSON_FIELDS = {
    "reply_markup",
    "entities",
    "caption_entities",
    "link_preview_options",
    "reply_parameters",
    "commands",
    "scope",
    "allowed_updates",
    "media",
}
_INT_FIELDS = {
    "chat_id",
    "message_id",
    "offset",
    "limit",
    "timeout",
    "cache_time",
    "message_thread_id",
    "reply_to_message_id",
    "max_connections",
}
_BOOL_FIELDS = {
    "disable_notification",
    "protect_content",
    "show_alert",
    "drop_pending_updates",
    "disable_web_page_preview",
    "allow_sending_without_reply",
    "has_spoiler",
    "disable_content_type_detection",
}
_CANONICAL = {name.lower(): name for name in METHODS}
_TOKEN = web.AppKey("token", str)


def _coerce(name: str, value: Any) -> Any:
    """Turn a wire value into the Python value the method expects."""
    if not isinstance(value, str):
        return value
    if name in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            what = "reply keyboard markup" if name == "reply_markup" else name
            raise ApiError(400, f"Bad Request: can't parse {what} JSON object") from None
    if name in _INT_FIELDS:
        with contextlib.suppress(ValueError):
            return int(value)
        return value
    if name in _BOOL_FIELDS:
        return value.strip().lower() in ("true", "1")
    return value


async def decode_params(request: web.Request) -> dict[str, Any]:
    """Collect the call's parameters from the query string and the body, in any encoding."""
    raw: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.content_type == "application/json" and request.can_read_body:
        try:
            body = await request.json()
        except ValueError:
            raise ApiError(400, "Bad Request: can't parse JSON body") from None
        if not isinstance(body, dict):
            raise ApiError(400, "Bad Request: JSON body must be an object")
        raw.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                content = value.file.read()
                uploads[name] = Upload(value.filename, len(content), value.content_type, content)
            else:
                raw[name] = value
    params = {name: _coerce(name, value) for name, value in raw.items()}
    for name, value in list(params.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            params[name] = uploads.get(value.removeprefix("attach://"), value)
    for name, upload in uploads.items():
        params.setdefault(name, upload)
    return params


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Server Error"


def _error_body(status: int, description: str, retry_after: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return body


async def _handle_bot_api(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    if request.match_info["token"] != request.app[_TOKEN]:
        return web.json_response(_error_body(401, "Unauthorized"), status=401)
    method = _CANONICAL.get(request.match_info["method"].lower())
    if method is None:
        return web.json_response(_error_body(404, "Not Found"), status=404)
    world.counters.requests_by_method[method] += 1
    params: dict[str, Any] = {}
    try:
        params = await decode_params(request)
        fault = world.faults.take(method)
        if fault is not None:
            await asyncio.sleep(fault.delay_seconds)
            if fault.status:
                world.counters.faults_injected += 1
                raise ApiError(fault.status, _phrase(fault.status))
        result = await METHODS[method](world, params)
    except ApiError as error:
        world.counters.count_status(error.status)
        _log(world, method, params, error.status, error.description)
        body = _error_body(error.status, error.description, error.retry_after)
        return web.json_response(body, status=error.status)
    _log(world, method, params, 200, None)
    return web.json_response({"ok": True, "result": result})


def _log(world: World, method: str, params: dict[str, Any], status: int, description: Any) -> None:
    world.requests_log.add(
        {
            "time": world.clock.now().isoformat(),
            "method": method,
            "params": summarize_params(params),
            "status": status,
            "description": description,
        }
    )
    world.event_signal.fire()  # the page's live request panel listens on the same signal


class Sandbox:
    """Run the Bot API emulator and its control API on one local HTTP port."""

    def __init__(
        self,
        *,
        token: str,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit_per_second: float | None = 30.0,
        bot_id: int = 7000000001,
        bot_username: str = "gutskin_sandbox_bot",
        clock: Clock | None = None,
        web: WebUI | None = None,
        webhook_retry_seconds: tuple[float, float] = (0.25, 10.0),
    ) -> None:
        """Set up the world (nothing listens until ``start``).

        Args:
            web: also serve the chat page, with these users and hooks.
            webhook_retry_seconds: the first and the longest wait before a failed webhook
                delivery is tried again (the wait doubles in between).
        """
        self.token = token
        self.host = host
        self.port = port
        self.world = World(
            clock=clock or SystemClock(),
            bot_id=bot_id,
            bot_username=bot_username,
            rate_limit=rate_limit_per_second,
        )
        self.web = web
        if web is not None:
            self.world.on_clock_moved = web.clock_moved
        first, longest = webhook_retry_seconds
        self.webhooks = WebhookDeliverer(
            self.world, first_retry_seconds=first, max_retry_seconds=longest
        )
        self._runner: AppRunner | None = None

    @property
    def base_url(self) -> str:
        """The Bot API base URL for PTB (it appends the token)."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def web_url(self) -> str:
        """The chat page (served when the sandbox was made with ``web``)."""
        return f"http://{self.host}:{self.port}/"

    @property
    def control_url(self) -> str:
        """The root of the control API."""
        return f"http://{self.host}:{self.port}/sandbox"

    def make_app(self) -> web.Application:
        """Build the aiohttp application serving both APIs."""
        app = web.Application()
        app[WORLD] = self.world
        app[_TOKEN] = self.token
        add_control_routes(app)
        if self.web is not None:
            add_web_routes(app, self.web)
        app.router.add_route("*", "/bot{token}/{method}", _handle_bot_api)
        return app

    async def start(self) -> None:
        """Bind and serve; with port 0 a free port is chosen and stored in ``port``."""
        self.world.closing = False
        # Long polls are woken on stop, so a short grace period is enough.
        self._runner = web.AppRunner(self.make_app(), shutdown_timeout=2.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        for user in self.web.users if self.web is not None else ():
            add_user(self.world, user.user_id, user.first_name, language_code=user.language_code)
        self.webhooks.start()

    async def stop(self) -> None:
        """Wake pending long polls and shut the server down."""
        if self._runner is None:
            return
        self.world.closing = True
        await self.webhooks.stop()
        self.world.update_signal.fire()
        self.world.event_signal.fire()
        await self._runner.cleanup()
        self._runner = None
