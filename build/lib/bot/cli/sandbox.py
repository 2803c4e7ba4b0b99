"""`gutskin-bot sandbox`: the local Bot API emulator, the real bot, and a chat page or terminal.

The bot and the sandbox share one movable clock, so moving the sandbox's clock moves the
bot's "now" too; after the page moves it, the delivery engine is woken to catch up at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import inspect
import signal
import sys
from collections.abc import AsyncIterator, Sequence

from sqlalchemy import Connection, MetaData, func, select

from bot.clock import OffsetClock
from bot.config import SANDBOX_TOKEN, Settings
from bot.content.loader import Content
from bot.db.models import Subscriber
from bot.handlers.services import SERVICES_KEY, Services
from bot.runtime.app import AnyApplication, build_application, running
from bot.sandbox.client import SandboxClient
from bot.sandbox.server import Sandbox
from bot.sandbox.terminal import run_terminal_chat
from bot.sandbox.web import DemoUser, WebUI

# The page's first user and the terminal's user are different people: both chat with the bot
# that keeps its database in DATA_DIR, so sharing an id would give one the other's settings.
WEB_USER = DemoUser(100001, "Aisyah", "en")
TERMINAL_USER = DemoUser(100010, "Siti", "en")
# The page's other simulated users; the one from the command line comes first.
OTHER_DEMO_USERS = (
    DemoUser(100002, "Farid", "ms"),
    DemoUser(100003, "Mei Ling", "en"),
    DemoUser(100009, "Dr Lim (clinic)", "en", admin=True),
)


def sandbox_user(*, web: bool, user_id: int | None = None, name: str | None = None) -> DemoUser:
    """Return who chats: the given id and name, else the page's or the terminal's own user."""
    default = WEB_USER if web else TERMINAL_USER
    return DemoUser(
        default.user_id if user_id is None else user_id,
        default.first_name if name is None else name,
    )


def demo_users(user_id: int, name: str, language: str) -> list[DemoUser]:
    """Return the page's simulated users: the given one first, then the others."""
    first = DemoUser(user_id, name, language)
    return [first, *(user for user in OTHER_DEMO_USERS if user.user_id != user_id)]


def with_demo_admins(settings: Settings, users: Sequence[DemoUser]) -> Settings:
    """Return the settings with the demo users marked admin added to ADMIN_IDS."""
    extra = tuple(u.user_id for u in users if u.admin and u.user_id not in settings.admin_ids)
    return settings.model_copy(update={"admin_ids": (*settings.admin_ids, *extra)})


async def next_delivery(app: AnyApplication, chat_id: int | None) -> dt.datetime | None:
    """Return when this chat's next daily tip is due, else the earliest one of anybody's."""
    svc = app.bot_data.get(SERVICES_KEY)
    if not isinstance(svc, Services):
        return None
    async with svc.db.session() as session:
        due = None
        if chat_id is not None:
            query = select(Subscriber.next_due_at).where(Subscriber.chat_id == chat_id)
            due = await session.scalar(query)
        if due is None:
            due = await session.scalar(select(func.min(Subscriber.next_due_at)))
    return due


async def wake_delivery(app: AnyApplication) -> None:
    """Ask the delivery engine, if the app has one, to look for due tips now."""
    engine = getattr(app.bot_data.get(SERVICES_KEY), "engine", None)
    wake = getattr(engine, "wake", None)
    if callable(wake):
        result = wake()
        if inspect.isawaitable(result):
            await result


@contextlib.asynccontextmanager
async def serve(
    settings: Settings, content: Content, *, port: int, users: Sequence[DemoUser] = ()
) -> AsyncIterator[tuple[Sandbox, AnyApplication]]:
    """Run the sandbox (with the chat page when ``users`` are given) and the bot against it."""
    clock = OffsetClock()
    settings = with_demo_admins(settings, users)
    web_ui = None
    if users:
        web_ui = WebUI(
            users=users,
            timezone=settings.default_timezone,
            admin_ids=frozenset(settings.admin_ids),
        )
    sandbox = Sandbox(
        token=SANDBOX_TOKEN,
        port=port,
        rate_limit_per_second=settings.sandbox_rate_limit,
        clock=clock,
        web=web_ui,
    )
    await sandbox.start()
    bot = _RunningBot(settings, content, sandbox)
    try:
        app = await bot.start(clock)
        if web_ui is not None:

            async def due(chat_id: int | None) -> dt.datetime | None:
                return None if bot.app is None else await next_delivery(bot.app, chat_id)

            async def moved() -> None:
                if bot.app is not None:  # None while a reset swaps the bot
                    await wake_delivery(bot.app)

            web_ui.next_delivery, web_ui.on_clock_moved = due, moved
            web_ui.on_reset = bot.start_over
        try:
            yield sandbox, app
        finally:
            await bot.stop()
    finally:
        await sandbox.stop()


class _RunningBot:
    """The bot the sandbox serves, which "Reset the sandbox" replaces with a fresh one."""

    def __init__(self, settings: Settings, content: Content, sandbox: Sandbox) -> None:
        self.settings, self.content, self.sandbox = settings, content, sandbox
        self.stack = contextlib.AsyncExitStack()
        self.app: AnyApplication | None = None

    async def start(self, clock: OffsetClock) -> AnyApplication:
        """Build the bot on this clock and run it against the sandbox."""
        self.app = build_application(
            self.settings,
            self.content,
            token=SANDBOX_TOKEN,
            base_url=self.sandbox.base_url,
            clock=clock,
        )
        await self.stack.enter_async_context(running(self.app))
        return self.app

    async def stop(self) -> None:
        """Stop the bot (it finishes the updates it has taken)."""
        self.app = None
        await self.stack.aclose()

    async def start_over(self) -> None:
        """Stop the bot, empty its database, forget the chats, and start it again at now.

        The process, the page and its users stay; the app object is a new one afterwards.
        """
        await self.stop()
        await empty_database(self.settings)
        clock = OffsetClock()
        self.sandbox.world.start_over(clock)
        await self.start(clock)


async def empty_database(settings: Settings) -> None:
    """Drop every table of the bot's database (the bot migrates it afresh when it starts)."""
    db = settings.open_database()
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(_drop_all)
    finally:
        await db.close()


def _drop_all(connection: Connection) -> None:
    tables = MetaData()
    tables.reflect(connection)
    tables.drop_all(connection)


async def run_sandbox(
    settings: Settings,
    content: Content,
    port: int,
    user_id: int | None,
    name: str | None,
    language: str,
    *,
    web: bool = False,
) -> None:
    """Serve the sandbox and the bot; chat on the page (``web``) or here until :quit/a signal.

    Without ``user_id``/``name``, the page's first user is Aisyah and the terminal's is Siti.
    """
    who = sandbox_user(web=web, user_id=user_id, name=name)
    user_id, name = who.user_id, who.first_name
    main = asyncio.current_task()
    loop = asyncio.get_running_loop()
    if main is not None:
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signal.SIGTERM, main.cancel)
    users = demo_users(user_id, name, language) if web else []
    try:
        async with serve(settings, content, port=port, users=users) as (sandbox, _app):
            database = f"database: {settings.resolved_database_url}"
            if web:
                print(
                    f"Sandbox chat page: {sandbox.web_url}\n"
                    f"Open it in a browser; Ctrl-C stops the bot. ({database})",
                    flush=True,
                )
                await asyncio.Event().wait()
            print(
                f"Sandbox Bot API on {sandbox.base_url.removesuffix('/bot')} ({database}). "
                "Type :help for commands, :quit to leave.",
                file=sys.stderr,
            )
            async with SandboxClient(sandbox.control_url) as client:
                await client.add_user(user_id, name, language_code=language)
                await run_terminal_chat(
                    client, user_id=user_id, first_name=name, language_code=language
                )
    except asyncio.CancelledError:
        pass
