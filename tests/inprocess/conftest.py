"""In-process handler tests: one running application per test session, fed Updates directly.

The application is built as ``gutskin-bot run`` builds it (``build_application`` with
``load_settings``), started with ``UPDATES=none`` so nothing polls, and talks to an
in-process sandbox over loopback HTTP (the sandbox still renders and checks every call).
A test's action is stored in the sandbox's world and its Update handed to the
application's update processor, which awaits the handlers: when ``say`` or ``press``
returns, the bot's answer is in the chat. One migrated SQLite database serves the session;
each test gets user ids no other test has, and reads the rows it made (``Harness.new``).

Every test module here runs in the session's event loop::

    pytestmark = pytest.mark.asyncio(loop_scope="session")

Journeys that need a clock of their own, PostgreSQL, a restart or the polling path stay in
tests/e2e.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import func, select
from telegram import Update

from bot.clock import OffsetClock
from bot.config import SANDBOX_TOKEN, load_settings
from bot.content.loader import Content
from bot.db.engine import Database
from bot.db.models import BookingIntent, ConsentRecord, InboxItem, Question, Subscriber
from bot.runtime.app import AnyApplication, build_application, running
from bot.sandbox import users
from bot.sandbox.server import Sandbox
from bot.sandbox.state import World
from bot.services import services_in
from tests.conftest import TIPS_DIR
from tests.e2e.conftest import ADMIN_ID, START, buttons
from tests.fixed_clock import clock_at
from tests.inprocess import factory

__all__ = ["ADMIN_ID", "Chat", "Harness", "buttons"]

FIRST_USER_ID = 10_000_000
"""Users made here count up from this, one set per test (ADMIN_ID is below it)."""
# Tables whose rows carry no chat id (questions are kept anonymously): a test reads the
# rows added since it began, which on one worker are its own.
NEW_ROWS = (Question, BookingIntent, InboxItem, ConsentRecord)


class Bot:
    """The session's sandbox, running application and database."""

    def __init__(self, sandbox: Sandbox, app: AnyApplication, clock: OffsetClock) -> None:
        self.sandbox = sandbox
        self.app = app
        self.clock = clock
        self.db: Database = services_in(app.bot_data).db
        self.user_ids = itertools.count(FIRST_USER_ID)

    @property
    def world(self) -> World:
        """The sandbox's chats, users and queued Updates."""
        return self.sandbox.world

    async def feed(self) -> None:
        """Hand every queued Update to the application and wait until it is handled.

        It goes through the application's own update processor (chat order, metrics, log
        ids), as polling would; PTB reports a handler's error to the error handlers.
        """
        while self.world.updates:
            data = self.world.updates.pop(0)
            update = Update.de_json(data, self.app.bot)
            await self.app.update_processor.process_update(update, self.app.process_update(update))


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def inprocess_bot(
    content: Content, _migrated_sqlite: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Bot]:
    """Start the sandbox and the application once for the test session."""
    path = tmp_path_factory.mktemp("inprocess") / "bot.db"
    shutil.copyfile(_migrated_sqlite, path)
    clock = clock_at(START)
    sandbox = Sandbox(token=SANDBOX_TOKEN, rate_limit_per_second=None, clock=clock)
    await sandbox.start()
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{path}",
        tips_dir=TIPS_DIR,
        admin_ids=(ADMIN_ID,),
        updates="none",
        # Pacing would make steps wait on each other (one global budget of 25 a second for
        # the whole session); the pacer is tested in tests/outbound, the paced path end to
        # end in tests/e2e.
        per_chat_interval=0,
        delivery_rate=1000,
        allow_paid_broadcast=True,
        # Nothing is due in these tests (it is 04:00 in Kuala Lumpur, tips go at 08:00);
        # one tick at start-up, none in the middle of a test.
        delivery_tick_seconds=3600,
    )
    app = build_application(
        settings, content, token=SANDBOX_TOKEN, base_url=sandbox.base_url, clock=clock
    )
    try:
        async with running(app):
            bot = Bot(sandbox, app, clock)
            await _fill_pool(bot.db)
            users.add_user(sandbox.world, ADMIN_ID, "Admin", language_code="en")
            yield bot
    finally:
        await sandbox.stop()


async def _fill_pool(db: Database) -> None:
    """Open the pool's connections now, so that none opens (and stays) during a test: the
    suite fails a test after which an SQLite connection is left open (tests/conftest.py)."""
    size = db.engine.pool.size()  # type: ignore[attr-defined]
    connections = [await db.engine.connect() for _ in range(size)]
    for connection in connections:
        await connection.close()


@dataclass
class Chat:
    """One simulated user talking to the bot in process; the same calls as tests/e2e's."""

    bot: Bot
    user_id: int

    async def say(self, text: str, *, contains: str | None = None) -> dict[str, Any]:
        """Send text as the user and return the bot's first message after it."""
        sent = users.send_text(self.bot.world, self.user_id, text)
        await self.bot.feed()
        return self.reply_after(sent["message_id"], contains=contains)

    async def press(self, message: dict[str, Any], label: str) -> dict[str, Any]:
        """Press a button by its label and return the bot's next new message."""
        newest = await self.newest_id()
        users.press_button(
            self.bot.world, self.user_id, message["message_id"], data=None, text=label
        )
        await self.bot.feed()
        return self.reply_after(newest)

    async def tap(self, message: dict[str, Any], label: str) -> None:
        """Press a button by its label and let the bot handle it (read the chat after)."""
        users.press_button(
            self.bot.world, self.user_id, message["message_id"], data=None, text=label
        )
        await self.bot.feed()

    async def press_edit(self, message: dict[str, Any], label: str) -> dict[str, Any]:
        """Press a button whose answer edits that same message; return the message edited."""
        before = await self.message(message["message_id"])
        users.press_button(
            self.bot.world, self.user_id, message["message_id"], data=None, text=label
        )
        await self.bot.feed()
        now = await self.message(message["message_id"])
        shown = (now["text"], now["reply_markup"])
        assert shown != (before["text"], before["reply_markup"]), (
            f"message {before['message_id']} was never edited"
        )
        return now

    async def press_alert(self, message: dict[str, Any], label: str) -> dict[str, Any]:
        """Press a button and return the bot's answer to the press (its toast or alert)."""
        pressed = users.press_button(
            self.bot.world, self.user_id, message["message_id"], data=None, text=label
        )
        await self.bot.feed()
        return self.answer_to(pressed["callback_query_id"])

    async def press_data(self, message: dict[str, Any], data: str) -> dict[str, Any]:
        """Press a button with any callback data on a bot message; return the bot's answer
        to the press (see factory.press_data)."""
        query_id = factory.press_data(self.bot.world, self.user_id, message["message_id"], data)
        await self.bot.feed()
        return self.answer_to(query_id)

    async def share(self, latitude: float, longitude: float) -> dict[str, Any]:
        """Share a location and return the bot's next message."""
        sent = users.share_location(self.bot.world, self.user_id, latitude, longitude)
        await self.bot.feed()
        return self.reply_after(sent["message_id"])

    async def send_media(self, kind: str, caption: str | None = None) -> dict[str, Any]:
        """Send a sticker, voice note or photo (with a caption); return the bot's next message."""
        sent = factory.media(self.bot.world, self.user_id, kind, caption)
        await self.bot.feed()
        return self.reply_after(sent)

    async def forward(self, text: str) -> dict[str, Any]:
        """Forward someone else's text to the bot; return the bot's next message."""
        sent = factory.forwarded(self.bot.world, self.user_id, text)
        await self.bot.feed()
        return self.reply_after(sent)

    async def edit(self, message_id: int, text: str) -> dict[str, Any]:
        """Edit one of the user's own messages; return the bot's next new message."""
        newest = await self.newest_id()
        factory.edit(self.bot.world, self.user_id, message_id, text)
        await self.bot.feed()
        return self.reply_after(newest)

    async def block(self, blocked: bool = True) -> None:
        """Block (or unblock) the bot as the user and let the bot handle the change."""
        users.set_blocked(self.bot.world, self.user_id, blocked)
        await self.bot.feed()

    def answer_to(self, query_id: str) -> dict[str, Any]:
        """Return the bot's answer to a button press."""
        answer: dict[str, Any] | None = self.bot.world.callback_queries[query_id]["answer"]
        assert answer is not None, "the bot never answered the button press"
        return answer

    def history(self) -> list[dict[str, Any]]:
        """Every message of the chat, oldest first (see bot/sandbox/state.py)."""
        return self.bot.world.history(self.user_id)

    async def newest_id(self) -> int:
        """Return the id of the chat's newest message (0 when empty)."""
        return max((m["message_id"] for m in self.history()), default=0)

    async def message(self, message_id: int) -> dict[str, Any]:
        """Return one message of the chat as it is now (edits applied)."""
        return next(m for m in self.history() if m["message_id"] == message_id)

    def file(self, message_id: int) -> bytes:
        """Return the bytes of a file the bot uploaded to the chat."""
        message = self.bot.world.find_message(self.user_id, message_id)
        assert message is not None and message.content is not None, "no file on that message"
        return message.content

    def reply_after(self, message_id: int, *, contains: str | None = None) -> dict[str, Any]:
        """Return the first live bot message after `message_id` (containing a text)."""
        history = self.history()
        for message in history:
            if not message["from_bot"] or message["deleted"]:
                continue
            shown = message["text"] or message["caption"] or ""
            if message["message_id"] > message_id and (contains is None or contains in shown):
                return message
        lines = [
            f"  {m['message_id']} {'bot' if m['from_bot'] else 'user'}: "
            f"{m['text'] or m['caption'] or m['location']!r}"
            for m in history
        ]
        raise AssertionError(
            f"no bot message after {message_id} containing {contains!r} in chat "
            f"{self.user_id}:\n" + "\n".join(lines)
        )


@dataclass
class Harness:
    """One test's view of the session's bot: its own users, and the rows it added."""

    bot: Bot
    marks: dict[type[Any], int]

    @property
    def app(self) -> AnyApplication:
        """The running application."""
        return self.bot.app

    @property
    def db(self) -> Database:
        """The application's own database handle."""
        return self.bot.db

    @property
    def clock(self) -> OffsetClock:
        """The clock the bot and the sandbox share."""
        return self.bot.clock

    def user(self, name: str = "Aisyah", language: str = "en") -> Chat:
        """Make a user no other test has and return their chat."""
        user_id = next(self.bot.user_ids)
        users.add_user(self.bot.world, user_id, name, language_code=language)
        return Chat(self.bot, user_id)

    async def subscribed(self, language: str = "en") -> Chat:
        """A new user who pressed /start and agreed to subscribe."""
        chat = self.user(language=language)
        welcome = await chat.say("/start")
        await chat.press(welcome, buttons(welcome)[0])
        return chat

    async def subscriber(self, chat: Chat) -> Subscriber:
        """The stored row of a chat that subscribed."""
        async with self.db.session() as session:
            row = await session.scalar(select(Subscriber).where(Subscriber.chat_id == chat.user_id))
        assert row is not None
        return row

    def rename(self, chat: Chat, name: str, language: str) -> None:
        """Change a user's profile (their name or client language)."""
        users.add_user(self.bot.world, chat.user_id, name, language_code=language)

    def admin(self) -> Chat:
        """The chat of the owner in ADMIN_IDS (shared: read only what follows your steps)."""
        return Chat(self.bot, ADMIN_ID)

    async def new(self, model: type[Any]) -> list[Any]:
        """Return the rows of a table in NEW_ROWS added since this test began, oldest first."""
        async with self.db.session() as session:
            found = await session.scalars(
                select(model).where(model.id > self.marks[model]).order_by(model.id)
            )
            return list(found)


@pytest_asyncio.fixture(loop_scope="session")
async def harness(inprocess_bot: Bot) -> AsyncIterator[Harness]:
    """The session's bot, as this test sees it; checks nothing was left for it to handle."""
    async with inprocess_bot.db.session() as session:
        marks = {
            m: await session.scalar(select(func.coalesce(func.max(m.id), 0))) or 0 for m in NEW_ROWS
        }
    yield Harness(inprocess_bot, marks)
    assert not inprocess_bot.world.updates, "an update was queued but never handed to the bot"
