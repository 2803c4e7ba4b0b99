"""Capacity end to end: an 08:00 crowd too large for its catch-up window is named, with what to
do, in /stats, the /admin console and /healthz (a warning: still healthy); spreading it out
makes the warning go."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from sqlalchemy import insert, update

from bot.config import SANDBOX_TOKEN, load_settings
from bot.content.loader import Content
from bot.db.models import Subscriber
from bot.runtime.app import build_application, running
from bot.sandbox.client import SandboxClient
from bot.sandbox.server import Sandbox
from tests.conftest import TIPS_DIR, DbTarget
from tests.e2e.conftest import ADMIN_ID, START, Chat, Harness
from tests.fixed_clock import clock_at
from tests.runtime.test_webhook import free_port

KL = "Asia/Kuala_Lumpur"
EIGHT = START + dt.timedelta(hours=4)  # 08:00 in Kuala Lumpur, the next default send time
CROWD = 2_500
# 1 message a second for half an hour: a send time holds 1,800.
SETTINGS = {"delivery_rate": 1.0, "catch_up_hours": 0.5}
WARNING = (
    "⚠️ 08:00: 2,500 due need 42 min at 1/s, longer than the 0.5 h catch-up window: "
    "about 700 would be missed."
)
ADVICE = "To fix: spread subscribers over more send times, raise DELIVERY_RATE"


@pytest.fixture
async def slow_bot(db_target: DbTarget, content: Content) -> AsyncIterator[tuple[Harness, str]]:
    """The e2e harness with a low rate, a short window and /healthz on a free port."""
    clock = clock_at(START)
    sandbox = Sandbox(token=SANDBOX_TOKEN, rate_limit_per_second=None, clock=clock)
    await sandbox.start()
    port = free_port()
    settings = load_settings(
        database_url=db_target.url,
        database_schema=db_target.schema,
        tips_dir=TIPS_DIR,
        admin_ids=(ADMIN_ID,),
        per_chat_interval=0.05,
        health_port=port,
        **SETTINGS,
    )
    app = build_application(
        settings, content, token=SANDBOX_TOKEN, base_url=sandbox.base_url, clock=clock
    )
    db = db_target.open()
    try:
        async with running(app), SandboxClient(sandbox.control_url) as client:
            await client.add_user(ADMIN_ID, "Admin", language_code="en")
            yield Harness(sandbox, client, app, db, clock), f"http://127.0.0.1:{port}"
    finally:
        await db.close()
        await sandbox.stop()


async def _seed_crowd(harness: Harness) -> None:
    now = harness.clock.now()
    rows = [
        {
            "chat_id": 10_000 + i,
            "user_id": 10_000 + i,
            "language": "en",
            "timezone": KL,
            "send_time": dt.time(8, 0),
            "status": "active",
            "consented_at": now,
            "next_due_at": EIGHT,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(CROWD)
    ]
    async with harness.db.session() as session, session.begin():
        await session.execute(insert(Subscriber), rows)


async def _ask(admin: Chat, command: str, contains: str) -> dict[str, Any]:
    """Say a command and wait for its reply: at this bot's 1 message a second, a reply
    queues behind the ones before it (/stats sends its chart too), so allow 30 s."""
    sent = await admin.client.send_text(admin.user_id, command)
    return await admin.client.wait_for_bot_message(
        admin.user_id, after_message_id=sent["message_id"], contains=contains, timeout=30
    )


async def _healthz(url: str) -> tuple[int, dict[str, object]]:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/healthz") as response:
        return response.status, await response.json()


@pytest.mark.slow
async def test_a_crowd_too_large_for_its_window_is_named_with_what_to_do(
    slow_bot: tuple[Harness, str],
) -> None:
    harness, health_url = slow_bot
    admin = Chat(harness.client, ADMIN_ID)
    await _seed_crowd(harness)

    stats = (await _ask(admin, "/stats", "Sending capacity"))["text"]
    assert (
        "Sending capacity: 2,500 tips due in the next 24 hours; at 1/s each send time holds "
        "up to 1,800 within the 0.5 h catch-up window." in stats
    )
    assert WARNING in stats
    assert ADVICE in stats

    menu = (await _ask(admin, "/admin", "Admin console"))["text"]
    assert WARNING in menu and ADVICE in menu

    status, body = await _healthz(health_url)
    assert status == 200 and body["status"] == "ok" and body["problems"] == []
    [warning] = body["warnings"]  # type: ignore[misc]
    assert warning.startswith(
        "capacity: the 08:00 send time has 2500 subscribers due; at 1/s they need 42 min, "
        "beyond the 0.5 h catch-up window, so about 700 would be missed."
    )

    # The clinic spreads the crowd: a thousand of them move to 09:00, and both fit.
    async with harness.db.session() as session, session.begin():
        await session.execute(
            update(Subscriber)
            .where(Subscriber.chat_id < 10_000 + 1_000)
            .values(send_time=dt.time(9, 0), next_due_at=EIGHT + dt.timedelta(hours=1))
        )
    stats = (await _ask(admin, "/stats", "Sending capacity"))["text"]
    assert "Sending capacity: 2,500 tips due" in stats
    assert "⚠️" not in stats and ADVICE not in stats
    menu = (await _ask(admin, "/admin", "Admin console"))["text"]
    assert "⚠️" not in menu
