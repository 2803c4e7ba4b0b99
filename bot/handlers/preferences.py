"""/time, /language, /pause, /resume, /stop (and STOP typed as text)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import subscribers
from bot.db.models import Subscriber
from bot.handlers.services import reply_language, services, stored_subscriber, text
from bot.timeparse import parse_time

TIME = "time:"  # time:HHMM
LANG = "lang:"  # lang:<code>
PAUSE = "pause:"  # pause:<days>, 0 = until resumed
STOP_YES, STOP_NO = "stop:yes", "stop:no"
QUICK_SLOTS = ("07:00", "08:00", "12:30", "20:00", "21:30")
LANGUAGE_NAMES = {"en": "English", "ms": "Bahasa Melayu"}
_AWAITING = "awaiting"


def _when(sub: Subscriber) -> dict[str, str]:
    return {"time": sub.send_time.strftime("%H:%M"), "timezone": sub.timezone}


async def _reply(
    update: Update, context: ContextTypes.DEFAULT_TYPE, message: str, **kw: Any
) -> None:
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_message(chat.id, message, parse_mode=ParseMode.HTML, **kw)


async def _not_subscribed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _reply(
        update, context, text(context, await reply_language(update, context), "need_subscription")
    )


async def ask_delivery_time(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer quick time slots and accept a typed time next."""
    sub, _ = await stored_subscriber(update, context)
    if sub is None or sub.consented_at is None:
        await _not_subscribed(update, context)
        return
    if context.chat_data is not None:
        context.chat_data[_AWAITING] = "time"
    slots = [
        InlineKeyboardButton(slot, callback_data=f"{TIME}{slot.replace(':', '')}")
        for slot in QUICK_SLOTS
    ]
    await _reply(
        update,
        context,
        text(context, sub.language, "time_prompt", **_when(sub)),
        reply_markup=InlineKeyboardMarkup([slots[:3], slots[3:]]),
    )


async def set_delivery_time(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store the time from a quick-slot button."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    await query.answer()
    await _store_time(update, context, parse_time(query.data.removeprefix(TIME)))


async def read_typed_time(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """After /time, read a typed time; other text goes on to the FAQ."""
    message = update.effective_message
    if context.chat_data is None or context.chat_data.get(_AWAITING) != "time":
        return
    if message is None or message.text is None:
        return
    typed = message.text.strip()
    parsed = parse_time(typed)
    looks_like_time = len(typed) <= 12 and any(ch.isdigit() for ch in typed)
    if parsed is None and not looks_like_time:
        context.chat_data.pop(_AWAITING, None)
        return  # not an answer to /time: let the FAQ handle it
    if parsed is None:
        await _reply(
            update, context, text(context, await reply_language(update, context), "time_invalid")
        )
        raise ApplicationHandlerStop
    await _store_time(update, context, parsed)
    raise ApplicationHandlerStop


async def _store_time(
    update: Update, context: ContextTypes.DEFAULT_TYPE, new_time: dt.time | None
) -> None:
    chat = update.effective_chat
    if chat is None or new_time is None:
        return
    svc = services(context)
    try:
        async with svc.db.session() as session:
            sub = await subscribers.set_send_time(session, chat.id, new_time, svc.clock.now())
    except subscribers.NotSubscribed:
        await _not_subscribed(update, context)
        return
    if context.chat_data is not None:
        context.chat_data.pop(_AWAITING, None)
    await _reply(update, context, text(context, sub.language, "time_set", **_when(sub)))


async def ask_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer the languages."""
    buttons = [
        InlineKeyboardButton(name, callback_data=f"{LANG}{code}")
        for code, name in LANGUAGE_NAMES.items()
    ]
    lang = await reply_language(update, context)
    markup = InlineKeyboardMarkup([buttons])
    await _reply(update, context, text(context, lang, "language_prompt"), reply_markup=markup)


async def set_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store the chosen language and confirm in it."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or query.data is None or chat is None:
        return
    code = query.data.removeprefix(LANG)
    svc = services(context)
    if code not in svc.content.catalogs.languages:
        await query.answer(text(context, "en", "button_expired"), show_alert=True)
        return
    await query.answer()
    async with svc.db.session() as session:
        sub = await subscribers.set_language(session, chat.id, code, svc.clock.now())
    if sub is None:
        await _reply(update, context, text(context, code, "need_subscription"))
        return
    await _reply(update, context, text(context, code, "language_set"))


async def ask_pause(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer how long to pause."""
    lang = await reply_language(update, context)
    rows = [
        [InlineKeyboardButton(text(context, lang, "button_pause_day"), callback_data=f"{PAUSE}1")],
        [InlineKeyboardButton(text(context, lang, "button_pause_week"), callback_data=f"{PAUSE}7")],
        [InlineKeyboardButton(text(context, lang, "button_pause_open"), callback_data=f"{PAUSE}0")],
    ]
    markup = InlineKeyboardMarkup(rows)
    await _reply(update, context, text(context, lang, "pause_prompt"), reply_markup=markup)


async def pause_tips(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Pause for the chosen time."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or query.data is None or chat is None:
        return
    await query.answer()
    days = int(query.data.removeprefix(PAUSE)) if query.data[len(PAUSE) :].isdigit() else 0
    svc = services(context)
    now = svc.clock.now()
    until = now + dt.timedelta(days=days) if days else None
    try:
        async with svc.db.session() as session:
            sub = await subscribers.pause(session, chat.id, until, now)
    except subscribers.NotSubscribed:
        await _not_subscribed(update, context)
        return
    if until is None:
        await _reply(update, context, text(context, sub.language, "paused_open"))
        return
    local = until.astimezone(ZoneInfo(sub.timezone)).strftime("%d/%m/%Y")
    await _reply(update, context, text(context, sub.language, "paused_until", date=local))


async def resume_tips(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start tips again."""
    chat = update.effective_chat
    if chat is None:
        return
    svc = services(context)
    try:
        async with svc.db.session() as session:
            sub = await subscribers.resume(session, chat.id, svc.clock.now())
    except subscribers.NotSubscribed:
        await _not_subscribed(update, context)
        return
    await _reply(update, context, text(context, sub.language, "resumed", **_when(sub)))


async def ask_stop(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask once before unsubscribing."""
    lang = await reply_language(update, context)
    rows = [
        [InlineKeyboardButton(text(context, lang, "button_stop_yes"), callback_data=STOP_YES)],
        [InlineKeyboardButton(text(context, lang, "button_cancel"), callback_data=STOP_NO)],
    ]
    markup = InlineKeyboardMarkup(rows)
    await _reply(update, context, text(context, lang, "stop_confirm"), reply_markup=markup)


async def confirm_stop(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Unsubscribe after the confirmation (or keep everything on cancel)."""
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    if query.data == STOP_NO:
        await query.edit_message_text(
            text(context, await reply_language(update, context), "stop_cancelled")
        )
        return
    await stop_now(update, context)


async def stop_now(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Unsubscribe at once (the confirmed /stop, or STOP / BERHENTI typed)."""
    chat = update.effective_chat
    if chat is None:
        return
    svc = services(context)
    try:
        async with svc.db.session() as session:
            sub = await subscribers.unsubscribe(session, chat.id, svc.clock.now())
    except subscribers.NotSubscribed:
        await _not_subscribed(update, context)
        raise ApplicationHandlerStop from None
    await _reply(update, context, text(context, sub.language, "stopped"))
    raise ApplicationHandlerStop


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register preference handlers; typed answers run in group -1, before the FAQ."""
    app.add_handler(CommandHandler("time", ask_delivery_time, filters=filters.ChatType.PRIVATE))
    app.add_handler(CommandHandler("language", ask_language, filters=filters.ChatType.PRIVATE))
    app.add_handler(CommandHandler("pause", ask_pause, filters=filters.ChatType.PRIVATE))
    app.add_handler(CommandHandler("resume", resume_tips, filters=filters.ChatType.PRIVATE))
    app.add_handler(CommandHandler("stop", ask_stop, filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(set_delivery_time, pattern=f"^{TIME}[0-9]{{4}}$"))
    app.add_handler(CallbackQueryHandler(set_language, pattern=f"^{LANG}"))
    app.add_handler(CallbackQueryHandler(pause_tips, pattern=f"^{PAUSE}"))
    app.add_handler(CallbackQueryHandler(confirm_stop, pattern=f"^({STOP_YES}|{STOP_NO})$"))
    private_text = (
        filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
    )
    stop_words = filters.Regex(r"(?i)^\s*(stop|berhenti)\s*[.!]*\s*$")
    app.add_handler(MessageHandler(private_text & stop_words, stop_now), group=-1)
    app.add_handler(MessageHandler(private_text, read_typed_time), group=-2)
