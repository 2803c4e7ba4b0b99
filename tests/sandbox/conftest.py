"""Shared fixtures: a running sandbox, its control client and a PTB Bot pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import telegram

from bot.clock import OffsetClock
from bot.sandbox import Sandbox, SandboxClient

TOKEN = "123456:sandbox-test-token"
USER_ID = 424242


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
    async with telegram.Bot(TOKEN, base_url=sandbox.base_url) as ptb_bot:
        yield ptb_bot


@pytest.fixture
async def user(client: SandboxClient) -> int:
    """Add one English-speaking user and return its id (also its chat id)."""
    await client.add_user(USER_ID, "Ada", language_code="en", username="ada")
    return USER_ID
