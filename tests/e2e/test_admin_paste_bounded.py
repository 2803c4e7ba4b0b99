"""An admin's pasted YAML is checked off the event loop: others are answered meanwhile (#13)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from bot.content.errors import ContentError
from bot.content.transfer import parse_tip_snippet
from tests.content.test_bounded import BOMB
from tests.e2e.conftest import ADMIN_ID, Harness

OTHER = 700101


async def test_a_pasted_alias_bomb_is_refused_while_another_user_is_answered(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    started, release = threading.Event(), threading.Event()

    def held_parse(text: str) -> object:
        # Hold the parse in its thread until the other user has had their answer: were it
        # on the event loop, that answer could never come.
        started.set()
        release.wait(30)
        return parse_tip_snippet(text)

    monkeypatch.setattr("bot.handlers.admin.tip_add.parse_tip_snippet", held_parse)
    admin = await harness.user(ADMIN_ID, "Admin")
    other = await harness.user(OTHER, "Mei")
    tips = await admin.press_edit(await admin.say("/admin"), "💡 Tips")
    way = await admin.press_edit(tips, "➕ Add a tip")
    await admin.press_edit(way, "📋 Paste YAML")
    newest = await admin.newest_id()
    try:
        await admin.client.send_text(ADMIN_ID, BOMB)
        assert await _wait(started)
        greeting = await other.say("/start")
        assert greeting["text"].startswith("Hello Mei, welcome")
    finally:
        release.set()
    refusal = await admin.client.wait_for_bot_message(ADMIN_ID, after_message_id=newest)
    assert refusal["text"].startswith("That YAML can't be used: 1 problem(s).")
    assert (
        "snippet: line 1, column 4: invalid YAML: anchors and aliases (&name, *name) are not "
        "allowed in content; write each value out" in refusal["text"]
    )


async def _wait(event: threading.Event) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while not event.is_set():
        assert loop.time() < deadline, "the paste never reached the parser"
        await asyncio.sleep(0.01)
    return True


def test_the_real_paste_check_refuses_the_bomb() -> None:
    with pytest.raises(ContentError):
        parse_tip_snippet(BOMB)
