"""/healthz: healthy when the database answers, ticks come and the sender moves; 503 otherwise."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy.engine import make_url

from bot.clock import OffsetClock
from bot.config import SANDBOX_TOKEN, load_settings
from bot.content.loader import Content
from bot.runtime.app import AnyApplication, build_application, running
from bot.sandbox.server import Sandbox
from bot.services import services_in
from tests.conftest import SHIPPED_CONTENT_ENV, TIPS_DIR, DbTarget
from tests.runtime.test_webhook import free_port

pytestmark = pytest.mark.dialect

_PASSTHROUGH = ("PATH", "HOME", "LANG", "SYSTEMROOT")


class TcpProxy:
    """A TCP pass-through to PostgreSQL that the test can take away and bring back."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.listen_port = 0
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        """Listen (on the same port as before, once it had one)."""
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.listen_port)
        self.listen_port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Refuse new connections and cut the open ones, as a database server going away."""
        assert self._server is not None
        self._server.close()
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()
        await self._server.wait_closed()
        self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.port)
        except OSError:
            writer.transport.abort()
            return
        self._open.update((writer, up_writer))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, ConnectionError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._open.difference_update((writer, up_writer))


@dataclass
class Running:
    """The bot with its health server, and how to take its database away and back."""

    app: AnyApplication
    health_url: str
    take_database_away: Callable[[], Awaitable[None]]
    bring_database_back: Callable[[], Awaitable[None]]

    async def healthz(self) -> tuple[int, dict[str, Any]]:
        """GET /healthz; return the status and the JSON answer."""
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{self.health_url}/healthz") as response,
        ):
            return response.status, await response.json()

    async def healthz_until(self, status: int, seconds: float = 15.0) -> dict[str, Any]:
        """Poll /healthz until it answers `status`; return that answer."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            got, body = await self.healthz()
            if got == status:
                return body
            assert loop.time() < deadline, f"/healthz still {got} after {seconds} s: {body}"
            await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def bot_with_health(
    db_target: DbTarget, content: Content, **settings: Any
) -> AsyncIterator[Running]:
    """The sandbox and the real bot with /healthz on a free port; a movable database."""
    url = db_target.url
    proxy: TcpProxy | None = None
    if db_target.schema is not None:
        pg = make_url(url)
        proxy = TcpProxy(pg.host or "127.0.0.1", pg.port or 5432)
        await proxy.start()
        url = pg.set(host="127.0.0.1", port=proxy.listen_port).render_as_string(hide_password=False)
    sqlite_file = Path(make_url(url).database or "") if db_target.schema is None else None

    async def away() -> None:
        if proxy is not None:
            await proxy.stop()
        else:
            assert sqlite_file is not None
            # The volume went away: the open connection would go on writing to a ghost file.
            sqlite_file.rename(sqlite_file.with_suffix(".away"))

    async def back() -> None:
        if proxy is not None:
            await proxy.start()
        else:
            assert sqlite_file is not None
            sqlite_file.with_suffix(".away").rename(sqlite_file)

    clock = OffsetClock()
    sandbox = Sandbox(token=SANDBOX_TOKEN, rate_limit_per_second=None, clock=clock)
    await sandbox.start()
    port = free_port()
    config = load_settings(
        database_url=url,
        database_schema=db_target.schema,
        tips_dir=TIPS_DIR,
        health_port=port,
        delivery_tick_seconds=0.2,
        health_max_tick_age=2,
        **settings,
    )
    app = build_application(config, content, token=SANDBOX_TOKEN, base_url=sandbox.base_url)
    try:
        async with running(app):
            yield Running(app, f"http://127.0.0.1:{port}", away, back)
    finally:
        await sandbox.stop()
        if proxy is not None:
            with contextlib.suppress(AssertionError):
                await proxy.stop()


async def test_healthz_reports_each_check(db_target: DbTarget, content: Content) -> None:
    async with bot_with_health(db_target, content, replica_id="replica-7") as bot:
        body = await bot.healthz_until(200)
        assert body["status"] == "ok" and body["problems"] == []
        assert body["database"] == "ok" and body["due_backlog"] == 0
        assert body["scheduler"] in ("ticking", "busy")
        assert body["sender"] == "ok" and body["sender_paused_seconds"] == 0
        assert (body["replica"], body["updates"]) == ("replica-7", "polling")
        assert isinstance(body["last_tick_age_seconds"], float)


async def test_healthz_turns_unhealthy_without_the_database_and_healthy_when_back(
    db_target: DbTarget, content: Content
) -> None:
    async with bot_with_health(db_target, content) as bot:
        await bot.healthz_until(200)
        await bot.take_database_away()
        down = await bot.healthz_until(503)
        assert down["status"] == "unhealthy"
        assert any(p.startswith("database: ") for p in down["problems"]), down
        assert down["database"] != "ok"
        await bot.bring_database_back()
        up = await bot.healthz_until(200)
        assert up["database"] == "ok" and up["problems"] == []


async def test_a_long_429_pause_is_a_stalled_sender(db_target: DbTarget, content: Content) -> None:
    async with bot_with_health(db_target, content, health_max_pause=60) as bot:
        await bot.healthz_until(200)
        # What the sender does with a 429 whose retry_after is ten minutes.
        services_in(bot.app.bot_data).pacer.pause(600)
        body = await bot.healthz_until(503)
        assert body["sender"] == "stalled"
        assert any("paused by Telegram (429)" in p for p in body["problems"])


@pytest.mark.slow
async def test_taken_health_port_is_one_line(tmp_path: Path) -> None:
    sandbox = Sandbox(token=SANDBOX_TOKEN)
    await sandbox.start()
    env = {k: v for k, v in os.environ.items() if k in _PASSTHROUGH}
    env.update(SHIPPED_CONTENT_ENV)
    try:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            env.update(
                TIPS_DIR=str(TIPS_DIR),
                DATA_DIR=str(tmp_path / "data"),
                TELEGRAM_BOT_TOKEN=SANDBOX_TOKEN,
                TELEGRAM_API_BASE_URL=sandbox.base_url,
                HEALTH_PORT=str(port),
            )
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                cwd=tmp_path,
                env=env,
                stderr=asyncio.subprocess.PIPE,
            )
            _, stderr = await asyncio.wait_for(process.communicate(), 60)
    finally:
        await sandbox.stop()
    assert process.returncode == 2
    assert stderr.decode().strip().splitlines()[-1] == (
        f"gutskin-bot: HEALTH_PORT: cannot listen on 127.0.0.1:{port} (Address already in use)"
    )


@pytest.mark.parametrize("port", [0])
async def test_health_port_0_serves_nothing(
    db_target: DbTarget, content: Content, port: int
) -> None:
    sandbox = Sandbox(token=SANDBOX_TOKEN, rate_limit_per_second=None)
    await sandbox.start()
    config = load_settings(
        database_url=db_target.url,
        database_schema=db_target.schema,
        tips_dir=TIPS_DIR,
        health_port=port,
    )
    app = build_application(config, content, token=SANDBOX_TOKEN, base_url=sandbox.base_url)
    try:
        async with running(app):
            assert "web" not in app.bot_data
    finally:
        await sandbox.stop()
