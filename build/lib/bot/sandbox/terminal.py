"""Chat with the bot in a terminal, as one sandbox user.

Type text to send it; REPL commands start with ``:`` (see ``HELP``). Bot messages are
printed as they arrive, from the control API's events long-poll, while stdin is read by a
daemon thread so typing never blocks the event loop (a daemon, because a thread stuck in
``readline`` must not keep the process alive after ``:quit``).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
from dataclasses import dataclass, field
from typing import Any, TextIO

from bot.sandbox.client import SandboxClient, SandboxError

HELP = """\
Type a message and press Enter to send it. Commands:
  :1, :2 ...        press that button of the latest message with buttons
  :loc <lat> <lon>  share a location
  :block / :unblock block or unblock the bot
  :history          show the whole chat
  :help             show this help
  :quit             leave (Ctrl-D too)"""

_STYLES = {
    "bold": ("\x1b[1m", "\x1b[22m"),
    "italic": ("\x1b[3m", "\x1b[23m"),
    "underline": ("\x1b[4m", "\x1b[24m"),
    "strikethrough": ("\x1b[9m", "\x1b[29m"),
    "code": ("\x1b[36m", "\x1b[39m"),
    "pre": ("\x1b[36m", "\x1b[39m"),
}


def _utf16_index(text: str) -> dict[int, int]:
    """Map each UTF-16 offset that falls on a character boundary to the str index."""
    mapping, offset = {0: 0}, 0
    for index, char in enumerate(text):
        offset += 2 if ord(char) > 0xFFFF else 1
        mapping[offset] = index + 1
    return mapping


def render_text(text: str, entities: list[dict[str, Any]], *, ansi: bool) -> str:
    """Render plain text with Bot API entities for a terminal: ANSI styles, links as text (url)."""
    index = _utf16_index(text)
    opens: dict[int, list[str]] = {}
    closes: dict[int, list[str]] = {}
    for entity in entities:
        start = index.get(entity["offset"], 0)
        end = index.get(entity["offset"] + entity["length"], len(text))
        if entity["type"] == "text_link" and entity.get("url") != text[start:end]:
            closes.setdefault(end, []).insert(0, f" ({entity['url']})")
        elif ansi and entity["type"] in _STYLES:
            on, off = _STYLES[entity["type"]]
            opens.setdefault(start, []).append(on)
            closes.setdefault(end, []).insert(0, off)
    out: list[str] = []
    for position in range(len(text) + 1):
        out.extend(closes.get(position, []))
        out.extend(opens.get(position, []))
        if position < len(text):
            out.append(text[position])
    return "".join(out)


def render_keyboard(markup: dict[str, Any] | None) -> str:
    """Render an inline keyboard as numbered buttons, one line per row; reply keyboards too."""
    if not markup:
        return ""
    if "inline_keyboard" in markup:
        number, lines = 0, []
        for row in markup["inline_keyboard"]:
            cells = []
            for button in row:
                number += 1
                cells.append(f"[{number}] {button.get('text', '')}")
            lines.append("  ".join(cells))
        return "\n".join(lines)
    if "keyboard" in markup:
        rows = markup["keyboard"]
        labels = [b if isinstance(b, str) else b.get("text", "") for row in rows for b in row]
        return "keyboard: " + " | ".join(labels)
    return ""


def render_message(message: dict[str, Any], *, ansi: bool) -> str:
    """Render a history message dict as the terminal shows it."""
    who = "bot" if message["from_bot"] else "you"
    entities = message.get("entities") or []
    parts: list[str] = []
    if message.get("photo"):
        parts.append("[photo]")
    if message.get("document"):
        parts.append(f"[document {message.get('file_name') or ''}]".replace(" ]", "]"))
    if message.get("location"):
        location = message["location"]
        parts.append(f"[location {location['latitude']}, {location['longitude']}]")
    if message.get("text") is not None:
        parts.append(render_text(message["text"], entities, ansi=ansi))
    if message.get("caption"):
        parts.append(render_text(message["caption"], entities, ansi=ansi))
    head = f"{who}: " + " ".join(parts)
    if message.get("edited"):
        head += " (edited)"
    if message.get("deleted"):
        head += " (deleted)"
    keyboard = render_keyboard(message.get("reply_markup"))
    return f"{head}\n{keyboard}" if keyboard else head


@dataclass(frozen=True)
class Command:
    """One parsed input line; kind: text press loc block unblock history help quit error."""

    kind: str
    args: tuple[Any, ...] = ()


def parse_input(line: str) -> Command:
    """Parse a typed line into a Command."""
    line = line.strip()
    if not line.startswith(":"):
        return Command("text", (line,)) if line else Command("error", ("nothing to send",))
    parts = line[1:].split()
    if not parts:
        return Command("error", ("type :help to see the commands",))
    word, *rest = parts
    if word.isdigit() and not rest:
        return Command("press", (int(word),))
    if word == "loc":
        try:
            latitude, longitude = (float(value) for value in rest)
        except ValueError:
            return Command("error", ("usage: :loc <latitude> <longitude>",))
        return Command("loc", (latitude, longitude))
    if word in ("block", "unblock", "history", "help", "quit") and not rest:
        return Command(word)
    return Command("error", (f"unknown command :{word} (try :help)",))


@dataclass
class ChatView:
    """What the terminal knows about its chat: which messages carry inline buttons."""

    chat_id: int
    buttons: dict[int, list[dict[str, Any]]] = field(default_factory=dict)

    def note(self, message: dict[str, Any]) -> None:
        """Remember (or forget) a message's inline buttons."""
        markup = message.get("reply_markup") or {}
        rows = markup.get("inline_keyboard") or []
        found = [button for row in rows for button in row]
        if found and message["from_bot"] and not message["deleted"]:
            self.buttons[message["message_id"]] = found
        else:
            self.buttons.pop(message["message_id"], None)

    def latest_buttons(self) -> tuple[int, list[dict[str, Any]]] | None:
        """Return the latest message with buttons and its buttons."""
        if not self.buttons:
            return None
        message_id = max(self.buttons)
        return message_id, self.buttons[message_id]

    def describe(self, event: dict[str, Any], *, ansi: bool) -> str | None:
        """Return what to print for a world event, or None if it is not for this chat's user."""
        if event.get("chat_id") != self.chat_id and event["type"] != "callback_answer":
            return None
        message = event.get("message")
        if message is not None:
            self.note(message)
            if not message["from_bot"]:
                return None
            if event["type"] == "deleted":
                return f"bot deleted message {message['message_id']}"
            return render_message(message, ansi=ansi)
        if event["type"] == "callback_answer" and event.get("text"):
            return f"bot (popup): {event['text']}"
        return None


def _start_reader(stdin: TextIO, queue: asyncio.Queue[str | None]) -> None:
    loop = asyncio.get_running_loop()

    def read() -> None:
        try:
            for line in iter(stdin.readline, ""):
                loop.call_soon_threadsafe(queue.put_nowait, line)
        except (OSError, ValueError):
            pass  # stdin closed under us: treat as EOF
        with contextlib.suppress(RuntimeError):  # the loop may already be closed
            loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=read, name="sandbox-terminal-stdin", daemon=True).start()


async def _watch(
    client: SandboxClient, view: ChatView, seq: int, ansi: bool, stdout: TextIO
) -> None:
    while True:
        try:
            events, _ = await client.events(after=seq, wait_seconds=20.0)
        except (OSError, SandboxError) as error:
            _say(stdout, f"! lost the sandbox: {error}; retrying")
            await asyncio.sleep(1.0)
            continue
        for event in events:
            seq = max(seq, event["seq"])
            shown = view.describe(event, ansi=ansi)
            if shown is not None:
                _say(stdout, shown)


def _say(stdout: TextIO, text: str) -> None:
    stdout.write(text + "\n")
    stdout.flush()


async def _perform(
    client: SandboxClient, view: ChatView, command: Command, ansi: bool, stdout: TextIO
) -> None:
    user_id = view.chat_id
    if command.kind == "text":
        await client.send_text(user_id, command.args[0])
    elif command.kind == "press":
        latest = view.latest_buttons()
        number = command.args[0]
        if latest is None or not 1 <= number <= len(latest[1]):
            _say(stdout, f"! no button {number} on the latest message with buttons")
            return
        button = latest[1][number - 1]
        if "callback_data" in button:
            await client.press_button(user_id, latest[0], data=button["callback_data"])
        else:
            _say(stdout, f"(opens {button.get('url') or 'nothing the sandbox can show'})")
    elif command.kind == "loc":
        await client.share_location(user_id, *command.args)
    elif command.kind in ("block", "unblock"):
        await (client.block if command.kind == "block" else client.unblock)(user_id)
        _say(stdout, f"({command.kind}ed the bot)")
    elif command.kind == "history":
        for message in await client.history(user_id):
            _say(stdout, render_message(message, ansi=ansi))
    elif command.kind == "help":
        _say(stdout, HELP)
    else:
        _say(stdout, f"! {command.args[0]}")


async def run_terminal_chat(
    client: SandboxClient,
    *,
    user_id: int,
    first_name: str,
    language_code: str,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
) -> None:
    """Chat with the bot as one user until :quit or end of input."""
    await client.add_user(user_id, first_name, language_code=language_code)
    ansi = stdout.isatty()
    view = ChatView(user_id)
    _, seq = await client.events()
    for message in await client.history(user_id):
        view.note(message)
    _say(stdout, f"Chatting as {first_name} (id {user_id}). Type :help for commands.")
    lines: asyncio.Queue[str | None] = asyncio.Queue()
    _start_reader(stdin, lines)
    watcher = asyncio.create_task(_watch(client, view, seq, ansi, stdout))
    try:
        while (line := await lines.get()) is not None:
            command = parse_input(line)
            if command.kind == "quit":
                break
            try:
                await _perform(client, view, command, ansi, stdout)
            except SandboxError as error:
                _say(stdout, f"! {error.reason}")
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
