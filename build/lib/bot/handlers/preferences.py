"""/time, /language, /pause, /resume, /stop (and STOP typed as text).

The time, language and pause choices are also steps of onboarding and of /settings: their
buttons carry the flow ("time:o:0730"), and `after_change` decides what follows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.handlers.groups import Group
from bot.handlers.services import (
    STOP_WORDS,
    Flow,
    acknowledge,
    after_change,
    await_answer,
    awaiting,
    expired,
    framed,
    kept,
    keyboard,
    language_name,
    last_row,
    present,
    reply_language,
    send,
    services,
    split_data,
    stop_awaiting,
    stored_subscriber,
    text,
    when,
)
from bot.subscribers import store as subscribers
from bot.subscribers.timeparse import parse_time

TIME = "time:"  # time:<flow>:HHMM | time:<flow>:skip
LANG = "lang:"  # lang:<flow>:<code> | lang:<flow>:skip
PAUSE = "pause:"  # pause:<flow>:<days>, 0 = until resumed
STOP_YES, STOP_NO = "stop:yes", "stop:no"
QUICK_SLOTS = ("07:00", "08:00", "12:30", "20:00", "21:30")
SKIP = "skip"


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


# -- time ---------------------------------------------------------------------------------


async def ask_delivery_time(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer quick time slots and accept a typed time next."""
    await ask_time(update, context, Flow.COMMAND)


async def ask_time(
    update: Update, context: ContextTypes.DEFAULT_TYPE, flow: Flow, note: str | None = None
) -> None:
    """Show the time prompt for a flow (a command, an onboarding step, the settings screen)."""
    sub, _ = await stored_subscriber(update, context)
    if sub is None or sub.consented_at is None:
        await not_subscribed(update, context)
        return
    lang = sub.language
    slots = [
        InlineKeyboardButton(slot, callback_data=f"{TIME}{flow}:{slot.replace(':', '')}")
        for slot in QUICK_SLOTS
    ]
    prompt = text(context, lang, "time_prompt", **when(context, sub))
    prompt = framed(context, lang, flow, "time", prompt, note)
    markup = keyboard([slots[:3], slots[3:]], last_row(context, lang, flow, TIME))
    prompt_id = await present(update, context, flow, prompt, markup)
    await_answer(context, "time", flow, prompt_id)


async def set_delivery_time(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store the time from a quick-slot button (or keep it: Skip)."""
    query = update.callback_query
    if query is None:
        return
    flow, value = split_data(query.data, TIME)
    new_time = None if value == SKIP else parse_time(value)
    if value != SKIP and (new_time is None or not value.isdigit()):
        await expired(update, context)
        return
    await stop_awaiting(update, context)
    await _store_time(update, context, flow, new_time)


async def read_typed_time(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """After a time prompt, read a typed time; other text goes on to the FAQ."""
    message = update.effective_message
    flow = awaiting(context, "time")
    if flow is None or message is None or message.text is None:
        return
    typed = message.text.strip()
    parsed = parse_time(typed)
    looks_like_time = len(typed) <= 12 and any(ch.isdigit() for ch in typed)
    if parsed is None and not looks_like_time:
        await stop_awaiting(update, context)
        return  # not an answer to the prompt: let the FAQ handle it
    if parsed is None:
        lang = await reply_language(update, context)
        await send(update, context, text(context, lang, "time_invalid"))
        raise ApplicationHandlerStop
    await stop_awaiting(update, context, drop_buttons=True)
    await _store_time(update, context, flow, parsed)
    raise ApplicationHandlerStop


async def _store_time(
    update: Update, context: ContextTypes.DEFAULT_TYPE, flow: Flow, new_time: dt.time | None
) -> None:
    """Store a new time (None keeps the current one) and go on."""
    chat = update.effective_chat
    if chat is None:
        return
    svc = services(context)
    try:
        async with svc.db.session() as session:
            if new_time is None:
                sub = await subscribers.current(session, chat.id)
            else:
                sub = await subscribers.set_send_time(session, chat.id, new_time, svc.clock.now())
    except subscribers.NotSubscribed:
        await not_subscribed(update, context)
        return
    await acknowledge(update)
    if new_time is None:
        confirmation = kept(context, sub, "time")
    else:
        confirmation = text(context, sub.language, "time_set", **when(context, sub))
    await after_change(update, context, flow, sub, "time", confirmation)


# -- language -----------------------------------------------------------------------------


async def ask_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer the languages."""
    await ask_language_in(update, context, Flow.COMMAND)


async def ask_language_in(
    update: Update, context: ContextTypes.DEFAULT_TYPE, flow: Flow, note: str | None = None
) -> None:
    """Show the language choice for a flow."""
    buttons = [
        InlineKeyboardButton(language_name(context, code), callback_data=f"{LANG}{flow}:{code}")
        for code in services(context).content.catalogs.languages
    ]
    lang = await reply_language(update, context)
    prompt = framed(context, lang, flow, "language", text(context, lang, "language_prompt"), note)
    markup = keyboard([buttons], last_row(context, lang, flow, LANG))
    await present(update, context, flow, prompt, markup)


async def set_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store the chosen language and confirm in it."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return
    flow, code = split_data(query.data, LANG)
    svc = services(context)
    if code != SKIP and code not in svc.content.catalogs.languages:
        await expired(update, context)
        return
    async with svc.db.session() as session:
        if code == SKIP:
            sub = await subscribers.find(session, chat.id)
        else:
            sub = await subscribers.set_language(session, chat.id, code, svc.clock.now())
    if sub is None and flow != Flow.COMMAND:  # a button from a subscription since erased
        await expired(update, context)
        return
    if sub is None:
        # Nothing is stored before "I agree" (#15), not even a language: say so, in it.
        lang = code if code != SKIP else await reply_language(update, context)
        await query.answer(text(context, lang, "need_subscription"), show_alert=True)
        return
    await query.answer()
    if code == SKIP:
        confirmation = kept(context, sub, "language")
    else:
        confirmation = text(context, sub.language, "language_set")
    if sub.consented_at is None:  # chose a language before subscribing: nothing more to do
        await send(update, context, confirmation)
        return
    await after_change(update, context, flow, sub, "language", confirmation)


# -- pause, resume, stop --------------------------------------------------------------------


async def ask_pause(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer how long to pause."""
    await ask_pause_in(update, context, Flow.COMMAND)


async def ask_pause_in(update: Update, context: ContextTypes.DEFAULT_TYPE, flow: Flow) -> None:
    """Show the pause choices for a flow."""
    lang = await reply_language(update, context)
    rows = [
        [InlineKeyboardButton(text(context, lang, key), callback_data=f"{PAUSE}{flow}:{days}")]
        for key, days in (
            ("button_pause_day", 1),
            ("button_pause_week", 7),
            ("button_pause_open", 0),
        )
    ]
    markup = keyboard(rows, last_row(context, lang, flow, PAUSE) if flow == Flow.SETTINGS else [])
    await present(update, context, flow, text(context, lang, "pause_prompt"), markup)


async def pause_tips(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Pause for the chosen time."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return
    flow, value = split_data(query.data, PAUSE)
    if value not in ("0", "1", "7"):
        await expired(update, context)
        return
    days = int(value)
    svc = services(context)
    now = svc.clock.now()
    until = now + dt.timedelta(days=days) if days else None
    try:
        async with svc.db.session() as session:
            sub = await subscribers.pause(session, chat.id, until, now)
    except subscribers.NotSubscribed:
        await not_subscribed(update, context)
        return
    await query.answer()
    if until is None:
        confirmation = text(context, sub.language, "paused_open")
    else:
        local = until.astimezone(ZoneInfo(sub.timezone)).strftime("%d/%m/%Y")
        confirmation = text(context, sub.language, "paused_until", date=local)
    await after_change(update, context, flow, sub, "pause", confirmation)


async def resume_tips(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start tips again."""
    await resume_in(update, context, Flow.COMMAND)


async def resume_in(update: Update, context: ContextTypes.DEFAULT_TYPE, flow: Flow) -> None:
    """Start tips again, then go on in a flow (a command, or the settings screen)."""
    chat = update.effective_chat
    if chat is None:
        return
    svc = services(context)
    try:
        async with svc.db.session() as session:
            sub = await subscribers.resume(session, chat.id, svc.clock.now())
    except subscribers.NotSubscribed:
        await not_subscribed(update, context)
        return
    confirmation = text(context, sub.language, "resumed", **when(context, sub))
    await after_change(update, context, flow, sub, "resume", confirmation)


async def ask_stop(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask once before unsubscribing."""
    lang = await reply_language(update, context)
    rows = [
        [InlineKeyboardButton(text(context, lang, "button_stop_yes"), callback_data=STOP_YES)],
        [InlineKeyboardButton(text(context, lang, "button_cancel"), callback_data=STOP_NO)],
    ]
    await send(update, context, text(context, lang, "stop_confirm"), keyboard(rows, []))


async def confirm_stop(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Unsubscribe after the confirmation (or keep everything on cancel)."""
    query = update.callback_query
    if query is None:
        return
    if query.data not in (STOP_YES, STOP_NO):
        await expired(update, context)
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
    await stop_awaiting(update, context)
    svc = services(context)
    try:
        async with svc.db.session() as session:
            sub = await subscribers.unsubscribe(session, chat.id, svc.clock.now())
    except subscribers.NotSubscribed:
        lang = await reply_language(update, context)
        await send(update, context, text(context, lang, "need_subscription"))
        raise ApplicationHandlerStop from None
    await send(update, context, text(context, sub.language, "stopped"))
    raise ApplicationHandlerStop


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register preference handlers; typed answers run in groups -2 and -1, before the FAQ."""
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("time", ask_delivery_time, filters=private))
    app.add_handler(CommandHandler("language", ask_language, filters=private))
    app.add_handler(CommandHandler("pause", ask_pause, filters=private))
    app.add_handler(CommandHandler("resume", resume_tips, filters=private))
    app.add_handler(CommandHandler("stop", ask_stop, filters=private))
    app.add_handler(CallbackQueryHandler(set_delivery_time, pattern=f"^{TIME}"))
    app.add_handler(CallbackQueryHandler(set_language, pattern=f"^{LANG}"))
    app.add_handler(CallbackQueryHandler(pause_tips, pattern=f"^{PAUSE}"))
    app.add_handler(CallbackQueryHandler(confirm_stop, pattern=f"^({STOP_YES}|{STOP_NO})$"))
    # Only what the user typed themselves: a forwarded "STOP" or "7pm" changes nothing.
    typed = private & filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
    typed &= ~filters.FORWARDED
    app.add_handler(
        MessageHandler(typed & filters.Regex(STOP_WORDS), stop_now), group=Group.STOP_WORDS
    )
    app.add_handler(MessageHandler(typed, read_typed_time), group=Group.TYPED_TIME)
