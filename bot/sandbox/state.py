"""The sandbox's in-memory world: users, their private chats, messages, updates and events.

A history message (``StoredMessage.to_history()``) is a dict::

    message_id: int          chat_id: int            from_bot: bool
    text: str | None         plain text after entity parsing (None for media)
    html: str | None         the text or caption exactly as sent with parse_mode HTML
    entities: list[dict]     Bot API MessageEntity dicts of the text or caption
    caption: str | None      plain caption of a photo or document
    photo: bool              document: bool          file_size: int | None
    file_name: str | None    location: {"latitude", "longitude"} | None
    reply_markup: dict | None   the markup JSON as the bot sent it (any keyboard kind)
    date: str (ISO)          edited: bool            edit_date: str | None
    deleted: bool            deleted messages stay in the history, flagged
    has_file: bool           the bot uploaded the file's bytes (the control API serves them)

Every user has a private chat whose id is the user id; message ids count up per chat,
shared by the user's and the bot's messages, as in Telegram.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.clock import Clock
from bot.sandbox.limits import ChatPacer, Counters, FaultInjector, RateLimiter, RequestLog

CALLBACK_QUERY_LIFETIME = dt.timedelta(minutes=15)


class ApiError(Exception):
    """A Bot API error answer: HTTP status and the Bot API description."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


def no_webhook() -> dict[str, Any]:
    """Return the webhook record of a bot that polls: no URL, no secret, no errors yet."""
    return {
        "url": "",
        "secret_token": None,
        "max_connections": 40,
        "last_error_date": None,
        "last_error_message": None,
    }


class ControlError(Exception):
    """A control API error: HTTP status and a human-readable reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class Signal:
    """Wake every waiter when something new happens."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        """Wake the current waiters."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for the next fire; return whether it came."""
        event = self._event
        try:
            await asyncio.wait_for(event.wait(), max(seconds, 0.0))
        except TimeoutError:
            return False
        return True


@dataclass
class SandboxUser:
    """A pretend Telegram user."""

    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = None
    blocked: bool = False

    def to_api(self) -> dict[str, Any]:
        """Return the Bot API User object."""
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def chat(self) -> dict[str, Any]:
        """Return the Bot API Chat object of the user's private chat."""
        chat: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.username:
            chat["username"] = self.username
        return chat


@dataclass
class StoredMessage:
    """One message in a private chat, from the user or the bot."""

    message_id: int
    chat_id: int
    from_bot: bool
    date: dt.datetime
    text: str | None = None
    html: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    photo: bool = False
    document: bool = False
    file_id: str | None = None
    file_size: int | None = None
    file_name: str | None = None
    location: dict[str, float] | None = None
    reply_markup: dict[str, Any] | None = None
    edit_date: dt.datetime | None = None
    deleted: bool = False
    content: bytes | None = None

    def to_history(self) -> dict[str, Any]:
        """Return the history dict described in the module docstring."""
        return {
            "message_id": self.message_id,
            "chat_id": self.chat_id,
            "from_bot": self.from_bot,
            "text": self.text,
            "html": self.html,
            "entities": self.entities,
            "caption": self.caption,
            "photo": self.photo,
            "document": self.document,
            "file_size": self.file_size,
            "file_name": self.file_name,
            "location": self.location,
            "reply_markup": self.reply_markup,
            "date": self.date.isoformat(),
            "edited": self.edit_date is not None,
            "edit_date": self.edit_date.isoformat() if self.edit_date else None,
            "deleted": self.deleted,
            "has_file": self.content is not None,
        }


def _media_fields(message: StoredMessage) -> dict[str, Any]:
    unique = f"u{message.chat_id}_{message.message_id}"
    fields: dict[str, Any] = {}
    if message.photo:
        size = {"file_id": message.file_id, "file_unique_id": unique, "width": 800}
        fields["photo"] = [{**size, "height": 600, "file_size": message.file_size or 0}]
    if message.document:
        fields["document"] = {"file_id": message.file_id, "file_unique_id": unique}
        fields["document"].update(file_name=message.file_name, file_size=message.file_size or 0)
    if message.caption is not None:
        fields["caption"] = message.caption
        if message.entities:
            fields["caption_entities"] = message.entities
    return fields


class World:
    """Everything the sandbox knows; both the Bot API and the control API act on it."""

    def __init__(self, *, clock: Clock, bot_id: int, bot_username: str, rate_limit: float | None):
        self.clock = clock
        self.bot = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "Gutskin Sandbox",
            "username": bot_username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.users: dict[int, SandboxUser] = {}
        self.messages: dict[int, list[StoredMessage]] = {}
        self.updates: list[dict[str, Any]] = []
        self.update_signal = Signal()
        self.events: collections.deque[dict[str, Any]] = collections.deque(maxlen=5000)
        self.event_signal = Signal()
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.webhook: dict[str, Any] = no_webhook()
        self.webhook_signal = Signal()
        self.callback_queries: dict[str, dict[str, Any]] = {}
        self.counters = Counters()
        self.rate_limiter = RateLimiter(rate_limit)
        self.pacer = ChatPacer()
        self.faults = FaultInjector()
        self.requests_log = RequestLog()
        self._update_ids = itertools.count(1)
        self._event_seqs = itertools.count(1)
        self._query_ids = itertools.count(1)
        self.last_event_seq = 0
        self.poll_generation = 0
        self.closing = False
        self.allowed_updates: list[str] = []
        # Called after the control API or the page moves the clock (the runner wakes the bot).
        self.on_clock_moved: Callable[[], Awaitable[None]] | None = None

    # -- lookups ---------------------------------------------------------------

    def user(self, user_id: int) -> SandboxUser:
        """Return a known user or raise a 404 control error."""
        if user_id not in self.users:
            raise ControlError(404, f"unknown user {user_id}; add it first")
        return self.users[user_id]

    def chat_for_bot(self, chat_id: Any) -> SandboxUser:
        """Return the user whose chat the bot addresses, refusing unknown or blocked chats."""
        user = self.users.get(chat_id) if isinstance(chat_id, int) else None
        if user is None:
            raise ApiError(400, "Bad Request: chat not found")
        if user.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return user

    def find_message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        """Return a live message of a chat, or None."""
        for message in self.messages.get(chat_id, []):
            if message.message_id == message_id and not message.deleted:
                return message
        return None

    def history(self, chat_id: int) -> list[dict[str, Any]]:
        """Return every message of a chat, oldest first."""
        return [message.to_history() for message in self.messages.get(chat_id, [])]

    def to_api_message(self, message: StoredMessage) -> dict[str, Any]:
        """Return the Bot API Message object of a stored message."""
        user = self.users[message.chat_id]
        api: dict[str, Any] = {
            "message_id": message.message_id,
            "from": self.bot if message.from_bot else user.to_api(),
            "chat": user.chat(),
            "date": int(message.date.timestamp()),
        }
        if message.edit_date is not None:
            api["edit_date"] = int(message.edit_date.timestamp())
        if message.text is not None:
            api["text"] = message.text
            if message.entities:
                api["entities"] = message.entities
        if message.location is not None:
            api["location"] = message.location
        api.update(_media_fields(message))
        # Telegram echoes only inline keyboards; reply keyboards are not part of the Message.
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            api["reply_markup"] = message.reply_markup
        return api

    # -- writing ---------------------------------------------------------------

    def add_message(self, chat_id: int, *, from_bot: bool, **fields: Any) -> StoredMessage:
        """Store a new message in a chat with the next message id and the clock's date."""
        chat = self.messages.setdefault(chat_id, [])
        message_id = chat[-1].message_id + 1 if chat else 1
        message = StoredMessage(message_id, chat_id, from_bot, self.clock.now(), **fields)
        chat.append(message)
        self.emit("message", message)
        return message

    def emit(self, kind: str, message: StoredMessage | None = None, /, **payload: Any) -> None:
        """Record a world event (see control.py for the kinds) and wake the pollers."""
        self.last_event_seq = next(self._event_seqs)
        event: dict[str, Any] = {"seq": self.last_event_seq, "type": kind, **payload}
        if message is not None:
            event["chat_id"] = message.chat_id
            event["message"] = message.to_history()
        self.events.append(event)
        self.event_signal.fire()

    async def clock_moved(self) -> None:
        """Tell the page the new time and let the bot catch up with it."""
        self.emit("clock", now=self.clock.now().isoformat())
        if self.on_clock_moved is not None:
            await self.on_clock_moved()

    def start_over(self, clock: Clock) -> None:
        """Forget every chat, pending update and button press, unblock everyone, take a new
        clock, and tell the pages (a ``reset`` event); the users and the bot's commands stay."""
        self.clock = clock
        self.messages.clear()
        self.updates.clear()
        self.callback_queries.clear()
        for user in self.users.values():
            user.blocked = False
        self.emit("reset", now=clock.now().isoformat())

    def events_after(self, seq: int) -> list[dict[str, Any]]:
        """Return the events with a seq greater than ``seq``."""
        # Seqs count up by one and the deque keeps the newest: index instead of scanning.
        first = self.last_event_seq - len(self.events) + 1
        return list(itertools.islice(self.events, max(seq - first + 1, 0), None))

    def push_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue an Update for the bot and wake getUpdates."""
        update = {"update_id": next(self._update_ids), kind: payload}
        self.updates.append(update)
        self.update_signal.fire()
        return update

    def new_callback_query_id(self) -> str:
        """Return a fresh callback query id, remembering when it was issued."""
        query_id = f"{self.bot['id']}{next(self._query_ids):08d}"
        self.callback_queries[query_id] = {"issued": self.clock.now(), "answer": None}
        return query_id
