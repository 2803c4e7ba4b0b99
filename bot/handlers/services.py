"""Helpers every handler uses: the services, the reply language, catalog text, sending."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.db.models import Subscriber, SubscriberStatus
from bot.services import SERVICES_KEY as SERVICES_KEY  # re-exported
from bot.services import Services as Services
from bot.services import services_in
from bot.subscribers import store as subscribers
from bot.subscribers import timezones

log = logging.getLogger(__name__)
T = TypeVar("T")


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


async def pressed(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    prefix: str,
    find: Callable[[str], T | None],
    *,
    answer: bool = True,
) -> tuple[T, str] | None:
    """What a pressed button names (`find` reads its data after `prefix`) and the language
    to answer in; None when it names nothing (any more): the press is answered as expired.
    Otherwise the press is answered too, unless `answer` is False (the caller answers)."""
    query = update.callback_query
    if query is None or query.data is None:
        return None
    lang = await reply_language(update, context)
    found = find(query.data.removeprefix(prefix))
    if found is None:
        await query.answer(text(context, lang, "button_expired"), show_alert=True)
        return None
    if answer:
        await query.answer()
    return found, lang


async def expired(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a button whose data no longer means anything (old message, erased data)."""
    query = update.callback_query
    if query is not None:
        lang = await reply_language(update, context)
        await query.answer(text(context, lang, "button_expired"), show_alert=True)


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
