"""The sandbox runner: demo users and admins, the next delivery, waking the engine, --web."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import aiohttp
import pytest

from bot.cli.sandbox import (
    demo_users,
    next_delivery,
    sandbox_user,
    serve,
    wake_delivery,
    with_demo_admins,
)
from bot.config import load_settings
from bot.content.loader import Content
from bot.runtime.app import AnyApplication
from bot.sandbox.client import SandboxClient
from bot.sandbox.web import DemoUser
from tests.conftest import TIPS_DIR


def test_demo_users_put_the_given_user_first_without_duplicates() -> None:
    users = demo_users(100003, "Siti", "ms")
    assert users[0] == DemoUser(100003, "Siti", "ms")
    assert [u.user_id for u in users].count(100003) == 1
    assert [u.user_id for u in users if u.admin] == [100009]


def test_the_terminal_user_is_not_the_pages_first_user() -> None:
    page = sandbox_user(web=True)
    assert demo_users(page.user_id, page.first_name, "en")[0] == DemoUser(100001, "Aisyah", "en")
    terminal = sandbox_user(web=False)
    assert terminal == DemoUser(100010, "Siti", "en")
    assert terminal.user_id not in {u.user_id for u in demo_users(100001, "Aisyah", "en")}
    # --name alone renames, it does not borrow the page's id; --user-id picks one on purpose.
    assert sandbox_user(web=False, name="Nurul") == DemoUser(100010, "Nurul", "en")
    assert sandbox_user(web=False, user_id=100001).user_id == 100001


def test_demo_admins_are_added_to_admin_ids() -> None:
    settings = load_settings(admin_ids=(42,))
    users = [DemoUser(1, "A"), DemoUser(7, "Boss", admin=True)]
    assert with_demo_admins(settings, users).admin_ids == (42, 7)
    assert with_demo_admins(load_settings(admin_ids=(7,)), users).admin_ids == (7,)
    assert settings.admin_ids == (42,)


class _SyncEngine:
    def __init__(self) -> None:
        self.woken = 0

    def wake(self) -> None:
        self.woken += 1


class _AsyncEngine(_SyncEngine):
    async def wake(self) -> None:  # type: ignore[override]
        self.woken += 1


def _app(**bot_data: Any) -> AnyApplication:
    return cast(AnyApplication, SimpleNamespace(bot_data=bot_data))


@pytest.mark.parametrize("engine", [_SyncEngine(), _AsyncEngine()])
async def test_wake_delivery_calls_the_engine(engine: _SyncEngine) -> None:
    await wake_delivery(_app(services=SimpleNamespace(engine=engine)))
    assert engine.woken == 1


async def test_wake_delivery_without_an_engine_does_nothing() -> None:
    await wake_delivery(_app())
    await wake_delivery(_app(services=SimpleNamespace(engine=object())))
    await wake_delivery(_app(services=SimpleNamespace(engine=None)))


async def test_next_delivery_reads_the_subscriber_then_anyone(
    tmp_path: Path, content: Content
) -> None:
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'runner.db'}", tips_dir=TIPS_DIR
    )
    users = demo_users(100001, "Aisyah", "en")
    async with (
        serve(settings, content, port=0, users=users) as (sandbox, app),
        SandboxClient(sandbox.control_url) as client,
    ):
        assert await next_delivery(app, 100001) is None
        asked = await client.send_text(100001, "/start")
        welcome = await client.wait_for_bot_message(100001, after_message_id=asked["message_id"])
        await client.press_button(100001, welcome["message_id"], text="I agree, subscribe")
        await client.wait_for_bot_message(100001, contains="You're subscribed")
        mine = await next_delivery(app, 100001)
        assert mine is not None and mine > sandbox.world.clock.now()
        assert mine - sandbox.world.clock.now() <= dt.timedelta(days=1)
        assert await next_delivery(app, 100002) == mine  # nobody else: the earliest one


@pytest.mark.slow
async def test_sandbox_web_serves_the_page_until_sigterm(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT")}
    env.update({"TIPS_DIR": str(TIPS_DIR), "DATA_DIR": str(tmp_path / "data")})
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "sandbox",
        "--web",
        "--port",
        "0",
        cwd=tmp_path,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), timeout=30)).decode()
        assert line.startswith("Sandbox chat page: http://127.0.0.1:")
        url = line.split(": ", 1)[1].strip()
        async with aiohttp.ClientSession() as http:
            async with http.get(url) as response:
                assert response.status == 200 and "Chatting as" in await response.text()
            async with http.get(f"{url}sandbox/web/state") as response:
                state = await response.json()
        assert [u["first_name"] for u in state["users"]][:2] == ["Aisyah", "Farid"]
        assert any(u["admin"] for u in state["users"])
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), timeout=10)
    assert code == 0
