"""The one skeleton of a settings step (time, timezone, pause, resume...), whichever flow it
is asked in: only a subscriber gets the prompt; a choice is stored (or kept), confirmed, and
the flow goes on (`bot.handlers.flows.after_change`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.db.models import Subscriber
from bot.handlers.flows import Flow, after_change
from bot.handlers.services import (
    acknowledge,
    kept,
    reply_language,
    send,
    services,
    stored_subscriber,
    text,
    when,
)
from bot.subscribers import store as subscribers

T = TypeVar("T")

Change = Callable[[AsyncSession, int, dt.datetime], Awaitable[Subscriber]]
"""Store a choice for a chat (session, chat id, now) and return the subscriber."""
Setter = Callable[[AsyncSession, int, T, dt.datetime], Awaitable[Subscriber]]
"""Store a value for a chat (session, chat id, value, now) and return the subscriber."""


Ask = Callable[[Update, ContextTypes.DEFAULT_TYPE, Flow], Awaitable[None]]
"""Show a step's prompt in a flow."""
Callback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


def as_command(ask: Ask) -> Callback:
    """The command that asks one step on its own (/time, /timezone...): the step, in
    Flow.COMMAND (a choice is confirmed, and nothing follows)."""

    async def command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await ask(update, context, Flow.COMMAND)

    command.__module__, command.__qualname__ = ask.__module__, f"as_command({ask.__qualname__})"
    return command


async def not_subscribed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say that this needs a subscription first (a kind alert on a button)."""
    lang = await reply_language(update, context)
    if update.callback_query is not None:
        with contextlib.suppress(BadRequest):  # already answered
            await update.callback_query.answer(
                text(context, lang, "button_expired"), show_alert=True
            )
            return
    await send(update, context, text(context, lang, "need_subscription"))


@dataclass(frozen=True)
class Asked:
    """Who a step's prompt is for, in which flow, after which note (what the last step did)."""

    flow: Flow
    sub: Subscriber
    note: str | None

    @property
    def lang(self) -> str:
        """The language to ask in: theirs."""
        return self.sub.language


Prompt = Callable[[Update, ContextTypes.DEFAULT_TYPE, Asked], Awaitable[None]]
"""Show a step's prompt to a subscriber."""


class StepPrompt(Protocol):
    """A step's prompt as flows call it: (update, context, flow, note)."""

    async def __call__(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        flow: Flow,
        note: str | None = None,
    ) -> None: ...


def step_prompt(prompt: Prompt) -> StepPrompt:
    """A step's prompt that only a subscriber gets (anyone else hears they need one)."""

    @functools.wraps(prompt)
    async def ask(
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        flow: Flow,
        note: str | None = None,
    ) -> None:
        sub = await subscriber_asked(update, context)
        if sub is not None:
            await prompt(update, context, Asked(flow, sub, note))

    return ask


async def subscriber_asked(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Subscriber | None:
    """The subscriber a step's prompt is for; None once told it needs a subscription."""
    sub, _ = await stored_subscriber(update, context)
    if sub is None or sub.consented_at is None:
        await not_subscribed(update, context)
        return None
    return sub


async def _current(session: AsyncSession, chat_id: int, _now: dt.datetime) -> Subscriber:
    return await subscribers.current(session, chat_id)


async def store_step(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    flow: Flow,
    step: str,
    change: Change | None,
    confirm: Callable[[Subscriber], str] | str,
    *,
    answer: bool = True,
) -> None:
    """Store a step's choice (`change`; None keeps what is stored: Skip), confirm it and go
    on in the flow. `confirm` is the confirmation, or its catalog key (filled with the time
    and zone of their tip); `answer`: answer the button press (False when the caller did)."""
    chat = update.effective_chat
    if chat is None:
        return
    svc = services(context)
    try:
        async with svc.db.session() as session:
            sub = await (change or _current)(session, chat.id, svc.clock.now())
    except subscribers.NotSubscribed:
        await not_subscribed(update, context)
        return
    if answer:
        await acknowledge(update)
    if change is None:
        confirmation = kept(context, sub, step)
    elif isinstance(confirm, str):
        confirmation = text(context, sub.language, confirm, **when(context, sub))
    else:
        confirmation = confirm(sub)
    await after_change(update, context, flow, sub, step, confirmation)


async def store_value(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    flow: Flow,
    step: str,
    value: T | None,
    setter: Setter[T],
    confirm: str,
) -> None:
    """Store a step's value with `setter` (None keeps what is stored) and go on."""

    async def change(session: AsyncSession, chat_id: int, now: dt.datetime) -> Subscriber:
        assert value is not None
        return await setter(session, chat_id, value, now)

    await store_step(update, context, flow, step, None if value is None else change, confirm)
