"""Daily tip buttons (helpful, more on this topic) and /today."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, LinkPreviewOptions, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.admin import review
from bot.content.library import Library
from bot.content.models import Topic
from bot.content.transfer import tip_data
from bot.delivery import message, today
from bot.handlers.draft_mark import draft_mark
from bot.handlers.services import services, stored_subscriber, text
from bot.outbound.errors import ConnectFailed, ConnectTimedOut
from bot.schedule.choose import Skip

_SHOWN_KEY = "more_shown"


async def current_library(context: ContextTypes.DEFAULT_TYPE) -> Library:
    """The tips and program in use now (admins' edits included)."""
    svc = services(context)
    async with svc.db.session() as session:
        return await svc.live.library(session)


async def send_today(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send today's tip now (the same one the schedule gives today; one per day)."""
    chat = update.effective_chat
    if chat is None:
        return
    svc = services(context)
    sub, lang = await stored_subscriber(update, context)
    library = await current_library(context)
    now = svc.clock.now()
    async with svc.db.session() as session:
        found = await today.todays_tip(session, library, sub, now, svc.settings.default_timezone)
    choice, delivery_id = found.choice, found.delivery_id
    if isinstance(choice, Skip):
        await context.bot.send_message(chat.id, text(context, lang, "today_skipped"))
        return
    if found.on_its_way:
        # The scheduled send of today's tip is on the wire: it arrives in a moment.
        await context.bot.send_message(chat.id, text(context, lang, "today_on_its_way"))
        return
    catalogs = svc.content.catalogs
    body = message.tip_text(catalogs, choice, lang, hint=False)
    if sub is None or sub.consented_at is None:
        body = f"{body}\n\n{text(context, lang, 'today_not_subscribed')}"
    body += await draft_mark(update, context, lang, review.TIP, choice.id, tip_data(choice))
    try:
        sent = await context.bot.send_message(
            chat.id,
            body,
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
            reply_markup=InlineKeyboardMarkup.de_json(
                message.tip_keyboard(catalogs, choice, lang, delivery_id), context.bot
            ),
        )
    except Exception as error:
        if found.send_id is not None:
            status, reason = _failure(error)
            async with svc.db.session() as session:
                await today.record_outcome(
                    session, found.send_id, status, svc.clock.now(), reason=reason
                )
        raise
    if found.send_id is not None:
        async with svc.db.session() as session:
            await today.record_sent(session, found.send_id, sent.message_id, svc.clock.now())


def _failure(error: Exception) -> tuple[str, str]:
    """How /today's failed send is stored: the one rule for a send in doubt
    (bot/outbound/sender.py) applied to the errors python-telegram-bot raises."""
    if isinstance(error, ConnectTimedOut | ConnectFailed | RetryAfter):
        return "failed", type(error).__name__  # certainly not delivered: the tick retries
    if isinstance(error, Forbidden):
        return "blocked", "forbidden"
    if isinstance(error, BadRequest):
        return (
            "blocked" if "chat not found" in error.message.lower() else "rejected"
        ), "bad request"
    return "unknown", type(error).__name__  # may have arrived: never sent again


async def record_feedback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store a helpful / not helpful vote (replacing an earlier one), thank them, mark it."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or query.data is None or chat is None:
        return
    svc = services(context)
    _sub, lang = await stored_subscriber(update, context)
    parsed = message.parse_feedback(query.data)
    stored = False
    if parsed is not None:
        async with svc.db.session() as session:
            stored = await today.record_feedback(
                session, chat.id, parsed[0], parsed[1], svc.clock.now()
            )
    if not stored or parsed is None:
        await query.answer(text(context, lang, "button_expired"), show_alert=True)
        return
    delivery_id, helpful = parsed
    await query.answer(
        text(context, lang, "tip_feedback_helpful" if helpful else "tip_feedback_not_helpful")
    )
    # One vote per tip, the last one pressed: the keyboard shows which one counts.
    shown = query.message.reply_markup if isinstance(query.message, Message) else None
    if shown is None:
        return
    marked = message.mark_feedback(
        shown.to_dict(), svc.content.catalogs, lang, delivery_id, helpful
    )
    if marked is not None:
        await query.edit_message_reply_markup(InlineKeyboardMarkup.de_json(marked, context.bot))


async def more_on_topic(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send another tip on the same topic, one they have not had."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or query.data is None or chat is None:
        return
    svc = services(context)
    _sub, lang = await stored_subscriber(update, context)
    try:
        topic = Topic(query.data.removeprefix(message.MORE))
    except ValueError:
        await query.answer(text(context, lang, "button_expired"), show_alert=True)
        return
    shown: list[str] = (context.chat_data or {}).setdefault(_SHOWN_KEY, [])
    library = await current_library(context)
    async with svc.db.session() as session:
        tip = await today.more_on_topic(session, library, chat.id, topic, shown)
    if tip is None:
        await query.answer(text(context, lang, "tip_more_none"), show_alert=True)
        return
    await query.answer()
    shown.append(tip.id)
    del shown[:-50]
    catalogs = svc.content.catalogs
    await context.bot.send_message(
        chat.id,
        message.tip_text(catalogs, tip, lang, hint=False),
        parse_mode=ParseMode.HTML,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
        reply_markup=InlineKeyboardMarkup.de_json(
            message.tip_keyboard(catalogs, tip, lang, None), context.bot
        ),
    )


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register the daily tip's buttons and /today."""
    app.add_handler(CommandHandler("today", send_today, filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(record_feedback, pattern=f"^{message.FEEDBACK}"))
    app.add_handler(CallbackQueryHandler(more_on_topic, pattern=f"^{message.MORE}"))
