"""The webhook's door on its own: the real HTTP server in front of a queue, with a bot object
that only records what it is asked (no Telegram, no application). What Telegram or a forger
gets back for each request, what reaches the queue, and what the operator sees.

tests/runtime/test_webhook.py runs the whole bot behind it against the sandbox.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import telegram
from sqlalchemy import select
from telegram.error import BadRequest

from bot.config import Settings, load_settings
from bot.db.engine import Database
from bot.db.models import WebhookUpdate
from bot.runtime.metrics import Metrics
from bot.runtime.web import SECRET_HEADER, ServeError, WebServer
from tests.conftest import TIPS_DIR

SECRET = "hook-Secret_0123456789"
NOW = dt.datetime(2026, 12, 2, 3, 0, tzinfo=dt.UTC)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RecordingBot:
    """The bot's part the server uses: set_webhook, recorded (or refused); never connects."""

    def __init__(self) -> None:
        self.refuse: str | None = None
        self.webhook: dict[str, Any] | None = None

    async def set_webhook(self, url: str, **kwargs: Any) -> bool:
        if self.refuse is not None:
            raise BadRequest(self.refuse)
        self.webhook = {"url": url, **kwargs}
        return True


class FakeHealth:
    """The health monitor's part the server uses: start, stop and a verdict."""

    def __init__(self) -> None:
        self.ok = True
        self.running = False

    def start(self) -> None:
        self.running = True

    async def stop(self) -> None:
        self.running = False

    async def check(self) -> tuple[bool, dict[str, object]]:
        return self.ok, {"status": "ok" if self.ok else "failing"}


@dataclass
class FakeApp:
    bot: RecordingBot
    update_queue: asyncio.Queue[Any]


def settings(db: Database, port: int, **more: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": str(db.engine.url),
        "tips_dir": TIPS_DIR,
        "updates": "webhook",
        "webhook_url": f"https://bot.example.org/telegram/hook?x={port}",
        "webhook_path": "/telegram/hook",
        "webhook_secret": SECRET,
        "webhook_listen": "127.0.0.1",
        "webhook_port": port,
    }
    return load_settings(**(values | more))


@dataclass
class Door:
    server: WebServer
    app: FakeApp
    health: FakeHealth
    url: str

    async def post(
        self, body: Any, secret: str | None = SECRET, raw: bytes | None = None
    ) -> aiohttp.ClientResponse:
        headers = {} if secret is None else {SECRET_HEADER: secret}
        async with aiohttp.ClientSession() as session:
            if raw is not None:
                response = await session.post(self.url, data=raw, headers=headers)
            else:
                response = await session.post(self.url, json=body, headers=headers)
            await response.read()
            return response

    def count(self, label: str) -> float:
        return float(self.server.metrics.webhook_requests.labels(label)._value.get())

    def queued(self) -> list[int]:
        found = []
        while not self.app.update_queue.empty():
            found.append(self.app.update_queue.get_nowait().update_id)
        return found


def make_server(db: Database, port: int, **more: Any) -> tuple[WebServer, FakeApp, FakeHealth]:
    app = FakeApp(RecordingBot(), asyncio.Queue())
    health = FakeHealth()
    server = WebServer(app, settings(db, port, **more), db, lambda: NOW, Metrics(), health)  # type: ignore[arg-type]
    return server, app, health


@pytest.fixture
async def door(db: Database) -> AsyncIterator[Door]:
    port = free_port()
    server, app, health = make_server(db, port)
    await server.start()
    try:
        yield Door(server, app, health, f"http://127.0.0.1:{port}/telegram/hook")
    finally:
        await server.stop()


def update(update_id: int, text: str = "/start") -> dict[str, Any]:
    user = {"id": 77, "is_bot": False, "first_name": "Aisyah"}
    chat = {"id": 77, "type": "private", "first_name": "Aisyah"}
    message = {"message_id": 1, "date": 1764640800, "chat": chat, "from": user, "text": text}
    return {"update_id": update_id, "message": message}


async def test_start_registers_the_webhook_with_its_secret_and_every_update_type(
    door: Door,
) -> None:
    assert door.app.bot.webhook == {
        "url": door.server.settings.webhook_url,
        "secret_token": SECRET,
        "allowed_updates": telegram.Update.ALL_TYPES,
    }
    assert door.server.accepting and door.health.running
    assert door.server.addresses["WEBHOOK_PORT"][0] == "127.0.0.1"


@pytest.mark.parametrize(
    "secret",
    [None, "", "wrong-secret", SECRET[:-1], SECRET + "x", SECRET.upper()],
)
async def test_only_the_exact_secret_opens_the_door(door: Door, secret: str | None) -> None:
    response = await door.post(update(1), secret=secret)
    assert response.status == 403
    assert door.queued() == [] and door.count("forbidden") == 1
    assert door.count("accepted") == 0


async def test_the_secret_lets_an_update_through_once(
    door: Door, caplog: pytest.LogCaptureFixture
) -> None:
    assert (await door.post(update(10))).status == 200
    caplog.clear()  # start-up's own lines are not the subject
    with caplog.at_level(logging.DEBUG, logger="bot.runtime.web"):
        assert (await door.post(update(10))).status == 200  # Telegram's retry, or a replay
    assert [r.getMessage() for r in caplog.records if r.name == "bot.runtime.web"] == [
        "webhook: update 10 already taken; dropped"
    ]
    assert (await door.post(update(11))).status == 200
    first = door.app.update_queue.get_nowait()
    assert first.get_bot() is door.app.bot  # so that handlers can reply to it
    assert [first.update_id, *door.queued()] == [10, 11]
    assert (door.count("accepted"), door.count("duplicate")) == (2, 1)


@pytest.mark.parametrize(
    ("body", "raw"),
    [
        ([1, 2, 3], None),
        ({"message": {"text": "no update id"}}, None),
        ({"update_id": "12"}, None),
        (None, b"{not json"),
        (None, b""),
    ],
)
async def test_a_malformed_body_is_refused_even_with_the_secret(
    door: Door, body: Any, raw: bytes | None
) -> None:
    response = await door.post(body, raw=raw)
    assert response.status == 400
    assert door.queued() == [] and door.count("bad_request") == 1


async def test_a_forgery_is_refused_before_its_body_is_read(door: Door) -> None:
    assert (await door.post(None, secret="wrong", raw=b"{not json")).status == 403
    assert door.count("bad_request") == 0


async def test_after_stop_accepting_telegram_is_told_to_retry_later(door: Door) -> None:
    door.server.stop_accepting()
    response = await door.post(update(20))
    assert (response.status, response.headers.get("Retry-After")) == (503, "5")
    assert door.queued() == [] and door.count("unavailable") == 1
    async with door.server.db.session() as session:  # not taken: another replica may
        assert await session.get(WebhookUpdate, 20) is None


async def test_without_the_shared_record_an_update_is_left_for_a_retry(
    db: Database, tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    broken = Database(f"sqlite+aiosqlite:///{tmp_path}/missing/dir/x.db")
    port = free_port()
    server, app, _ = make_server(db, port)
    server.db = broken
    await server.start()
    try:
        door = Door(server, app, FakeHealth(), f"http://127.0.0.1:{port}/telegram/hook")
        caplog.clear()  # start-up's own lines are not the subject
        with caplog.at_level(logging.WARNING, logger="bot.runtime.web"):
            response = await door.post(update(30))
        assert (response.status, response.headers.get("Retry-After")) == (503, "5")
        assert [
            r.getMessage()
            for r in caplog.records
            if r.name == "bot.runtime.web" and r.levelno >= logging.WARNING
        ] == ["webhook: cannot record update 30 (OperationalError)"]
        assert door.queued() == [] and door.count("unavailable") == 1
    finally:
        await server.stop()
        await broken.close()


async def test_ids_older_than_a_day_are_forgotten_as_new_ones_come(door: Door) -> None:
    async with door.server.db.session() as session:
        session.add(WebhookUpdate(update_id=1, received_at=NOW - dt.timedelta(hours=25)))
        session.add(WebhookUpdate(update_id=2, received_at=NOW - dt.timedelta(hours=1)))
        await session.commit()
    assert (await door.post(update(40))).status == 200
    async with door.server.db.session() as session:
        kept = set(await session.scalars(select(WebhookUpdate.update_id)))
    assert kept == {2, 40}


async def test_refusals_are_logged_at_most_once_a_minute_without_the_secret(
    door: Door, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.clear()  # start-up's own lines are not the subject
    with caplog.at_level(logging.WARNING, logger="bot.runtime.web"):
        for secret in (None, "wrong", "again wrong"):
            assert (await door.post(update(50), secret=secret)).status == 403
    [line] = [r.getMessage() for r in caplog.records if r.name == "bot.runtime.web"]
    assert line == (
        "webhook: refused 1 request(s) with a missing secret token header (last from 127.0.0.1)"
    )
    assert "wrong" not in caplog.text


async def test_a_wrong_secret_is_logged_as_wrong(
    door: Door, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.clear()  # start-up's own lines are not the subject
    with caplog.at_level(logging.WARNING, logger="bot.runtime.web"):
        assert (await door.post(update(51), secret="guess")).status == 403
    assert "refused 1 request(s) with a wrong secret token header" in caplog.text


async def test_a_header_that_is_not_text_is_refused_not_an_error(door: Door) -> None:
    port = door.server.addresses["WEBHOOK_PORT"][1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    body = b'{"update_id": 60}'
    writer.write(
        b"POST /telegram/hook HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + SECRET_HEADER.encode()
        + b": \xff\xfe"
        + SECRET.encode()
        + b"\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\nConnection: close\r\n\r\n"
        + body
    )
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    await writer.wait_closed()
    assert status_line.split()[1] == b"403"
    assert door.queued() == [] and door.count("forbidden") == 1


async def test_a_webhook_telegram_refuses_stops_start_up_with_one_line(db: Database) -> None:
    server, app, health = make_server(db, free_port())
    app.bot.refuse = "Bad webhook: https url must be provided for webhook"
    with pytest.raises(ServeError) as refused:
        await server.start()
    assert str(refused.value) == (
        "WEBHOOK_URL: Telegram refused the webhook "
        "(Bad webhook: https url must be provided for webhook)"
    )
    assert not server.accepting and not health.running


async def test_a_port_in_use_names_the_settings_that_chose_it(db: Database) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server, _, health = make_server(db, port, health_port=port)
        with pytest.raises(ServeError) as refused:
            await server.start()
    assert str(refused.value) == (
        f"HEALTH_PORT and WEBHOOK_PORT: cannot listen on 127.0.0.1:{port} (Address already in use)"
    )
    assert not health.running


async def test_health_and_webhook_share_one_listener(db: Database) -> None:
    port = free_port()
    server, app, health = make_server(db, port, health_port=port)
    await server.start()
    try:
        assert server.addresses["HEALTH_PORT"] == server.addresses["WEBHOOK_PORT"]
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                assert (response.status, await response.json()) == (200, {"status": "ok"})
            health.ok = False
            async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                assert (response.status, await response.json()) == (503, {"status": "failing"})
            async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
                assert response.status == 200
                scraped = (await response.text()).splitlines()
        assert "gutskin_database_up 1.0" in scraped  # read from the database at each scrape
    finally:
        await server.stop()
    assert not server.accepting and not health.running


async def test_polling_serves_health_only(db: Database) -> None:
    port = free_port()
    server, app, _ = make_server(db, port, updates="polling", health_port=port)
    await server.start()
    try:
        assert set(server.addresses) == {"HEALTH_PORT"}
        assert app.bot.webhook is None and not server.accepting
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"http://127.0.0.1:{port}/telegram/hook", json=update(1)) as response,
        ):
            assert response.status == 404
    finally:
        await server.stop()
