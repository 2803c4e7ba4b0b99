"""The sandbox the process tests deliver to: a crowd of users, no rate limit (a test file may
define its own `sandbox`, as test_rate_shared.py does with Telegram's 30/s)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.sandbox.server import Sandbox
from tests.e2e.processes.bots import crowd


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with crowd() as box:
        yield box
