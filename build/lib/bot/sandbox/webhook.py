"""Webhook delivery, as Telegram does it, but only to this machine.

While a webhook is set, the queued updates are POSTed one at a time, oldest first, as JSON
to its URL (with ``X-Telegram-Bot-Api-Secret-Token`` when a secret was given). Any 2xx
answer confirms the update and removes it from the queue; anything else (another status, a
refused connection, a timeout) leaves it queued, is recorded as ``last_error_date`` and
``last_error_message`` in getWebhookInfo, and is retried after a delay that doubles up to a
ceiling, as Telegram backs off. One update at a time keeps them in order (Telegram with
``max_connections`` 1); a Bot API method in the webhook's answer is not executed.

Only loopback URLs (127.0.0.1, ::1, localhost) are accepted, so the sandbox never sends
anything off the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot.sandbox.state import ApiError, World

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
_LOOPBACK_NAMES = {"localhost", "localhost."}


def _bad_webhook(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: bad webhook: {reason}")


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_webhook(url: str, secret_token: Any, max_connections: Any) -> None:
    """Refuse a webhook the way setWebhook does; only loopback hosts are allowed here."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _bad_webhook("An HTTPS URL must be provided for webhook")
    try:
        parts.port  # noqa: B018 - reading it validates it
    except ValueError:
        raise _bad_webhook("Webhook URL has an invalid port") from None
    if not _is_loopback(parts.hostname):
        raise _bad_webhook(
            f"the sandbox delivers webhooks only to 127.0.0.1, ::1 or localhost, "
            f"not to {parts.hostname}"
        )
    if secret_token is not None and not _SECRET_RE.fullmatch(str(secret_token)):
        raise ApiError(400, "Bad Request: secret token contains unallowed characters")
    if max_connections is not None and not (
        isinstance(max_connections, int) and 1 <= max_connections <= 100
    ):
        raise ApiError(400, "Bad Request: max_connections must be between 1 and 100")


def _describe(status: int) -> str:
    try:
        return f"Wrong response from the webhook: {status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        return f"Wrong response from the webhook: {status}"


class WebhookDeliverer:
    """POST queued updates to the world's webhook until stopped; see the module docstring."""

    def __init__(
        self,
        world: World,
        *,
        first_retry_seconds: float = 0.25,
        max_retry_seconds: float = 10.0,
        timeout_seconds: float = 10.0,
    ) -> None:
        self.world = world
        self.first_retry = first_retry_seconds
        self.max_retry = max_retry_seconds
        self.timeout = timeout_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start delivering in the background."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="sandbox-webhook")

    async def stop(self) -> None:
        """Stop delivering; an update in flight stays queued."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _next_update(self) -> dict[str, Any] | None:
        world = self.world
        if world.allowed_updates:
            world.updates = [u for u in world.updates if _kind(u) in world.allowed_updates]
        return world.updates[0] if world.updates else None

    async def _run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            delay = self.first_retry
            while not self.world.closing:
                url = self.world.webhook["url"]
                update = self._next_update() if url else None
                if update is None:
                    await self.world.update_signal.wait(30.0)
                    continue
                error = await self._post(session, url, update)
                if error is None:
                    confirmed = update["update_id"]
                    self.world.updates = [
                        u for u in self.world.updates if u["update_id"] != confirmed
                    ]
                    delay = self.first_retry
                    continue
                self.world.webhook["last_error_date"] = int(self.world.clock.now().timestamp())
                self.world.webhook["last_error_message"] = error
                # A new or deleted webhook cuts the wait short; new updates do not.
                await self.world.webhook_signal.wait(delay)
                delay = min(delay * 2, self.max_retry)

    async def _post(
        self, session: aiohttp.ClientSession, url: str, update: dict[str, Any]
    ) -> str | None:
        """POST one update; return None when confirmed, else Telegram's error wording."""
        headers = {}
        secret = self.world.webhook.get("secret_token")
        if secret:
            headers[SECRET_HEADER] = str(secret)
        try:
            async with session.post(url, json=update, headers=headers) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                return _describe(response.status)
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientConnectorError as error:
            refused = isinstance(error.os_error, ConnectionRefusedError)
            return "Connection refused" if refused else f"Connection failed: {error.os_error}"
        except aiohttp.ClientError as error:
            return f"Connection failed: {type(error).__name__}"


def _kind(update: dict[str, Any]) -> str:
    return next(key for key in update if key != "update_id")
