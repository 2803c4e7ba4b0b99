"""/start, the subscribe button, /help."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    filters,
)

from bot import subscribers
from bot.db.models import SubscriberStatus
from bot.handlers.services import language_of, services, text

SUBSCRIBE = "sub:yes"
HELP = "help"


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store the chat and greet: welcome, not-medical-advice notice, subscribe button."""
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    if chat is None or user is None or message is None:
        return
    svc = services(context)
    payload = context.args[0] if context.args else None
    async with svc.db.session() as session:
        outcome = await subscribers.record_start(
            session,
            chat_id=chat.id,
            user_id=user.id,
            language=language_of(update, context, None),
            source=payload,
            defaults=subscribers.Defaults(
                svc.settings.default_timezone, svc.settings.default_send_time
            ),
            now=svc.clock.now(),
        )
    sub = outcome.subscriber
    lang = sub.language
    if sub.status == SubscriberStatus.ACTIVE:
        reply = text(
            context,
            lang,
            "welcome_back",
            name=user.first_name,
            time=sub.send_time.strftime("%H:%M"),
            timezone=sub.timezone,
        )
        await message.reply_text(reply, parse_mode=ParseMode.HTML)
        return
    reply = "\n\n".join(
        (
            text(context, lang, "welcome", name=user.first_name),
            text(context, lang, "disclaimer"),
            text(context, lang, "consent"),
        )
    )
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    text(context, lang, "button_subscribe"), callback_data=SUBSCRIBE
                )
            ],
            [InlineKeyboardButton(text(context, lang, "button_help"), callback_data=HELP)],
        ]
    )
    await message.reply_text(reply, parse_mode=ParseMode.HTML, reply_markup=keyboard)


async def confirm_subscription(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Record consent and confirm when the first tip comes."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return
    svc = services(context)
    async with svc.db.session() as session:
        existing = await subscribers.find(session, chat.id)
        was_active = existing is not None and existing.status == SubscriberStatus.ACTIVE
        sub = await subscribers.subscribe(session, chat.id, svc.clock.now())
    if sub is None:
        lang = language_of(update, context, None)
        await query.answer(text(context, lang, "button_expired"), show_alert=True)
        return
    await query.answer()
    key = "already_subscribed" if was_active else "subscribed"
    reply = text(
        context, sub.language, key, time=sub.send_time.strftime("%H:%M"), timezone=sub.timezone
    )
    if query.message is not None and not was_active:
        # Take the button away so an old welcome cannot be pressed again.
        await query.edit_message_reply_markup(reply_markup=None)
    await context.bot.send_message(chat.id, reply, parse_mode=ParseMode.HTML)


async def show_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List what the bot can do."""
    chat = update.effective_chat
    if chat is None:
        return
    if update.callback_query is not None:
        await update.callback_query.answer()
    svc = services(context)
    async with svc.db.session() as session:
        sub = await subscribers.find(session, chat.id)
    lang = language_of(update, context, sub.language if sub else None)
    await context.bot.send_message(chat.id, text(context, lang, "help"), parse_mode=ParseMode.HTML)


async def track_block(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Mark a subscriber blocked the moment they block the bot (unblocking + /start restores)."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    if change.new_chat_member.status in ("kicked", "left"):
        svc = services(context)
        async with svc.db.session() as session:
            await subscribers.mark_blocked(session, change.chat.id, svc.clock.now())


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register onboarding handlers."""
    app.add_handler(ChatMemberHandler(track_block, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(CommandHandler("start", start, filters=filters.ChatType.PRIVATE))
    app.add_handler(CommandHandler("help", show_help, filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(confirm_subscription, pattern=f"^{SUBSCRIBE}$"))
    app.add_handler(CallbackQueryHandler(show_help, pattern=f"^{HELP}$"))
