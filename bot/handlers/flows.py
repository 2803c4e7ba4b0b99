"""The flow router: where a choice leads (a command, the guided onboarding, the /settings
screen), how prompts look in each flow, and the typed answer a chat is waiting for.

A choice's flow travels in its button data ("<prefix><flow>:<value>"), so an old button
still means what it meant; onboarding and settings each say what follows a choice made in
their flow (`on_flow`), and every preference handler goes on with `after_change`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.db.models import Subscriber
from bot.handlers.groups import AnyApplication
from bot.handlers.services import drop_keyboard, send, services, show, text
from bot.services import services_in

# -- flows: where a choice leads ------------------------------------------------------------


class Flow(StrEnum):
    """Where a choice was made, carried in the button data, so old buttons stay meaningful."""

    COMMAND = "c"  # a command such as /time: confirm the change
    ONBOARDING = "o"  # the guided steps after Subscribe: confirm and ask the next step
    SETTINGS = "s"  # the /settings screen: show it again, updated


ONBOARDING_STEPS = ("language", "time", "timezone", "topics", "concern")
"""The guided choices after Subscribe, in order; each can be skipped."""


@dataclass(frozen=True)
class Changed:
    """A choice just stored: whose, which step, and the words that confirm it."""

    sub: Subscriber
    step: str
    confirmation: str


Continuation = Callable[[Update, ContextTypes.DEFAULT_TYPE, Changed], Awaitable[None]]
"""What follows a stored choice in a flow."""


def on_flow(app: AnyApplication, flow: Flow, then: Continuation) -> None:
    """Say what happens after a choice made in `flow` (onboarding and settings register one)."""
    services_in(app.bot_data).state.flows[flow] = then


async def after_change(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    flow: Flow,
    sub: Subscriber,
    step: str,
    confirmation: str,
) -> None:
    """Go on after a stored choice: confirm (a command), next step, or the settings screen."""
    then = services(context).state.flows.get(flow)
    if then is None:
        await send(update, context, confirmation)
        return
    await then(update, context, Changed(sub, step, confirmation))


SETTINGS_PREFIX = "set:"  # set:<what>; the settings screen's own buttons
SHOW_SETTINGS = f"{SETTINGS_PREFIX}show"


async def present(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    flow: Flow,
    message: str,
    markup: InlineKeyboardMarkup | None = None,
) -> int:
    """Show a prompt: in place of the settings screen, else as a new message; return its id."""
    if flow == Flow.SETTINGS:
        return await show(update, context, message, markup)
    return await send(update, context, message, markup)


def framed(
    context: ContextTypes.DEFAULT_TYPE,
    lang: str,
    flow: Flow,
    step: str,
    prompt: str,
    note: str | None = None,
) -> str:
    """Head an onboarding prompt with "Step 2 of 5", after a note (what the last step did)."""
    if flow == Flow.ONBOARDING and step in ONBOARDING_STEPS:
        number = ONBOARDING_STEPS.index(step) + 1
        header = text(context, lang, "step_header", step=number, steps=len(ONBOARDING_STEPS))
        prompt = f"{header}\n{prompt}"
    return f"{note}\n\n{prompt}" if note else prompt


def last_row(
    context: ContextTypes.DEFAULT_TYPE, lang: str, flow: Flow, prefix: str
) -> list[InlineKeyboardButton]:
    """The row under a prompt's choices: Skip in onboarding, Back in settings, none otherwise."""
    if flow == Flow.ONBOARDING:
        label = text(context, lang, "button_skip")
        return [InlineKeyboardButton(label, callback_data=f"{prefix}{flow}:skip")]
    if flow == Flow.SETTINGS:
        return [
            InlineKeyboardButton(text(context, lang, "button_back"), callback_data=SHOW_SETTINGS)
        ]
    return []


def keyboard(
    rows: list[list[InlineKeyboardButton]], last: list[InlineKeyboardButton]
) -> InlineKeyboardMarkup:
    """Build an inline keyboard from rows of choices and the closing row (if any)."""
    return InlineKeyboardMarkup([*rows, last] if last else rows)


def flow_of(value: str) -> Flow:
    """Read the flow letter of button data; anything unknown counts as a command."""
    try:
        return Flow(value)
    except ValueError:
        return Flow.COMMAND


def split_data(data: str | None, prefix: str) -> tuple[Flow, str]:
    """Split "<prefix><flow>:<value>" (or the older "<prefix><value>") into flow and value."""
    rest = (data or "").removeprefix(prefix)
    head, sep, tail = rest.partition(":")
    if sep and head in {flow.value for flow in Flow}:
        return Flow(head), tail
    return Flow.COMMAND, rest


# -- typed answers ------------------------------------------------------------------------

_AWAITING = "awaiting"  # chat_data: which typed answer the bot is waiting for
_AWAITING_FLOW = "awaiting_flow"
_PROMPT = "prompt_message"  # the prompt whose buttons go once the answer is typed

STOP_WORDS = re.compile(r"(?i)^\s*(stop|berhenti)\s*[.!]*\s*$")
"""STOP or BERHENTI typed alone unsubscribes, whatever the bot was waiting for."""


def await_answer(
    context: ContextTypes.DEFAULT_TYPE, kind: str, flow: Flow, prompt_id: int | None
) -> None:
    """Remember that the next text may answer a prompt ("time", "timezone")."""
    if context.chat_data is None:
        return
    context.chat_data[_AWAITING] = kind
    context.chat_data[_AWAITING_FLOW] = flow
    if prompt_id is not None:
        context.chat_data[_PROMPT] = prompt_id
    else:
        context.chat_data.pop(_PROMPT, None)


def awaiting(context: ContextTypes.DEFAULT_TYPE, kind: str) -> Flow | None:
    """Return the flow of the prompt waiting for a typed `kind`, or None."""
    data = context.chat_data
    if data is None or data.get(_AWAITING) != kind:
        return None
    return flow_of(str(data.get(_AWAITING_FLOW, "")))


async def stop_awaiting(
    update: Update, context: ContextTypes.DEFAULT_TYPE, *, drop_buttons: bool = False
) -> None:
    """Forget the typed answer the bot waited for (and take its prompt's buttons away)."""
    data = context.chat_data
    if data is None:
        return
    data.pop(_AWAITING, None)
    data.pop(_AWAITING_FLOW, None)
    prompt = data.pop(_PROMPT, None)
    chat = update.effective_chat
    if drop_buttons and isinstance(prompt, int) and chat is not None:
        await drop_keyboard(context, chat.id, prompt)
