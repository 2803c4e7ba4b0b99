"""End-to-end fixtures: the sandbox Bot API and the real application polling it over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.app import AnyApplication, build_application, running
from bot.clock import OffsetClock
from bot.config import SANDBOX_TOKEN, load_settings
from bot.content.loader import Content
from bot.db.engine import Database
from bot.sandbox.client import SandboxClient
from bot.sandbox.server import Sandbox
from tests.conftest import TIPS_DIR, DbTarget

ADMIN_ID = 900001


@dataclass
class Chat:
    """One simulated user talking to the bot through the sandbox."""

    client: SandboxClient
    user_id: int

    async def say(self, text: str, *, contains: str | None = None) -> dict[str, Any]:
        """Send text as the user and return the bot's next message."""
        sent = await self.client.send_text(self.user_id, text)
        return await self.client.wait_for_bot_message(
            self.user_id, after_message_id=sent["message_id"], contains=contains
        )

    async def press(self, message: dict[str, Any], label: str) -> dict[str, Any]:
        """Press a button by its label and return the bot's next new message."""
        newest = await self.newest_id()
        await self.client.press_button(self.user_id, message["message_id"], text=label)
        return await self.client.wait_for_bot_message(self.user_id, after_message_id=newest)

    async def newest_id(self) -> int:
        """Return the id of the chat's newest message (0 when empty)."""
        return max((m["message_id"] for m in await self.client.history(self.user_id)), default=0)

    async def message(self, message_id: int) -> dict[str, Any]:
        """Return one message of the chat as it is now (edits applied)."""
        history = await self.client.history(self.user_id)
        return next(m for m in history if m["message_id"] == message_id)


@dataclass
class Harness:
    """The sandbox, its client, the running bot, and its database."""

    sandbox: Sandbox
    client: SandboxClient
    app: AnyApplication
    db: Database
    clock: OffsetClock

    async def user(self, user_id: int, name: str = "Aisyah", language: str = "en") -> Chat:
        """Create a sandbox user and return their chat."""
        await self.client.add_user(user_id, name, language_code=language)
        return Chat(self.client, user_id)


def buttons(message: dict[str, Any]) -> list[str]:
    """Return the labels of a message's inline keyboard, row by row flattened."""
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


@pytest.fixture
async def harness(db_target: DbTarget, content: Content) -> AsyncIterator[Harness]:
    """Start the sandbox and the real bot against it, on SQLite or PostgreSQL."""
    clock = OffsetClock()
    sandbox = Sandbox(token=SANDBOX_TOKEN, rate_limit_per_second=None, clock=clock)
    await sandbox.start()
    settings = load_settings(
        database_url=db_target.url,
        database_schema=db_target.schema,
        tips_dir=TIPS_DIR,
        admin_ids=(ADMIN_ID,),
    )
    app = build_application(
        settings, content, token=SANDBOX_TOKEN, base_url=sandbox.base_url, clock=clock
    )
    db = db_target.open()
    try:
        async with running(app), SandboxClient(sandbox.control_url) as client:
            await client.add_user(ADMIN_ID, "Admin", language_code="en")
            yield Harness(sandbox, client, app, db, clock)
    finally:
        await db.close()
        await sandbox.stop()
