"""Helpers every handler uses: the services, the reply language, catalog text, sending."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import Application, ContextTypes

from bot.db.models import Subscriber, SubscriberStatus
from bot.services import SERVICES_KEY as SERVICES_KEY  # re-exported
from bot.services import Services as Services
from bot.services import services_in
from bot.subscribers import store as subscribers
from bot.subscribers import timezones

log = logging.getLogger(__name__)


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """Return the application's services."""
    return services_in(context.bot_data)


def language_of(update: Update, context: ContextTypes.DEFAULT_TYPE, stored: str | None) -> str:
    """Pick the language to answer in: the stored choice, else the Telegram client's."""
    if stored:
        return stored
    user = update.effective_user
    return services(context).content.catalogs.language_for(user.language_code if user else None)


async def stored_subscriber(
    update: Update, context: ContextTypes.DEFAULT_TYPE
) -> tuple[Subscriber | None, str]:
    """Return this chat's subscriber (if any) and the language to answer in."""
    chat = update.effective_chat
    sub = None
    if chat is not None:
        async with services(context).db.session() as session:
            sub = await subscribers.find(session, chat.id)
    return sub, language_of(update, context, sub.language if sub else None)


async def reply_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """Return the language to answer this update in: the subscriber's, else the client's."""
    return (await stored_subscriber(update, context))[1]


def text(context: ContextTypes.DEFAULT_TYPE, language: str, key: str, **values: Any) -> str:
    """Return a catalog message, filled and escaped."""
    return services(context).content.catalogs.text(language, key, **values)


# -- sending -------------------------------------------------------------------------------


async def send(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    message: str,
    markup: InlineKeyboardMarkup | None = None,
) -> int:
    """Send an HTML message to this update's chat; return its id."""
    chat = update.effective_chat
    assert chat is not None
    sent = await context.bot.send_message(
        chat.id, message, parse_mode=ParseMode.HTML, reply_markup=markup
    )
    return sent.message_id


async def show(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    message: str,
    markup: InlineKeyboardMarkup | None = None,
) -> int:
    """Replace the pressed message with this one (a button press), else send it as new."""
    query = update.callback_query
    if query is not None and query.message is not None:
        try:
            await query.edit_message_text(message, parse_mode=ParseMode.HTML, reply_markup=markup)
        except BadRequest as exc:
            if "not modified" not in str(exc):
                log.info("could not edit message, sending a new one: %s", exc)
                return await send(update, context, message, markup)
        # "Not modified": pressed twice, or an old message already showing this.
        return query.message.message_id
    return await send(update, context, message, markup)


async def drop_keyboard(context: ContextTypes.DEFAULT_TYPE, chat_id: int, message_id: int) -> None:
    """Take the buttons off an earlier prompt so it cannot be pressed again (best effort)."""
    with contextlib.suppress(BadRequest):  # already gone, or never had buttons
        await context.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)


async def acknowledge(update: Update) -> None:
    """Answer the button press behind this update, if any and not answered yet."""
    if update.callback_query is not None:
        with contextlib.suppress(BadRequest):
            await update.callback_query.answer()


async def expired(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a button whose data no longer means anything (old message, erased data)."""
    query = update.callback_query
    if query is not None:
        lang = await reply_language(update, context)
        await query.answer(text(context, lang, "button_expired"), show_alert=True)


# -- flows: where a choice leads ------------------------------------------------------------


class Flow(StrEnum):
    """Where a choice was made, carried in the button data, so old buttons stay meaningful."""

    COMMAND = "c"  # a command such as /time: confirm the change
    ONBOARDING = "o"  # the guided steps after Subscribe: confirm and ask the next step
    SETTINGS = "s"  # the /settings screen: show it again, updated


ONBOARDING_STEPS = ("language", "time", "timezone", "topics", "concern")
"""The guided choices after Subscribe, in order; each can be skipped."""

Continuation = Callable[[Update, ContextTypes.DEFAULT_TYPE, Subscriber, str, str], Awaitable[None]]
_FLOWS_KEY = "flows"


def on_flow(app: Application[Any, Any, Any, Any, Any, Any], flow: Flow, then: Continuation) -> None:
    """Say what happens after a choice made in `flow` (onboarding and settings register one)."""
    app.bot_data.setdefault(_FLOWS_KEY, {})[flow] = then


async def after_change(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    flow: Flow,
    sub: Subscriber,
    step: str,
    confirmation: str,
) -> None:
    """Go on after a stored choice: confirm (a command), next step, or the settings screen."""
    then = context.bot_data.get(_FLOWS_KEY, {}).get(flow)
    if then is None:
        await send(update, context, confirmation)
        return
    await then(update, context, sub, step, confirmation)


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


# -- what a subscriber's settings look like ------------------------------------------------


def language_name(context: ContextTypes.DEFAULT_TYPE, code: str) -> str:
    """Return a language's own name ("Bahasa Melayu")."""
    return text(context, code, "language_name")


def topic_names(context: ContextTypes.DEFAULT_TYPE, lang: str, sub: Subscriber) -> str:
    """Return the subscriber's topics as words, or "All topics"."""
    if sub.topics is None:
        return text(context, lang, "topics_all")
    return ", ".join(text(context, lang, f"topic_{t}") for t in subscribers.topics_of(sub))


def concern_name(context: ContextTypes.DEFAULT_TYPE, lang: str, concern: str | None) -> str:
    """Return a skin concern's name, or "None"."""
    return text(context, lang, f"concern_{concern or 'none'}")


def zone_label(context: ContextTypes.DEFAULT_TYPE, zone: str) -> str:
    """Return how a timezone is shown: "Kuala Lumpur, UTC+8"."""
    return timezones.label(zone, services(context).clock.now())


def when(context: ContextTypes.DEFAULT_TYPE, sub: Subscriber) -> dict[str, str]:
    """Return the time and timezone placeholders of a subscriber's daily tip."""
    return {"time": sub.send_time.strftime("%H:%M"), "timezone": zone_label(context, sub.timezone)}


def status_line(context: ContextTypes.DEFAULT_TYPE, lang: str, sub: Subscriber) -> str:
    """Return where the subscription stands, with the next tip's local date when active."""
    zone = ZoneInfo(sub.timezone) if timezones.is_zone(sub.timezone) else ZoneInfo("UTC")
    if sub.status == SubscriberStatus.ACTIVE and sub.next_due_at is not None:
        due = sub.next_due_at.astimezone(zone)
        return text(context, lang, "status_active", date=f"{due:%d/%m}", time=f"{due:%H:%M}")
    if sub.status == SubscriberStatus.PAUSED and sub.paused_until is not None:
        until = sub.paused_until.astimezone(zone)
        return text(context, lang, "status_paused_until", date=f"{until:%d/%m/%Y}")
    if sub.status == SubscriberStatus.PAUSED:
        return text(context, lang, "status_paused")
    return text(context, lang, "status_unsubscribed")


def kept(context: ContextTypes.DEFAULT_TYPE, sub: Subscriber, step: str) -> str:
    """The confirmation for a skipped step: what stays as it was."""
    return text(context, sub.language, "step_kept", value=describe(context, sub, step))


def describe(context: ContextTypes.DEFAULT_TYPE, sub: Subscriber, step: str) -> str:
    """Return the current value of one setting, as words."""
    lang = sub.language
    values = {
        "language": lambda: language_name(context, lang),
        "time": lambda: sub.send_time.strftime("%H:%M"),
        "timezone": lambda: zone_label(context, sub.timezone),
        "topics": lambda: topic_names(context, lang, sub),
        "concern": lambda: concern_name(context, lang, sub.concern),
    }
    return values[step]()
