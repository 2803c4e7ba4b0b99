"""Fixtures: a sandbox Bot API and a PTB Bot that reaches it through the aiohttp backend."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import telegram

from bot.runtime.http import AiohttpRequest
from bot.sandbox import Sandbox, SandboxClient

TOKEN = "123456:http-test-token"
USER_ID = 515151


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """Run a sandbox without a rate limit on a free local port."""
    server = Sandbox(token=TOKEN, rate_limit_per_second=None)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[SandboxClient]:
    """Return a control client of the sandbox."""
    async with SandboxClient(sandbox.control_url) as control:
        yield control


@pytest.fixture
async def user(client: SandboxClient) -> int:
    """Add one user and return its id (also its chat id)."""
    await client.add_user(USER_ID, "Nurul", language_code="ms")
    return USER_ID


@pytest.fixture
async def bot(sandbox: Sandbox) -> AsyncIterator[telegram.Bot]:
    """Return an initialized Bot whose requests go through AiohttpRequest."""
    request = AiohttpRequest(connection_pool_size=8, read_timeout=0.5)
    async with telegram.Bot(TOKEN, base_url=sandbox.base_url, request=request) as ptb_bot:
        yield ptb_bot
