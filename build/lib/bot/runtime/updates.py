"""How updates are taken in: one chat's updates one after another, chats side by side.

PTB runs up to 256 updates at once with no order, so a double tap on a button or a quick
second /start raced itself (two onboarding flows, lost topic choices, IntegrityErrors).
Here each chat has a turn: its updates run in the order they came, while other chats go
on in parallel. Updates no handler can use (no chat or no user: channel posts, inline
queries, polls, crafted webhook bodies) are dropped with a debug line before any handler.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from telegram import Update

from bot.runtime.metrics import MeasuredUpdateProcessor, Metrics

log = logging.getLogger(__name__)

WAITING_UPDATES = 10_000
"""Updates taken in at once, most of them waiting for their chat's turn."""
RUNNING_UPDATES = 256
"""Updates handled at the same moment (each from a different chat)."""


@dataclass
class _Turn:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    holders: int = 0


class ChatOrderedUpdateProcessor(MeasuredUpdateProcessor):
    """Handle one chat's updates in order, different chats concurrently (and measure them).

    PTB's own semaphore only lets updates in; a second one bounds those actually running,
    taken after the chat's turn so that one chat's backlog cannot use up every slot.
    """

    def __init__(self, metrics: Metrics, running: int = RUNNING_UPDATES) -> None:
        super().__init__(metrics, max_concurrent_updates=WAITING_UPDATES)
        self._running = asyncio.Semaphore(running)
        self._turns: dict[int, _Turn] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the chat's turn, then handle the update; drop one without chat or user."""
        chat_id = _chat_of(update)
        if chat_id is None:
            _drop(update, coroutine)
            return
        async with self._turn(chat_id), self._running:
            await super().do_process_update(update, coroutine)

    @contextlib.asynccontextmanager
    async def _turn(self, chat_id: int) -> AsyncIterator[None]:
        turn = self._turns.setdefault(chat_id, _Turn())
        turn.holders += 1
        try:
            async with turn.lock:  # asyncio.Lock wakes its waiters first come, first served
                yield
        finally:
            turn.holders -= 1
            if not turn.holders:
                del self._turns[chat_id]


def _chat_of(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_chat is None or update.effective_user is None:
        return None
    return update.effective_chat.id


def _drop(update: object, coroutine: Awaitable[Any]) -> None:
    ident = update.update_id if isinstance(update, Update) else None
    kind = type(update).__name__
    if isinstance(update, Update):
        kind = next((k for k in Update.ALL_TYPES if getattr(update, k, None) is not None), kind)
    log.debug("update %s (%s) dropped: no chat or no user for a handler to answer", ident, kind)
    if isinstance(coroutine, Coroutine):
        coroutine.close()  # never started: closing it keeps "never awaited" out of the logs
