"""The chat page's routes over HTTP, no browser: state, commands, clock, stream, files."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import telegram
from telegram import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat

import bot.sandbox.web
from bot.clock import OffsetClock, SystemClock
from bot.sandbox import Sandbox, SandboxClient
from bot.sandbox.web import DemoUser, WebUI
from tests.conftest import ROOT, TIPS_DIR
from tests.sandbox.conftest import TOKEN, ptb_bot

ADA, BUDI, BOSS = 501, 502, 509
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


@pytest.fixture
async def web_ui() -> WebUI:
    """A page description with three users, one of them an admin."""
    users = [DemoUser(ADA, "Ada"), DemoUser(BUDI, "Budi", "ms"), DemoUser(BOSS, "Boss", admin=True)]
    return WebUI(users=users, timezone="Asia/Kuala_Lumpur")


@pytest.fixture
async def sandbox(web_ui: WebUI) -> AsyncIterator[Sandbox]:
    """A sandbox serving the page, with a movable clock."""
    server = Sandbox(token=TOKEN, clock=OffsetClock(), web=web_ui)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain HTTP session."""
    async with aiohttp.ClientSession() as session:
        yield session


async def _json(
    http: aiohttp.ClientSession, method: str, url: str, body: Any = None
) -> tuple[int, Any]:
    async with http.request(method, url, json=body) as response:
        return response.status, await response.json()


async def test_page_and_static_files_are_served(
    http: aiohttp.ClientSession, sandbox: Sandbox
) -> None:
    async with http.get(sandbox.web_url) as response:
        page = await response.text()
        assert response.status == 200 and response.headers["Cache-Control"] == "no-store"
    assert '<script src="/static/app.js" defer>' in page
    assert '<link rel="stylesheet" href="/static/emoji.css">' in page
    for name in ("app.js", "app.css", "icon.svg", "emoji.css", "emoji.ttf"):
        async with http.get(f"{sandbox.web_url}static/{name}") as response:
            assert response.status == 200, name


async def test_state_lists_the_demo_users_first_with_the_admin_marked(
    http: aiohttp.ClientSession, sandbox: Sandbox
) -> None:
    status, state = await _json(http, "GET", f"{sandbox.control_url}/web/state")
    assert status == 200
    assert [(u["id"], u["first_name"], u["admin"]) for u in state["users"]] == [
        (ADA, "Ada", False),
        (BUDI, "Budi", False),
        (BOSS, "Boss", True),
    ]
    assert state["users"][1]["language_code"] == "ms"
    assert [p["name"] for p in state["places"]][:3] == [
        "Cheras, Kuala Lumpur",
        "Petaling Jaya",
        "Setia Alam, Shah Alam",
    ]
    assert {"London", "Kathmandu", "New York", "Sydney"} <= {p["name"] for p in state["places"]}
    assert state["timezone"] == "Asia/Kuala_Lumpur" and state["clock_movable"] is True


async def test_command_menu_follows_telegram_scope_order(
    http: aiohttp.ClientSession, sandbox: Sandbox
) -> None:
    async with ptb_bot(TOKEN, sandbox.base_url) as bot:
        await bot.set_my_commands([BotCommand("start", "Start")])
        await bot.set_my_commands([BotCommand("start", "Mula")], language_code="ms")
        await bot.set_my_commands(
            [BotCommand("start", "Start"), BotCommand("admin", "Admin")],
            scope=BotCommandScopeChat(BOSS),
        )
        await bot.set_my_commands(
            [BotCommand("help", "Private")],
            scope=BotCommandScopeAllPrivateChats(),
            language_code="de",
        )

    async def menu(user_id: int) -> list[str]:
        _, found = await _json(http, "GET", f"{sandbox.control_url}/web/users/{user_id}/commands")
        return [f"{c['command']}:{c['description']}" for c in found]

    assert await menu(ADA) == ["start:Start"]
    assert await menu(BUDI) == ["start:Mula"]
    assert await menu(BOSS) == ["start:Start", "admin:Admin"]
    status, error = await _json(http, "GET", f"{sandbox.control_url}/web/users/4/commands")
    assert status == 404 and "unknown user" in error["error"]


async def _move(http: aiohttp.ClientSession, sandbox: Sandbox, body: Any) -> tuple[int, Any]:
    return await _json(http, "POST", f"{sandbox.control_url}/web/clock", body)


async def test_clock_moves_by_days_and_to_tomorrow_morning_and_wakes_the_bot(
    http: aiohttp.ClientSession, sandbox: Sandbox, web_ui: WebUI
) -> None:
    woken: list[dt.datetime] = []

    async def wake() -> None:
        woken.append(sandbox.world.clock.now())

    web_ui.on_clock_moved = wake
    before = sandbox.world.clock.now()
    status, moved = await _move(http, sandbox, {"days": 2})
    assert status == 200 and moved["note"] == "moved forward"
    assert dt.timedelta(days=2) <= dt.datetime.fromisoformat(moved["now"]) - before
    status, moved = await _move(http, sandbox, {"to": "tomorrow", "time": "08:00"})
    local = dt.datetime.fromisoformat(moved["now"]).astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert (local.hour, local.minute) == (8, 0)
    assert len(woken) == 2
    kinds = [e["type"] for e in sandbox.world.events]
    assert kinds.count("clock") == 2


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"days": 0}, 400, "positive number"),
        ({"days": -1}, 400, "positive number"),
        ({"to": "yesterday"}, 400, "unknown target"),
        ({"to": "tomorrow", "time": "25:00"}, 400, "HH:MM"),
        ({"to": "next_delivery", "chat_id": ADA}, 409, "subscribe first"),
    ],
)
async def test_clock_refuses(
    http: aiohttp.ClientSession, sandbox: Sandbox, body: Any, status: int, error: str
) -> None:
    got, answer = await _move(http, sandbox, body)
    assert got == status and error in answer["error"]


async def test_next_delivery_moves_the_clock_to_the_due_instant(
    http: aiohttp.ClientSession, sandbox: Sandbox, web_ui: WebUI
) -> None:
    due = sandbox.world.clock.now() + dt.timedelta(hours=5)
    asked: list[int | None] = []

    async def next_delivery(chat_id: int | None) -> dt.datetime | None:
        asked.append(chat_id)
        return due

    web_ui.next_delivery = next_delivery
    status, moved = await _move(http, sandbox, {"to": "next_delivery", "chat_id": ADA})
    assert status == 200 and asked == [ADA]
    late = dt.datetime.fromisoformat(moved["now"]) - due
    assert dt.timedelta(0) <= late < dt.timedelta(seconds=1)
    _, again = await _move(http, sandbox, {"to": "next_delivery", "chat_id": ADA})
    assert again["note"] == "a delivery is already due"


async def test_clock_cannot_move_without_an_offset_clock(
    http: aiohttp.ClientSession, web_ui: WebUI
) -> None:
    server = Sandbox(token=TOKEN, clock=SystemClock(), web=web_ui)
    await server.start()
    try:
        status, answer = await _move(http, server, {"days": 1})
    finally:
        await server.stop()
    assert status == 400 and "not movable" in answer["error"]


async def _read_events(response: aiohttp.ClientResponse, count: int) -> list[tuple[str, Any, str]]:
    """Read ``count`` server-sent events: (event name, data, id)."""
    found: list[tuple[str, Any, str]] = []
    fields: dict[str, str] = {}
    while len(found) < count:
        line = (await response.content.readline()).decode().rstrip("\n")
        if line == "":
            if "event" in fields:
                found.append((fields["event"], json.loads(fields["data"]), fields["id"]))
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(": ")
            fields[name] = value
    return found


async def test_stream_sends_world_events_and_requests_live(
    http: aiohttp.ClientSession, sandbox: Sandbox, client: SandboxClient
) -> None:
    _, state = await _json(http, "GET", f"{sandbox.control_url}/web/state")
    url = f"{sandbox.control_url}/web/stream?after={state['last_seq']}&requests=0"
    async with http.get(url) as response, ptb_bot(TOKEN, sandbox.base_url) as bot:
        assert response.headers["Content-Type"] == "text/event-stream"
        await client.send_text(ADA, "hi")
        await bot.send_message(ADA, "<b>hello</b>", parse_mode="HTML")
        with pytest.raises(telegram.error.BadRequest):
            await bot.send_message(999, "nobody")
        events = await asyncio.wait_for(_read_events(response, 5), 10)
    worlds = [data for kind, data, _ in events if kind == "world"]
    requests = [data for kind, data, _ in events if kind == "request"]
    assert [(e["type"], e["message"]["text"]) for e in worlds] == [
        ("message", "hi"),
        ("message", "hello"),
    ]
    assert [(r["method"], r["status"]) for r in requests if r["method"] == "sendMessage"] == [
        ("sendMessage", 200),
        ("sendMessage", 400),
    ]
    last_id = events[-1][2]
    assert last_id == f"{worlds[-1]['seq']}.{requests[-1]['seq']}"


async def test_stream_resumes_from_last_event_id(
    http: aiohttp.ClientSession, sandbox: Sandbox, client: SandboxClient
) -> None:
    first = await client.send_text(ADA, "one")
    await client.send_text(ADA, "two")
    seq = next(e["seq"] for e in sandbox.world.events if e.get("message", {}).get("text") == "one")
    headers = {"Last-Event-ID": f"{seq}.{sandbox.world.requests_log.last_seq}"}
    async with http.get(f"{sandbox.control_url}/web/stream", headers=headers) as response:
        [(kind, data, _)] = await asyncio.wait_for(_read_events(response, 1), 10)
    assert (kind, data["message"]["text"]) == ("world", "two")
    assert first["text"] == "one"


async def test_uploaded_photo_is_an_image_and_anything_else_a_download(
    http: aiohttp.ClientSession, sandbox: Sandbox
) -> None:
    async with ptb_bot(TOKEN, sandbox.base_url) as bot:
        photo = await bot.send_photo(ADA, PNG)
        fake = await bot.send_photo(ADA, b"<script>alert(1)</script>")
        doc = await bot.send_document(ADA, b'{"a": 1}', filename="my data.json")
    base = f"{sandbox.control_url}/web/files/{ADA}"
    async with http.get(f"{base}/{photo.message_id}") as response:
        assert response.content_type == "image/png" and await response.read() == PNG
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    async with http.get(f"{base}/{fake.message_id}") as response:
        assert response.content_type == "application/octet-stream"
        assert response.headers["Content-Disposition"].startswith("attachment")
    async with http.get(f"{base}/{doc.message_id}") as response:
        assert response.headers["Content-Disposition"] == 'attachment; filename="my data.json"'
    async with http.get(f"{base}/999") as response:
        assert response.status == 404
    history = {m["message_id"]: m for m in sandbox.world.history(ADA)}
    assert history[photo.message_id]["has_file"] is True


async def test_control_bodies_must_be_json(http: aiohttp.ClientSession, sandbox: Sandbox) -> None:
    # A page on another site may post text/plain without a preflight; it must not act.
    url = f"{sandbox.control_url}/users/{ADA}/messages"
    forged = '{"text": "forged"}'
    async with http.post(url, data=forged, headers={"Content-Type": "text/plain"}) as response:
        assert response.status == 415
    assert sandbox.world.history(ADA) == []


def test_every_emoji_the_bot_says_is_in_the_pages_emoji_font() -> None:
    # The page ships its own emoji (scripts/make_emoji_font.py); one added to a catalog
    # later but not to the font would be an empty box again on machines without one.
    static = Path(bot.sandbox.web.STATIC_DIR)
    ranges = re.search(r"unicode-range:([^;]*);", (static / "emoji.css").read_text())
    assert ranges is not None
    covered = {int(code.strip()[2:], 16) for code in ranges.group(1).split(",")}
    assert {0x2705, 0x2B1C, 0x1F44D, 0x1F44E, 0x23F9, 0x1F4CE} <= covered
    text_symbols = set("→↗↩⌨▶◀●█░✓")
    missing = {
        f"{char} in {path.relative_to(ROOT)}"
        for path in [*TIPS_DIR.rglob("*.yaml"), static / "app.js", static / "index.html"]
        for char in path.read_text(encoding="utf-8")
        if (0x2300 <= ord(char) <= 0x2BFF or ord(char) >= 0x1F000)
        and char not in text_symbols
        and ord(char) not in covered
    }
    assert not missing, "run scripts/make_emoji_font.py: " + ", ".join(sorted(missing))
    assert (static / "emoji.ttf").stat().st_size < 150_000
    assert "Open Font License" in (static / "emoji-OFL.txt").read_text()


async def test_reset_runs_the_runners_hook_once_at_a_time_or_says_it_cannot(
    http: aiohttp.ClientSession, sandbox: Sandbox, web_ui: WebUI
) -> None:
    url = f"{sandbox.web_url}sandbox/web/reset"
    status, body = await _json(http, "POST", url)
    assert status == 409 and "cannot be reset" in body["error"]
    _, state = await _json(http, "GET", f"{sandbox.web_url}sandbox/web/state")
    assert state["resettable"] is False

    running: list[int] = []

    async def start_over() -> None:
        running.append(1)
        assert len(running) == 1, "two resets overlapped"
        await asyncio.sleep(0)
        sandbox.world.start_over(OffsetClock())
        running.pop()

    web_ui.on_reset = start_over
    async with SandboxClient(sandbox.control_url) as client:
        await client.send_text(ADA, "before the reset")
    sandbox.world.users[ADA].blocked = True
    results = await asyncio.gather(*(_json(http, "POST", url) for _ in range(3)))
    assert [status for status, _ in results] == [200, 200, 200]
    assert sandbox.world.messages == {} and not sandbox.world.users[ADA].blocked
    assert sandbox.world.events_after(0)[-1]["type"] == "reset"
