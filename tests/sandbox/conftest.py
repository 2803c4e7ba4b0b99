"""Shared fixtures: a running sandbox, its control client and a PTB Bot pointed at it."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator

import pytest
import telegram
from telegram.request import HTTPXRequest

from bot.clock import OffsetClock
from bot.sandbox import Sandbox, SandboxClient

TOKEN = "123456:sandbox-test-token"
USER_ID = 424242
# PTB's default HTTPXRequest builds a TLS context (reading the CA bundle: ~50 ms) for each of
# a Bot's two connections; the sandbox is plain HTTP, so every Bot here shares one.
_TLS = ssl.create_default_context()


def ptb_bot(token: str, base_url: str) -> telegram.Bot:
    """Return a PTB Bot on PTB's own default HTTP client (httpx), pointed at a sandbox."""
    return telegram.Bot(
        token,
        base_url=base_url,
        request=HTTPXRequest(httpx_kwargs={"verify": _TLS}),
        get_updates_request=HTTPXRequest(httpx_kwargs={"verify": _TLS}),
    )


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """Run a sandbox on a free local port with a movable clock."""
    server = Sandbox(token=TOKEN, clock=OffsetClock())
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[SandboxClient]:
    """Return a control client of the running sandbox."""
    async with SandboxClient(sandbox.control_url) as control:
        yield control


@pytest.fixture
async def bot(sandbox: Sandbox) -> AsyncIterator[telegram.Bot]:
    """Return an initialized PTB Bot that talks to the sandbox."""
    async with ptb_bot(TOKEN, sandbox.base_url) as bot:
        yield bot


@pytest.fixture
async def user(client: SandboxClient) -> int:
    """Add one English-speaking user and return its id (also its chat id)."""
    await client.add_user(USER_ID, "Ada", language_code="en", username="ada")
    return USER_ID
