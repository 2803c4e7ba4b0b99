"""/time, /language, /pause, /resume, /stop (and STOP typed as text).

The time, language and pause choices are also steps of onboarding and of /settings: their
buttons carry the flow ("time:o:0730"), and `after_change` decides what follows.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, Update
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.db.models import Subscriber
from bot.handlers import flows
from bot.handlers.flows import Flow
from bot.handlers.groups import AnyApplication, Group
from bot.handlers.services import (
    expired,
    kept,
    language_name,
    reply_language,
    send,
    services,
    text,
    when,
)
from bot.handlers.steps import Asked, as_command, step_prompt, store_step, store_value
from bot.subscribers import store as subscribers
from bot.subscribers.timeparse import parse_time

TIME = "time:"  # time:<flow>:HHMM | time:<flow>:skip
LANG = "lang:"  # lang:<flow>:<code> | lang:<flow>:skip
PAUSE = "pause:"  # pause:<flow>:<days>, 0 = until resumed
STOP_YES, STOP_NO = "stop:yes", "stop:no"
QUICK_SLOTS = ("07:00", "08:00", "12:30", "20:00", "21:30")
SKIP = "skip"


# -- time ---------------------------------------------------------------------------------


@step_prompt
async def ask_time(update: Update, context: ContextTypes.DEFAULT_TYPE, asked: Asked) -> None:
    """Show the time prompt for a flow (a command, an onboarding step, the settings screen)."""
    flow, sub, note, lang = asked.flow, asked.sub, asked.note, asked.lang
    slots = [
        InlineKeyboardButton(slot, callback_data=f"{TIME}{flow}:{slot.replace(':', '')}")
        for slot in QUICK_SLOTS
    ]
    prompt = text(context, lang, "time_prompt", **when(context, sub))
    prompt = flows.framed(context, lang, flow, "time", prompt, note)
    markup = flows.keyboard([slots[:3], slots[3:]], flows.last_row(context, lang, flow, TIME))
    prompt_id = await flows.present(update, context, flow, prompt, markup)
    flows.await_answer(context, "time", flow, prompt_id)


async def set_delivery_time(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store the time from a quick-slot button (or keep it: Skip)."""
    query = update.callback_query
    if query is None:
        return
    flow, value = flows.split_data(query.data, TIME)
    new_time = None if value == SKIP else parse_time(value)
    if value != SKIP and (new_time is None or not value.isdigit()):
        await expired(update, context)
        return
    await flows.stop_awaiting(update, context)
    await store_value(
        update, context, flow, "time", new_time, subscribers.set_send_time, "time_set"
    )


async def read_typed_time(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """After a time prompt, read a typed time; other text goes on to the FAQ."""
    message = update.effective_message
    flow = flows.awaiting(context, "time")
    if flow is None or message is None or message.text is None:
        return
    typed = message.text.strip()
    parsed = parse_time(typed)
    looks_like_time = len(typed) <= 12 and any(ch.isdigit() for ch in typed)
    if parsed is None and not looks_like_time:
        await flows.stop_awaiting(update, context)
        return  # not an answer to the prompt: let the FAQ handle it
    if parsed is None:
        lang = await reply_language(update, context)
        await send(update, context, text(context, lang, "time_invalid"))
        raise ApplicationHandlerStop
    await flows.stop_awaiting(update, context, drop_buttons=True)
    await store_value(update, context, flow, "time", parsed, subscribers.set_send_time, "time_set")
    raise ApplicationHandlerStop


# -- language -----------------------------------------------------------------------------


async def ask_language_in(
    update: Update, context: ContextTypes.DEFAULT_TYPE, flow: Flow, note: str | None = None
) -> None:
    """Show the language choice for a flow."""
    buttons = [
        InlineKeyboardButton(language_name(context, code), callback_data=f"{LANG}{flow}:{code}")
        for code in services(context).content.catalogs.languages
    ]
    lang = await reply_language(update, context)
    prompt = flows.framed(
        context, lang, flow, "language", text(context, lang, "language_prompt"), note
    )
    markup = flows.keyboard([buttons], flows.last_row(context, lang, flow, LANG))
    await flows.present(update, context, flow, prompt, markup)


async def set_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store the chosen language and confirm in it."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return
    flow, code = flows.split_data(query.data, LANG)
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
    await flows.after_change(update, context, flow, sub, "language", confirmation)


# -- pause, resume, stop --------------------------------------------------------------------


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
    markup = flows.keyboard(
        rows, flows.last_row(context, lang, flow, PAUSE) if flow == Flow.SETTINGS else []
    )
    await flows.present(update, context, flow, text(context, lang, "pause_prompt"), markup)


async def pause_tips(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Pause for the chosen time."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return
    flow, value = flows.split_data(query.data, PAUSE)
    if value not in ("0", "1", "7"):
        await expired(update, context)
        return
    days = int(value)
    until: dt.datetime | None = None

    async def change(session: AsyncSession, chat_id: int, now: dt.datetime) -> Subscriber:
        nonlocal until
        until = now + dt.timedelta(days=days) if days else None
        return await subscribers.pause(session, chat_id, until, now)

    def confirm(sub: Subscriber) -> str:
        if until is None:
            return text(context, sub.language, "paused_open")
        local = until.astimezone(ZoneInfo(sub.timezone)).strftime("%d/%m/%Y")
        return text(context, sub.language, "paused_until", date=local)

    await store_step(update, context, flow, "pause", change, confirm)


async def resume_in(update: Update, context: ContextTypes.DEFAULT_TYPE, flow: Flow) -> None:
    """Start tips again, then go on in a flow (a command, or the settings screen)."""

    await store_step(update, context, flow, "resume", subscribers.resume, "resumed", answer=False)


async def ask_stop(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask once before unsubscribing."""
    lang = await reply_language(update, context)
    rows = [
        [InlineKeyboardButton(text(context, lang, "button_stop_yes"), callback_data=STOP_YES)],
        [InlineKeyboardButton(text(context, lang, "button_cancel"), callback_data=STOP_NO)],
    ]
    await send(update, context, text(context, lang, "stop_confirm"), flows.keyboard(rows, []))


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
    await flows.stop_awaiting(update, context)
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


def register(app: AnyApplication) -> None:
    """Register preference handlers; typed answers run in groups -2 and -1, before the FAQ."""
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("time", as_command(ask_time), filters=private))
    app.add_handler(CommandHandler("language", as_command(ask_language_in), filters=private))
    app.add_handler(CommandHandler("pause", as_command(ask_pause_in), filters=private))
    app.add_handler(CommandHandler("resume", as_command(resume_in), filters=private))
    app.add_handler(CommandHandler("stop", ask_stop, filters=private))
    app.add_handler(CallbackQueryHandler(set_delivery_time, pattern=f"^{TIME}"))
    app.add_handler(CallbackQueryHandler(set_language, pattern=f"^{LANG}"))
    app.add_handler(CallbackQueryHandler(pause_tips, pattern=f"^{PAUSE}"))
    app.add_handler(CallbackQueryHandler(confirm_stop, pattern=f"^({STOP_YES}|{STOP_NO})$"))
    # Only what the user typed themselves: a forwarded "STOP" or "7pm" changes nothing.
    typed = private & filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
    typed &= ~filters.FORWARDED
    app.add_handler(
        MessageHandler(typed & filters.Regex(flows.STOP_WORDS), stop_now), group=Group.STOP_WORDS
    )
    app.add_handler(MessageHandler(typed, read_typed_time), group=Group.TYPED_TIME)
