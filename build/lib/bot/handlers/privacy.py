"""/privacy, /mydata and /deletemydata: what the bot stores, see it, erase it."""

from __future__ import annotations

import json
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    filters,
)

from bot.admin import inbox
from bot.handlers.services import (
    expired,
    language_of,
    reply_language,
    services,
    stored_subscriber,
    text,
)
from bot.subscribers import consent
from bot.subscribers import store as subscribers

ERASE = "erase:yes"
KEEP = "erase:no"
ERASED_AT = "erased_at_message"  # chat_data: the erase confirmation's message id


async def explain_privacy(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say what is stored, why, for how long, and how to see and erase it."""
    chat = update.effective_chat
    if chat is None:
        return
    lang = await reply_language(update, context)
    await context.bot.send_message(
        chat.id,
        text(context, lang, "privacy", clinic=services(context).settings.clinic_name),
        parse_mode=ParseMode.HTML,
    )


async def send_my_data(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send everything stored about the user as a JSON document."""
    chat = update.effective_chat
    if chat is None:
        return
    svc = services(context)
    async with svc.db.session() as session:
        sub = await subscribers.find(session, chat.id)
        everything = await subscribers.export_all(session, sub) if sub else None
        # Questions sent to the clinic team, and what was agreed to (#15).
        asked = await inbox.export(session, chat.id)
        agreed = await consent.export(session, chat.id)
    if asked or agreed:
        everything = {**(everything or {}), "questions_to_the_team": asked, "consents": agreed}
    lang = language_of(update, context, sub.language if sub else None)
    if everything is None:
        await context.bot.send_message(chat.id, text(context, lang, "mydata_none"))
        return
    document = json.dumps(everything, indent=2, ensure_ascii=False).encode()
    await context.bot.send_document(
        chat.id,
        InputFile(document, filename="gutskin-my-data.json"),
        caption=text(context, lang, "mydata_caption"),
    )


async def ask_to_erase(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask for confirmation before erasing the user's data."""
    chat = update.effective_chat
    if chat is None:
        return
    sub, lang = await stored_subscriber(update, context)
    async with services(context).db.session() as session:
        asked = await inbox.has_any(session, chat.id)
    if sub is None and not asked:
        await context.bot.send_message(chat.id, text(context, lang, "mydata_none"))
        return
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(text(context, lang, "button_erase_yes"), callback_data=ERASE)],
            [InlineKeyboardButton(text(context, lang, "button_cancel"), callback_data=KEEP)],
        ]
    )
    await context.bot.send_message(
        chat.id,
        text(context, lang, "erase_confirm"),
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard,
    )


async def erase_my_data(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Erase every personal row after the user confirmed (or keep it if they cancelled)."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return
    if query.data not in (ERASE, KEEP):
        await expired(update, context)
        return
    svc = services(context)
    async with svc.db.session() as session:
        sub = await subscribers.find(session, chat.id)
        lang = language_of(update, context, sub.language if sub else None)
        if query.data == KEEP:
            await query.answer()
            await query.edit_message_text(text(context, lang, "erase_cancelled"))
            return
        erased = await subscribers.erase(session, chat.id)
        # Questions to the clinic team and every consent record go too.
        erased = bool(await inbox.erase(session, chat.id)) or erased
    if not erased:
        # A second tap of a confirmation already done (or an old one): say so, and leave
        # the message as the first tap left it.
        await query.answer(text(context, lang, "mydata_none"))
        return
    await query.answer()
    if context.chat_data is not None:
        context.chat_data.clear()
        if query.message is not None:
            # An "I agree" on a welcome from before the erasure must not store them again.
            context.chat_data[ERASED_AT] = query.message.message_id
    await query.edit_message_text(text(context, lang, "erased"))


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register the privacy handlers."""
    app.add_handler(CommandHandler("privacy", explain_privacy, filters=filters.ChatType.PRIVATE))
    app.add_handler(CommandHandler("mydata", send_my_data, filters=filters.ChatType.PRIVATE))
    app.add_handler(CommandHandler("deletemydata", ask_to_erase, filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(erase_my_data, pattern=f"^({ERASE}|{KEEP})$"))
