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

from sqlalchemy import func, select

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

# The page's other simulated users; the one from the command line comes first.
OTHER_DEMO_USERS = (
    DemoUser(100002, "Farid", "ms"),
    DemoUser(100003, "Mei Ling", "en"),
    DemoUser(100009, "Dr Lim (clinic)", "en", admin=True),
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
    try:
        app = build_application(
            settings, content, token=SANDBOX_TOKEN, base_url=sandbox.base_url, clock=clock
        )
        if web_ui is not None:

            async def due(chat_id: int | None) -> dt.datetime | None:
                return await next_delivery(app, chat_id)

            async def moved() -> None:
                await wake_delivery(app)

            web_ui.next_delivery, web_ui.on_clock_moved = due, moved
        async with running(app):
            yield sandbox, app
    finally:
        await sandbox.stop()


async def run_sandbox(
    settings: Settings,
    content: Content,
    port: int,
    user_id: int,
    name: str,
    language: str,
    *,
    web: bool = False,
) -> None:
    """Serve the sandbox and the bot; chat on the page (``web``) or here until :quit/a signal."""
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
