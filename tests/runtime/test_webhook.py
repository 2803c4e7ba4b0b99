"""Webhook mode: the sandbox POSTs updates to the bot as Telegram does; forgeries get nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.clock import OffsetClock
from bot.config import SANDBOX_TOKEN, ConfigError, Settings, load_settings
from bot.content.loader import Content
from bot.db.base import Base
from bot.db.engine import Database
from bot.runtime.app import AnyApplication, build_application, running
from bot.runtime.web import SECRET_HEADER, ServeError, WebServer
from bot.sandbox import users as sandbox_users
from bot.sandbox.client import SandboxClient
from bot.sandbox.server import Sandbox
from bot.services import services_in
from tests.conftest import TIPS_DIR, DbTarget
from tests.e2e.conftest import Chat

pytestmark = pytest.mark.dialect

SECRET = "hook-Secret_0123456789"
FORGER = 555001
ADMIN_CHAT = 555009


def free_port() -> int:
    """Return a port nothing listens on right now (for a server that must know it up front)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def webhook_settings(target: DbTarget, port: int, **more: Any) -> Settings:
    """Settings for webhook mode on 127.0.0.1:`port`, as the sandbox allows."""
    return load_settings(
        database_url=target.url,
        database_schema=target.schema,
        tips_dir=TIPS_DIR,
        updates="webhook",
        webhook_url=f"http://127.0.0.1:{port}/telegram/hook",
        webhook_secret=SECRET,
        webhook_listen="127.0.0.1",
        webhook_port=port,
        admin_ids=(ADMIN_CHAT,),
        **more,
    )


@dataclass
class WebhookBot:
    """The sandbox, the bot in webhook mode, and a client to talk as users."""

    sandbox: Sandbox
    client: SandboxClient
    app: AnyApplication
    db: Database
    url: str

    async def post(self, body: Any, secret: str | None) -> int:
        """POST a body to the bot's webhook as anyone could; return the HTTP status."""
        headers = {} if secret is None else {SECRET_HEADER: secret}
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.url, json=body, headers=headers) as response,
        ):
            return response.status


@pytest.fixture
async def webhook_bot(db_target: DbTarget, content: Content) -> AsyncIterator[WebhookBot]:
    """Start the sandbox and the real bot taking its updates by webhook."""
    clock = OffsetClock()
    sandbox = Sandbox(token=SANDBOX_TOKEN, rate_limit_per_second=None, clock=clock)
    await sandbox.start()
    port = free_port()
    settings = webhook_settings(db_target, port)
    app = build_application(
        settings, content, token=SANDBOX_TOKEN, base_url=sandbox.base_url, clock=clock
    )
    db = db_target.open()
    try:
        async with running(app), SandboxClient(sandbox.control_url) as client:
            yield WebhookBot(sandbox, client, app, db, settings.webhook_url or "")
    finally:
        await db.close()
        await sandbox.stop()


def forged_start(update_id: int, user_id: int = FORGER, text: str = "/start") -> dict[str, Any]:
    """A well-formed update, exactly what Telegram would send for a user's message."""
    user = {"id": user_id, "is_bot": False, "first_name": "Mallory", "language_code": "en"}
    message: dict[str, Any] = {
        "message_id": 1,
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private", "first_name": "Mallory"},
        "from": user,
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return {"update_id": update_id, "message": message}


async def row_counts(db: Database) -> dict[str, int]:
    """How many rows each table holds."""
    async with db.session() as session:
        return {
            table.name: int(await session.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
        }


async def bot_messages(client: SandboxClient, chat_id: int) -> list[dict[str, Any]]:
    """The bot's messages in a chat, from the sandbox's record."""
    return [m for m in await client.history(chat_id) if m["from_bot"]]


async def test_start_up_registers_the_webhook_with_its_secret(webhook_bot: WebhookBot) -> None:
    hook = webhook_bot.sandbox.world.webhook
    assert hook["url"] == webhook_bot.url
    assert hook["secret_token"] == SECRET
    allowed = webhook_bot.sandbox.world.allowed_updates
    assert {"message", "callback_query", "edited_message", "my_chat_member"} <= set(allowed)


@pytest.mark.slow
async def test_a_real_update_through_the_webhook_gets_the_normal_reply(
    webhook_bot: WebhookBot,
) -> None:
    await webhook_bot.client.add_user(101, "Aisyah", language_code="en")
    chat = Chat(webhook_bot.client, 101)
    welcome = await chat.say("/start")
    assert welcome["text"].startswith("Hello Aisyah, welcome to NextMed's gut-skin tips!")
    subscribed = await chat.press(welcome, "I agree, subscribe")
    assert subscribed["text"].startswith("You're subscribed.")
    answer = await chat.say("does dairy cause acne?")
    assert "dairy" in answer["text"].lower()
    # Telegram's view: nothing waits, nothing failed.
    assert webhook_bot.sandbox.world.updates == []
    assert webhook_bot.sandbox.world.webhook["last_error_date"] is None


async def test_forged_requests_are_refused_and_change_nothing(webhook_bot: WebhookBot) -> None:
    bot = webhook_bot
    # The forger is a real chat: a reply, had the update been processed, would show here.
    await bot.client.add_user(FORGER, "Mallory", language_code="en")
    before = await row_counts(bot.db)
    assert await bot.post(forged_start(900001), secret=None) == 403
    assert await bot.post(forged_start(900002), secret="wrong-secret") == 403
    assert await bot.post(forged_start(900003), secret=SECRET[:-1]) == 403
    assert await bot.post(forged_start(900004, text="my skin itches, help"), secret="") == 403

    # A real user's update goes through meanwhile and is answered...
    await bot.client.add_user(102, "Aisyah", language_code="en")
    reply = await Chat(bot.client, 102).say("/start")
    assert reply["text"].startswith("Hello Aisyah")
    # ...while the forgeries changed nothing: no reply, no row (nor the real /start's:
    # nothing is stored before "I agree").
    assert await bot_messages(bot.client, FORGER) == []
    after = await row_counts(bot.db)
    # The one update the webhook took (the real user's) and nothing else.
    assert {**after, "webhook_updates": after["webhook_updates"] - 1} == before
    metrics = services_in(bot.app.bot_data).metrics
    assert metrics.webhook_requests.labels("forbidden")._value.get() == 4

    # The very same update with the right secret is processed: only the secret stopped it.
    assert await bot.post(forged_start(900005), secret=SECRET) == 200
    welcome = await bot.client.wait_for_bot_message(FORGER)
    assert welcome["text"].startswith("Hello Mallory")


async def test_malformed_bodies_are_refused_even_with_the_secret(webhook_bot: WebhookBot) -> None:
    bot = webhook_bot
    assert await bot.post([1, 2, 3], secret=SECRET) == 400
    assert await bot.post({"message": {"text": "no update id"}}, secret=SECRET) == 400
    async with aiohttp.ClientSession() as session:
        headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
        async with session.post(bot.url, data=b"{not json", headers=headers) as response:
            assert response.status == 400
        async with session.get(bot.url, headers=headers) as response:
            assert response.status == 405
        other = bot.url.replace("/telegram/hook", "/other")
        async with session.post(other, json=forged_start(1), headers=headers) as response:
            assert response.status == 404


async def test_stopping_refuses_new_updates_and_leaves_them_at_telegram(
    webhook_bot: WebhookBot,
) -> None:
    bot = webhook_bot
    server = services_in(bot.app.bot_data).web
    assert isinstance(server, WebServer)
    server.stop_accepting()
    # 503: Telegram keeps the update and tries again later (or another replica takes it).
    assert await bot.post(forged_start(900010), secret=SECRET) == 503
    await bot.client.add_user(103, "Aisyah", language_code="en")
    await bot.client.send_text(103, "/start")
    with pytest.raises(TimeoutError):
        await bot.client.wait_for_bot_message(103, timeout=1.0)
    assert [u["message"]["text"] for u in bot.sandbox.world.updates] == ["/start"]
    assert bot.sandbox.world.webhook["last_error_message"] == (
        "Wrong response from the webhook: 503 Service Unavailable"
    )


def test_webhook_mode_needs_a_url_and_a_secret() -> None:
    with pytest.raises(ConfigError, match="WEBHOOK_URL"):
        load_settings(updates="webhook")
    with pytest.raises(ConfigError, match="WEBHOOK_URL"):
        load_settings(updates="webhook", webhook_url="http://bot.example.com/hook")
    with pytest.raises(ConfigError, match="WEBHOOK_SECRET"):
        load_settings(webhook_secret="has space")
    public = load_settings(
        updates="webhook", webhook_url="https://bot.example.com/tg/x1", webhook_secret="s"
    )
    assert public.webhook_serve_path == "/tg/x1"
    behind_proxy = load_settings(
        updates="webhook",
        webhook_url="https://bot.example.com/tg/x1",
        webhook_secret="s",
        webhook_path="/hook",
    )
    assert behind_proxy.webhook_serve_path == "/hook"


async def test_health_and_webhook_can_share_one_listener(
    db_target: DbTarget, content: Content
) -> None:
    sandbox = Sandbox(token=SANDBOX_TOKEN, rate_limit_per_second=None)
    await sandbox.start()
    port = free_port()
    settings = webhook_settings(db_target, port, health_port=port)
    app = build_application(settings, content, token=SANDBOX_TOKEN, base_url=sandbox.base_url)
    try:
        async with running(app), SandboxClient(sandbox.control_url) as client:
            server = services_in(app.bot_data).web
            assert server.addresses == {
                "HEALTH_PORT": ("127.0.0.1", port),
                "WEBHOOK_PORT": ("127.0.0.1", port),
            }
            async with aiohttp.ClientSession() as session:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    assert response.status in (200, 503)
                    assert (await response.json())["updates"] == "webhook"
                async with session.post(settings.webhook_url or "", json={}) as response:
                    assert response.status == 403
            await client.add_user(104, "Aisyah", language_code="en")
            reply = await Chat(client, 104).say("/start")
            assert reply["text"].startswith("Hello Aisyah")
    finally:
        await sandbox.stop()


async def test_a_replica_with_updates_none_delivers_tips_and_takes_no_updates(
    db_target: DbTarget, content: Content
) -> None:
    from tests.runtime.test_metrics import FIRST, seed_due

    db = db_target.open()
    await seed_due(db, dt.datetime.now(dt.UTC))
    sandbox = Sandbox(token=SANDBOX_TOKEN, rate_limit_per_second=None)
    await sandbox.start()
    sandbox_users.add_user(sandbox.world, FIRST, "Reader", language_code="en")
    settings = load_settings(
        database_url=db_target.url,
        database_schema=db_target.schema,
        tips_dir=TIPS_DIR,
        updates="none",
        delivery_tick_seconds=0.2,
    )
    app = build_application(settings, content, token=SANDBOX_TOKEN, base_url=sandbox.base_url)
    try:
        async with running(app), SandboxClient(sandbox.control_url) as client:
            await client.add_user(105, "Aisyah", language_code="en")
            await client.send_text(105, "/start")
            tip = await client.wait_for_bot_message(FIRST, timeout=15)
            assert "fb:" in str(tip["reply_markup"])
            methods = {entry["method"] for entry in await client.requests_log(500)}
            assert "sendMessage" in methods
            assert not methods & {"getUpdates", "setWebhook", "deleteWebhook"}
            # The update waits at Telegram for the replica that takes updates.
            assert [u["message"]["text"] for u in sandbox.world.updates] == ["/start"]
            assert await bot_messages(client, 105) == []
    finally:
        await db.close()
        await sandbox.stop()


async def test_a_webhook_telegram_refuses_stops_start_up_with_one_line(
    db_target: DbTarget, content: Content
) -> None:
    sandbox = Sandbox(token=SANDBOX_TOKEN, rate_limit_per_second=None)
    await sandbox.start()
    port = free_port()
    settings = webhook_settings(db_target, port).model_copy(
        update={"webhook_url": "https://bot.example.com/telegram/hook"}
    )
    app = build_application(settings, content, token=SANDBOX_TOKEN, base_url=sandbox.base_url)
    try:
        with pytest.raises(ServeError, match="^WEBHOOK_URL: Telegram refused the webhook"):
            async with running(app):
                pass
        # Nothing was left listening or ticking.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", port))
        scheduler = services_in(app.bot_data).scheduler
        assert scheduler is not None and not scheduler._scheduler.running
    finally:
        await sandbox.stop()


# -- #13 item 6: each update once, and updates no handler can answer ------------------------


async def test_a_replayed_update_is_handled_once(webhook_bot: WebhookBot) -> None:
    bot = webhook_bot
    await bot.client.add_user(FORGER, "Mallory", language_code="en")
    # Telegram's retry of an update it thinks was lost, and a replay: 200 each, so that
    # Telegram stops retrying, but one reply.
    assert [await bot.post(forged_start(900020), secret=SECRET) for _ in range(3)] == [200] * 3
    await bot.client.wait_for_bot_message(FORGER)
    await _idle(bot)
    assert len(await bot_messages(bot.client, FORGER)) == 1
    metrics = services_in(bot.app.bot_data).metrics
    assert metrics.webhook_requests.labels("duplicate")._value.get() == 2


async def test_concurrent_replays_of_a_new_users_start_give_one_reply_and_no_error(
    webhook_bot: WebhookBot,
) -> None:
    bot = webhook_bot
    await bot.client.add_user(FORGER, "Mallory", language_code="en")
    await bot.client.add_user(ADMIN_CHAT, "Admin", language_code="en")
    statuses = await asyncio.gather(
        *(bot.post(forged_start(900030), secret=SECRET) for _ in range(2)),
        # Two different updates of the same new user at once (a double /start) too.
        bot.post(forged_start(900031), secret=SECRET),
    )
    assert statuses == [200, 200, 200]
    await bot.client.wait_for_bot_message(FORGER)
    await _idle(bot)
    texts = [m["text"] for m in await bot_messages(bot.client, FORGER)]
    assert len(texts) == 2 and all(t.startswith("Hello Mallory") for t in texts)
    assert services_in(bot.app.bot_data).metrics.handler_errors._value.get() == 0
    assert (await row_counts(bot.db))["subscribers"] == 0  # nothing stored before "I agree"


@pytest.mark.parametrize(
    "payload",
    [
        # An inline query: a user but no chat.
        {
            "inline_query": {
                "id": "77",
                "from": {"id": FORGER, "is_bot": False, "first_name": "Mallory"},
                "query": "acne",
                "offset": "",
            }
        },
        # A poll's new state: neither chat nor user.
        {
            "poll": {
                "id": "88",
                "question": "?",
                "options": [{"persistent_id": "a1", "text": "a", "voter_count": 1}],
                "total_voter_count": 1,
                "is_closed": False,
                "is_anonymous": True,
                "type": "regular",
                "allows_multiple_answers": False,
                "allows_revoting": False,
                "members_only": False,
            }
        },
        # A channel post: a chat but no user.
        {
            "channel_post": {
                "message_id": 5,
                "date": 1764600000,
                "chat": {"id": -1001, "type": "channel", "title": "News"},
                "text": "/start",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            }
        },
    ],
)
async def test_an_update_without_chat_or_user_is_dropped_with_a_debug_line(
    webhook_bot: WebhookBot, caplog: pytest.LogCaptureFixture, payload: dict[str, Any]
) -> None:
    bot = webhook_bot
    await bot.client.add_user(ADMIN_CHAT, "Admin", language_code="en")
    caplog.set_level(logging.DEBUG, logger="bot.runtime.updates")
    assert await bot.post({"update_id": 900040, **payload}, secret=SECRET) == 200
    await _idle(bot)
    assert services_in(bot.app.bot_data).metrics.handler_errors._value.get() == 0
    kind = next(iter(payload))
    assert f"update 900040 ({kind}) dropped: no chat or no user" in caplog.text
    assert await bot.client.history(ADMIN_CHAT) == []


async def _idle(bot: WebhookBot) -> None:
    """Wait (up to 10 s) until every update taken is handled."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    quiet = 0
    while quiet < 2:
        busy = (
            not bot.app.update_queue.empty() or bot.app.update_processor.current_concurrent_updates
        )
        quiet = 0 if busy else quiet + 1
        assert loop.time() < deadline, "the bot is still busy after 10 s"
        await asyncio.sleep(0.02)
