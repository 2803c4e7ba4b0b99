"""`gutskin-bot sandbox`: the local Bot API emulator, the real bot, and a terminal chat."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys

from bot.app import build_application, running
from bot.clock import OffsetClock
from bot.config import SANDBOX_TOKEN, Settings
from bot.content.loader import Content
from bot.sandbox.client import SandboxClient
from bot.sandbox.server import Sandbox
from bot.sandbox.terminal import run_terminal_chat


async def run_sandbox(
    settings: Settings, content: Content, port: int, user_id: int, name: str, language: str
) -> None:
    """Serve the sandbox, run the bot against it, and chat as one user until :quit or a signal."""
    clock = OffsetClock()
    sandbox = Sandbox(
        token=SANDBOX_TOKEN,
        port=port,
        rate_limit_per_second=settings.sandbox_rate_limit,
        clock=clock,
    )
    await sandbox.start()
    print(
        f"Sandbox Bot API on {sandbox.base_url.removesuffix('/bot')} "
        f"(database: {settings.resolved_database_url}). Type :help for commands, :quit to leave.",
        file=sys.stderr,
    )
    app = build_application(
        settings, content, token=SANDBOX_TOKEN, base_url=sandbox.base_url, clock=clock
    )
    main = asyncio.current_task()
    loop = asyncio.get_running_loop()
    if main is not None:
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signal.SIGTERM, main.cancel)
    try:
        async with running(app), SandboxClient(sandbox.control_url) as client:
            await client.add_user(user_id, name, language_code=language)
            await run_terminal_chat(
                client, user_id=user_id, first_name=name, language_code=language
            )
    except asyncio.CancelledError:
        pass
    finally:
        await sandbox.stop()
