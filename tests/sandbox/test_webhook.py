"""Webhook delivery: updates POSTed to a local receiver, retried, counted and refused."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import telegram
from aiohttp import web
from telegram.error import BadRequest, Conflict

from bot.clock import OffsetClock
from bot.sandbox import Sandbox, SandboxClient
from bot.sandbox.webhook import SECRET_HEADER
from tests.sandbox.conftest import TOKEN, USER_ID


@dataclass
class Receiver:
    """A tiny webhook endpoint: answers ``failures`` 500s first, then records each update."""

    url: str = ""
    failures: int = 0
    attempts: int = 0
    updates: list[dict[str, Any]] = field(default_factory=list)
    secrets: list[str | None] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        """Take one delivery."""
        self.attempts += 1
        if self.failures > 0:
            self.failures -= 1
            return web.Response(status=500)
        self.updates.append(await request.json())
        self.secrets.append(request.headers.get(SECRET_HEADER))
        self.arrived.set()
        return web.Response()

    async def wait_for(self, count: int, seconds: float = 5.0) -> None:
        """Wait until ``count`` updates arrived."""
        async with asyncio.timeout(seconds):
            while len(self.updates) < count:
                self.arrived.clear()
                await self.arrived.wait()


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """A sandbox that retries failed deliveries quickly."""
    server = Sandbox(token=TOKEN, clock=OffsetClock(), webhook_retry_seconds=(0.05, 0.2))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """Serve a Receiver on a free local port."""
    found = Receiver()
    app = web.Application()
    app.router.add_post("/hook", found.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    found.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        yield found
    finally:
        await runner.cleanup()


async def _info_when(
    bot: telegram.Bot, ready: Callable[[telegram.WebhookInfo], bool], seconds: float = 5.0
) -> telegram.WebhookInfo:
    """Poll getWebhookInfo until ``ready`` says yes (within ``seconds``); return that info."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        info = await bot.get_webhook_info()
        if ready(info):
            return info
        assert loop.time() < deadline, f"webhook info never got there: {info}"
        await asyncio.sleep(0.02)


async def _pending(bot: telegram.Bot, count: int) -> telegram.WebhookInfo:
    """Wait until getWebhookInfo shows ``count`` pending updates; return that info."""
    return await _info_when(bot, lambda info: info.pending_update_count == count)


async def test_updates_are_posted_with_the_secret_and_getupdates_conflicts(
    bot: telegram.Bot, client: SandboxClient, user: int, receiver: Receiver
) -> None:
    assert await bot.set_webhook(receiver.url, secret_token="s3cret-token_1") is True
    await client.send_text(user, "/start")
    await client.send_text(user, "hello")
    await receiver.wait_for(2)
    assert [u["message"]["text"] for u in receiver.updates] == ["/start", "hello"]
    assert receiver.updates[0]["message"]["from"]["id"] == USER_ID
    assert receiver.secrets == ["s3cret-token_1", "s3cret-token_1"]
    info = await _pending(bot, 0)
    assert (info.url, info.last_error_date) == (receiver.url, None)
    with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
        await bot.get_updates(timeout=0)


async def test_failed_deliveries_stay_queued_in_order_and_are_retried(
    bot: telegram.Bot, client: SandboxClient, user: int, receiver: Receiver
) -> None:
    receiver.failures = 3
    await bot.set_webhook(receiver.url)
    await client.send_text(user, "first")
    await client.send_text(user, "second")
    info = await _pending(bot, 2)
    await receiver.wait_for(2)
    assert [u["message"]["text"] for u in receiver.updates] == ["first", "second"]
    assert receiver.attempts == 5
    assert receiver.secrets == [None, None]
    info = await _pending(bot, 0)
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
    assert info.last_error_date is not None


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_unreachable_webhook_keeps_the_queue_until_deleted_with_drop(
    bot: telegram.Bot, client: SandboxClient, user: int
) -> None:
    await bot.set_webhook(f"http://localhost:{_closed_port()}/hook")
    await client.send_text(user, "lost?")
    info = await _info_when(bot, lambda info: info.last_error_message is not None)
    assert info.last_error_message == "Connection refused"
    assert info.pending_update_count == 1
    assert await bot.delete_webhook(drop_pending_updates=True) is True
    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count) == ("", 0)
    assert await bot.get_updates(timeout=0) == ()


async def test_deleting_the_webhook_hands_the_queue_back_to_getupdates(
    bot: telegram.Bot, client: SandboxClient, user: int
) -> None:
    await bot.set_webhook(f"http://127.0.0.1:{_closed_port()}/hook")
    await client.send_text(user, "kept")
    await bot.delete_webhook()
    [update] = await bot.get_updates(timeout=0)
    assert update.message is not None and update.message.text == "kept"


async def test_a_pending_long_poll_gives_way_to_a_new_webhook(
    bot: telegram.Bot, receiver: Receiver
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=20))
    await asyncio.sleep(0.1)
    await bot.set_webhook(receiver.url)
    with pytest.raises(Conflict, match="webhook is active"):
        await asyncio.wait_for(poll, 5)


@pytest.mark.parametrize(
    ("url", "secret", "error"),
    [
        ("https://bot.example.org/hook", None, "only to 127.0.0.1, ::1 or localhost"),
        ("http://10.0.0.5/hook", None, "not to 10.0.0.5"),
        ("ftp://127.0.0.1/hook", None, "an https url must be provided"),
        ("http://127.0.0.1:99999/hook", None, "invalid port"),
        ("http://127.0.0.1/hook", "has space", "Secret token contains unallowed characters"),
        ("http://127.0.0.1/hook", "x" * 257, "Secret token contains unallowed characters"),
    ],
)
async def test_set_webhook_refuses(
    bot: telegram.Bot, url: str, secret: str | None, error: str
) -> None:
    with pytest.raises(BadRequest, match=error):
        await bot.set_webhook(url, secret_token=secret)
    assert (await bot.get_webhook_info()).url == ""


async def test_allowed_updates_filter_what_is_delivered(
    bot: telegram.Bot, client: SandboxClient, user: int, receiver: Receiver
) -> None:
    sent = await bot.send_message(
        user,
        "Menu",
        reply_markup=telegram.InlineKeyboardMarkup(
            [[telegram.InlineKeyboardButton("Go", callback_data="go")]]
        ),
    )
    await bot.set_webhook(receiver.url, allowed_updates=["callback_query"])
    await client.send_text(user, "ignored")
    await client.press_button(user, sent.message_id, data="go")
    await receiver.wait_for(1)
    await _pending(bot, 0)
    assert [next(k for k in u if k != "update_id") for u in receiver.updates] == ["callback_query"]
    assert (await bot.get_webhook_info()).allowed_updates == ("callback_query",)
