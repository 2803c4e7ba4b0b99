"""The terminal chat: pure renderers as tables, and a whole session against the sandbox."""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
import telegram

from bot.sandbox import SandboxClient
from bot.sandbox.terminal import (
    Command,
    parse_input,
    render_keyboard,
    render_message,
    render_text,
    run_terminal_chat,
)

B = {"type": "bold", "offset": 0, "length": 4}


@pytest.mark.parametrize(
    ("text", "entities", "ansi", "shown"),
    [
        ("Bold text", [B], False, "Bold text"),
        ("Bold text", [B], True, "\x1b[1mBold\x1b[22m text"),
        (
            "see site",
            [{"type": "text_link", "offset": 4, "length": 4, "url": "https://x.org"}],
            False,
            "see site (https://x.org)",
        ),
        ("😀 ok", [{"type": "italic", "offset": 3, "length": 2}], True, "😀 \x1b[3mok\x1b[23m"),
        ("a < b & c", [], True, "a < b & c"),
    ],
)
def test_render_text(text: str, entities: list[dict[str, Any]], ansi: bool, shown: str) -> None:
    assert render_text(text, entities, ansi=ansi) == shown


def test_render_keyboard_numbers_buttons_across_rows() -> None:
    markup = {
        "inline_keyboard": [
            [{"text": "Subscribe", "callback_data": "s"}, {"text": "Help", "callback_data": "h"}],
            [{"text": "Site", "url": "https://x.org"}],
        ]
    }
    assert render_keyboard(markup) == "[1] Subscribe  [2] Help\n[3] Site"
    assert render_keyboard({"keyboard": [["Yes", {"text": "No"}]]}) == "keyboard: Yes | No"
    assert render_keyboard({"remove_keyboard": True}) == ""


def test_render_message_shows_edits_media_and_keyboard() -> None:
    message = {
        "from_bot": True,
        "text": "Pick one",
        "entities": [],
        "edited": True,
        "deleted": False,
        "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]},
    }
    assert render_message(message, ansi=False) == "bot: Pick one (edited)\n[1] A"
    photo = {"from_bot": True, "text": None, "photo": True, "caption": "Tip", "entities": []}
    assert render_message(photo, ansi=False) == "bot: [photo] Tip"


@pytest.mark.parametrize(
    ("line", "command"),
    [
        ("hello there\n", Command("text", ("hello there",))),
        ("/start", Command("text", ("/start",))),
        (":2", Command("press", (2,))),
        (":loc 52.5 13.4", Command("loc", (52.5, 13.4))),
        (":loc north", Command("error", ("usage: :loc <latitude> <longitude>",))),
        (":quit", Command("quit")),
        (":history", Command("history")),
        (":dance", Command("error", ("unknown command :dance (try :help)",))),
        ("   ", Command("error", ("nothing to send",))),
    ],
)
def test_parse_input(line: str, command: Command) -> None:
    assert parse_input(line) == command


class _Keyboard:
    """A pipe that stands in for the person typing at stdin."""

    def __init__(self) -> None:
        read_fd, write_fd = os.pipe()
        self.stdin = os.fdopen(read_fd, "r", encoding="utf-8")
        self._writer = os.fdopen(write_fd, "w", encoding="utf-8")

    def type(self, line: str) -> None:
        self._writer.write(line + "\n")
        self._writer.flush()

    def close(self) -> None:
        if not self._writer.closed:
            self._writer.close()


@pytest.fixture
async def keyboard() -> AsyncIterator[_Keyboard]:
    """Return a typing pipe, closed (EOF) at the end."""
    typed = _Keyboard()
    yield typed
    typed.close()
    typed.stdin.close()


async def _until(predicate: Any, what: str, seconds: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not await predicate():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def test_a_terminal_session(
    bot: telegram.Bot, client: SandboxClient, keyboard: _Keyboard
) -> None:
    out = io.StringIO()
    session = asyncio.create_task(
        run_terminal_chat(
            client,
            user_id=77,
            first_name="Tess",
            language_code="en",
            stdin=keyboard.stdin,
            stdout=out,
        )
    )

    async def printed(text: str) -> bool:
        return text in out.getvalue()

    await _until(lambda: printed("Chatting as Tess"), "the banner")
    keyboard.type("/start")
    await _until(lambda: _has_update(bot), "the user's message")
    [update] = await bot.get_updates(timeout=0)
    assert update.message is not None and update.message.text == "/start"
    markup = telegram.InlineKeyboardMarkup(
        [
            [
                telegram.InlineKeyboardButton("Subscribe", callback_data="sub"),
                telegram.InlineKeyboardButton("Site", url="https://example.org"),
            ]
        ]
    )
    sent = await bot.send_message(
        77, "<b>Welcome</b> &amp; hi", parse_mode="HTML", reply_markup=markup
    )
    await _until(lambda: printed("bot: Welcome & hi\n[1] Subscribe  [2] Site"), "the welcome")
    keyboard.type(":2")
    await _until(lambda: printed("(opens https://example.org)"), "the URL")
    keyboard.type(":1")
    await _until(lambda: _has_update(bot, offset=update.update_id + 1), "the button press")
    [press] = await bot.get_updates(offset=update.update_id + 1, timeout=0)
    assert press.callback_query is not None and press.callback_query.data == "sub"
    await bot.answer_callback_query(press.callback_query.id, text="Done!")
    await bot.edit_message_text("Subscribed", 77, sent.message_id)
    await _until(lambda: printed("bot: Subscribed (edited)"), "the edit")
    await _until(lambda: printed("bot (popup): Done!"), "the popup")
    keyboard.type(":9")
    await _until(lambda: printed("! no button 9"), "the missing button")
    keyboard.type(":quit")
    await asyncio.wait_for(session, 5)
    assert "\x1b[" not in out.getvalue()  # a StringIO is not a tty: no ANSI codes


async def _has_update(bot: telegram.Bot, offset: int = 0) -> bool:
    return bool(await bot.get_updates(offset=offset, timeout=0))


async def test_terminal_ends_on_end_of_input(client: SandboxClient, keyboard: _Keyboard) -> None:
    out = io.StringIO()
    keyboard.type(":loc 1.5 2.5")
    keyboard.close()
    await asyncio.wait_for(
        run_terminal_chat(
            client,
            user_id=78,
            first_name="Eve",
            language_code="de",
            stdin=keyboard.stdin,
            stdout=out,
        ),
        5,
    )
    [message] = await client.history(78)
    assert message["location"] == {"latitude": 1.5, "longitude": 2.5}


def test_a_lone_colon_is_an_error_not_a_crash() -> None:
    assert parse_input(":").kind == "error"
    assert parse_input(":   ").kind == "error"
