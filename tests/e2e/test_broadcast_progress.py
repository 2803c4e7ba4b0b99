"""The broadcast progress message with the production cadence (RunnerConfig's defaults): it
moves about once a second while messages go out, and ends with a summary for people."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import select

from bot.admin.broadcasts import RunnerConfig
from bot.db.models import Subscriber
from bot.services import services_in
from tests.e2e.conftest import Harness, buttons
from tests.e2e.test_admin_broadcasts import admin, compose, next_message, seed


async def _blocked_but_active(harness: Harness, users: set[int]) -> None:
    """Users who blocked the bot while it did not notice: sends to them meet a 403."""
    for user_id in users:
        await harness.client.block(user_id)
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        async with harness.db.session() as session:
            query = select(Subscriber).where(Subscriber.status == "blocked")
            rows = list(await session.scalars(query))
            if len(rows) == len(users):
                for row in rows:
                    row.status = "active"
                await session.commit()
                return
        assert asyncio.get_running_loop().time() < deadline, "the bot never saw the blocks"
        await asyncio.sleep(0.1)


@pytest.mark.slow
async def test_progress_moves_while_sending_and_the_summary_reads_well(harness: Harness) -> None:
    chat = await admin(harness)
    services_in(harness.app.bot_data).state.broadcast_config = RunnerConfig(retry_pause=0.0)
    audience = range(9000, 9123)
    for user_id in audience:
        await seed(harness, user_id)
    await _blocked_but_active(harness, {9000, 9050, 9100})
    _events, seq = await harness.client.events()

    _preview, panel = await compose(chat, "Our Setia Alam branch opens on Monday")
    confirm = await chat.press_edit(panel, "📣 Send now")
    progress = await chat.press_edit(confirm, "✅ Yes, send now")
    summary = await next_message(chat, progress, contains="is done")
    assert summary["text"] == (
        "✅ Broadcast #1 is done. Sent to 120 of 123; "
        "3 have blocked the bot, so they no longer get tips."
    )

    events, _last = await harness.client.events(after=seq)
    edits = [
        e["message"]["text"]
        for e in events
        if e["type"] == "edited" and e["message"]["message_id"] == progress["message_id"]
    ]
    live = [text for text in edits if ": sending" in text]
    counts = [int(m.group(1)) for m in (re.search(r"\n(\d+) of 123", t) for t in live) if m]
    assert len(counts) == len(live)
    # Not 0% and then a jump: the count is shown climbing, step by step, from the ledger.
    moving = sorted({c for c in counts if 0 < c < 123})
    assert len(moving) >= 2, edits
    assert counts == sorted(counts)
    assert any(re.search(r"\d+\.\d messages a second · about \d+:\d\d left", t) for t in live)
    assert not any("0.0 messages a second" in t for t in live)  # "measuring the speed…" then
    assert edits[-1].startswith("Broadcast #1: finished in")
    assert buttons(await chat.message(progress["message_id"])) == []
