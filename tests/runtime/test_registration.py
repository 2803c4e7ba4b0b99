"""The application `gutskin-bot run` builds registers every handler module, every command
the README lists and every periodic job, and nothing in the tests adds them."""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
import re
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import CommandHandler

import bot.handlers
from bot.cli import commands as cli
from bot.clock import OffsetClock
from bot.config import SANDBOX_TOKEN, load_settings
from bot.handlers.commands import COMMANDS
from bot.runtime.app import AnyApplication, build_application, running
from bot.runtime.scheduler import TickScheduler
from bot.sandbox.server import Sandbox
from bot.services import services_in
from tests.conftest import TIPS_DIR

README = Path(__file__).resolve().parents[2] / "README.md"
# The periodic jobs the README describes, all on the one scheduler: the delivery tick
# (DELIVERY_TICK_SECONDS, checked by its ticks), the admin list reloaded every minute (so a
# change on another replica arrives), scheduled broadcasts started when their time comes,
# and closed inbox items purged past INBOX_RETENTION_DAYS.
JOBS = {"delivery-tick", "admin-reload", "broadcasts", "inbox-purge"}


def readme_commands() -> tuple[set[str], set[str]]:
    """The commands in the README's two command tables: (users', admins')."""
    tables = re.split(r"^## ", README.read_text(encoding="utf-8"), flags=re.M)
    found: list[set[str]] = []
    for section in tables:
        rows = [line for line in section.splitlines() if line.startswith("| ")]
        if not rows or rows[0].split("|")[1].strip() != "Command":
            continue
        names = set()
        for row in rows[2:]:
            names |= set(re.findall(r"`/([a-z]+)", row.split("|")[1]))
        found.append(names)
    assert len(found) == 2, "expected the users' and the admins' command tables"
    return found[0], found[1]


def handler_modules() -> set[str]:
    """Every module under bot/handlers that has a register(app)."""
    names = set()
    for info in pkgutil.walk_packages(bot.handlers.__path__, "bot.handlers."):
        module = importlib.import_module(info.name)
        if callable(getattr(module, "register", None)) and not info.ispkg:
            names.add(info.name)
    return names


def built_as_run_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, base: str) -> Any:
    """What `gutskin-bot run` does before it runs: settings from the environment, content
    and migrations (cli.prepare), then build_application with the token and no extras."""
    for name, value in {
        "TELEGRAM_BOT_TOKEN": SANDBOX_TOKEN,
        "TELEGRAM_API_BASE_URL": base,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'run.db'}",
        "TIPS_DIR": str(TIPS_DIR),
        "ADMIN_IDS": "900001",
        "DELIVERY_TICK_SECONDS": "1",
    }.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    content = cli.prepare(settings)
    return build_application(settings, content, token=settings.require_token())


def registered_commands(app: AnyApplication) -> set[str]:
    return {
        command
        for group in app.handlers.values()
        for handler in group
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    }


def test_run_registers_every_module_command_and_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def scenario() -> None:
        sandbox = Sandbox(token=SANDBOX_TOKEN, rate_limit_per_second=None, clock=OffsetClock())
        await sandbox.start()
        try:
            app = await asyncio.to_thread(
                built_as_run_does, tmp_path, monkeypatch, sandbox.base_url
            )
            check_handlers(app)
            async with running(app):
                await check_jobs(app)
        finally:
            await sandbox.stop()

    asyncio.run(scenario())


def check_handlers(app: AnyApplication) -> None:
    users, admins = readme_commands()
    assert users == set(COMMANDS)  # what set_my_commands shows is what the README lists
    assert registered_commands(app) == users | admins
    modules = {h.callback.__module__ for group in app.handlers.values() for h in group}
    modules |= {callback.__module__ for callback in app.error_handlers}
    assert handler_modules() - modules == set()


async def check_jobs(app: AnyApplication) -> None:
    svc = services_in(app.bot_data)
    scheduler = svc.scheduler
    assert scheduler is not None
    assert isinstance(scheduler, TickScheduler)
    assert scheduler.job_names() == JOBS
    # Nothing runs on PTB's JobQueue: one scheduler for every periodic job.
    assert app.job_queue is None or not app.job_queue.jobs()
    assert scheduler.engine is svc.engine
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while scheduler.engine.ticks < 2:  # the first tick at once, the next on the interval
        assert loop.time() < deadline, "the delivery scheduler never ticked twice"
        await asyncio.sleep(0.05)
