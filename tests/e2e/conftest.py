"""End-to-end fixtures: the sandbox Bot API and the real application polling it over HTTP."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.clock import OffsetClock
from bot.config import SANDBOX_TOKEN, load_settings
from bot.content.loader import Content
from bot.db.engine import Database
from bot.runtime.app import AnyApplication, build_application, running
from bot.sandbox.client import SandboxClient
from bot.sandbox.server import Sandbox
from tests.conftest import TIPS_DIR, DbTarget
from tests.fixed_clock import clock_at
from tests.inprocess import factory

ADMIN_ID = 900001
# Every journey starts at the same instant, whatever the hour the suite runs: 04:00 on a
# Tuesday in Kuala Lumpur, before the default 08:00 tip (a test that needs another hour
# moves the clock forward to it).
START = dt.datetime(2026, 12, 7, 20, 0, tzinfo=dt.UTC)
# How long a step waits for the bot's answer before the test fails. The waits wake on the
# sandbox's events, so a passing step never waits longer than the bot takes; the bound only
# has to hold on a machine busy with other work (5 s did not, at a load of 12 on 2 cores).
REPLY_TIMEOUT = 15.0
# The send times onboarding offers, and the settings screen's buttons, in order.
SLOTS = ["07:00", "08:00", "12:30", "20:00", "21:30"]
SETTINGS_BUTTONS = [
    "🌐 Language",
    "⏰ Time",
    "🌍 Timezone",
    "📚 Topics",
    "🩺 Skin concern",
    "⏸ Pause",
    "Done",
]


@dataclass
class Chat:
    """One simulated user talking to the bot through the sandbox."""

    client: SandboxClient
    user_id: int

    async def say(self, text: str, *, contains: str | None = None) -> dict[str, Any]:
        """Send text as the user and return the bot's next message."""
        sent = await self.client.send_text(self.user_id, text)
        return await self.client.wait_for_bot_message(
            self.user_id,
            after_message_id=sent["message_id"],
            contains=contains,
            timeout=REPLY_TIMEOUT,
        )

    async def press(self, message: dict[str, Any], label: str) -> dict[str, Any]:
        """Press a button by its label and return the bot's next new message."""
        newest = await self.newest_id()
        await self.client.press_button(self.user_id, message["message_id"], text=label)
        return await self.client.wait_for_bot_message(
            self.user_id, after_message_id=newest, timeout=REPLY_TIMEOUT
        )

    async def newest_id(self) -> int:
        """Return the id of the chat's newest message (0 when empty)."""
        return max((m["message_id"] for m in await self.client.history(self.user_id)), default=0)

    async def message(self, message_id: int) -> dict[str, Any]:
        """Return one message of the chat as it is now (edits applied)."""
        history = await self.client.history(self.user_id)
        return next(m for m in history if m["message_id"] == message_id)

    async def press_edit(self, message: dict[str, Any], label: str) -> dict[str, Any]:
        """Press a button whose answer edits that same message; return the message edited."""
        before = await self.message(message["message_id"])
        await self.client.press_button(self.user_id, message["message_id"], text=label)
        return await self.edited(before)

    async def edited(self, before: dict[str, Any]) -> dict[str, Any]:
        """Wait until a message's text or buttons differ from `before`; return it."""

        def changed(history: list[dict[str, Any]]) -> dict[str, Any] | None:
            now = next(m for m in history if m["message_id"] == before["message_id"])
            shown = (now["text"], now["reply_markup"])
            return now if shown != (before["text"], before["reply_markup"]) else None

        try:
            return await self.client.wait_for_chat(self.user_id, changed, timeout=REPLY_TIMEOUT)
        except TimeoutError:
            raise AssertionError(f"message {before['message_id']} was never edited") from None

    async def press_alert(self, message: dict[str, Any], label: str) -> dict[str, Any]:
        """Press a button and return the bot's answer to the press (its toast or alert)."""
        pressed = await self.client.press_button(self.user_id, message["message_id"], text=label)
        return await self.answer_to(pressed["callback_query_id"])

    async def answer_to(self, query_id: str) -> dict[str, Any]:
        """Wait for the bot's answer to a button press."""
        try:
            return await self.client.wait_for_callback_answer(query_id, timeout=REPLY_TIMEOUT)
        except TimeoutError:
            raise AssertionError("the bot never answered the button press") from None

    async def share(self, latitude: float, longitude: float) -> dict[str, Any]:
        """Share a location and return the bot's next message."""
        sent = await self.client.share_location(self.user_id, latitude, longitude)
        return await self.client.wait_for_bot_message(
            self.user_id, after_message_id=sent["message_id"], timeout=REPLY_TIMEOUT
        )


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

    async def idle(self) -> None:
        """Wait (up to 30 s) until the bot has fetched and fully handled every update.

        Replies are paced (a few a second per chat), so "no new message for a moment" is not
        the same as "done"; this asks the sandbox and the application themselves.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        quiet = 0
        while quiet < 2:  # twice in a row: an update between queue and handler is not missed
            busy = (
                self.sandbox.world.updates
                or not self.app.update_queue.empty()
                or self.app.update_processor.current_concurrent_updates
            )
            quiet = 0 if busy else quiet + 1
            assert loop.time() < deadline, "the bot is still busy after 30 s"
            # In process, so looking is cheap: an update taken from the queue is running
            # one loop turn later, so two quiet looks a few milliseconds apart mean done.
            await asyncio.sleep(0.005)

    # The control API has no stickers, voice notes, forwards, edits or made-up button data, so
    # these queue the Update Telegram would send straight into the sandbox's world
    # (tests/inprocess/factory.py); the bot still fetches it over HTTP with getUpdates.

    def send_media(self, user_id: int, kind: str) -> int:
        """Send a sticker, voice note or photo as the user; return the message id."""
        return factory.media(self.sandbox.world, user_id, kind)

    def send_forwarded(self, user_id: int, text: str) -> int:
        """Forward a text from someone else's chat to the bot as the user; return its id."""
        return factory.forwarded(self.sandbox.world, user_id, text)

    def edit_text(self, user_id: int, message_id: int, text: str) -> None:
        """Edit one of the user's own text messages, as Telegram reports it to the bot."""
        factory.edit(self.sandbox.world, user_id, message_id, text)

    def press_data(self, user_id: int, message_id: int, data: str) -> str:
        """Press a button with any callback data on a bot message; return the query id."""
        return factory.press_data(self.sandbox.world, user_id, message_id, data)

    def _queue_message(self, user_id: int, fields: dict[str, Any]) -> int:
        return factory.queue_message(self.sandbox.world, user_id, fields)


def buttons(message: dict[str, Any]) -> list[str]:
    """Return the labels of a message's inline keyboard, row by row flattened."""
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


@pytest.fixture
async def harness(db_target: DbTarget, content: Content) -> AsyncIterator[Harness]:
    """Start the sandbox and the real bot against it, on SQLite or PostgreSQL."""
    clock = clock_at(START)
    sandbox = Sandbox(token=SANDBOX_TOKEN, rate_limit_per_second=None, clock=clock)
    await sandbox.start()
    settings = load_settings(
        database_url=db_target.url,
        database_schema=db_target.schema,
        tips_dir=TIPS_DIR,
        admin_ids=(ADMIN_ID,),
        # Telegram's one message per second per chat would make every multi-step test
        # wait; the pacing itself is tested in tests/delivery.
        per_chat_interval=0.05,
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
