"""Answers for whatever no other handler claimed."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.handlers.groups import AnyApplication
from bot.handlers.services import reply_language, text


async def answer_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say the command is unknown and point to /help."""
    if update.effective_message is not None:
        lang = await reply_language(update, context)
        await update.effective_message.reply_text(text(context, lang, "unknown_command"))


async def answer_unsupported(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer stickers, voice notes, and photos without a caption (a caption is read as a
    question, in bot.handlers.faq)."""
    if update.effective_message is not None:
        lang = await reply_language(update, context)
        await update.effective_message.reply_text(text(context, lang, "unknown_input"))


async def answer_stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Tell the user an old or unknown button no longer works."""
    if update.callback_query is not None:
        lang = await reply_language(update, context)
        await update.callback_query.answer(text(context, lang, "button_expired"), show_alert=True)


def register(app: AnyApplication) -> None:
    """Register the catch-all handlers (call last)."""
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    app.add_handler(MessageHandler(private & filters.COMMAND, answer_unknown_command))
    app.add_handler(MessageHandler(private & ~filters.TEXT, answer_unsupported))
    app.add_handler(CallbackQueryHandler(answer_stale_button))
