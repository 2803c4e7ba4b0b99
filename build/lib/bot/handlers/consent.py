"""The consent notice before subscribing (in English and Malay, one tap apart)."""

from __future__ import annotations

import re
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot.handlers.services import expired, services, text
from bot.subscribers.consent import agree_data

NOTICE = "notice:"  # notice:<language>[:<source>]: show the notice in that language
HELP = "help"  # onboarding's "What can you do?"
_NOTICE = re.compile(r"^notice:(?P<lang>[a-z]{2})(?::(?P<source>[A-Za-z0-9_-]{1,53}))?$")


def consent_screen(
    context: ContextTypes.DEFAULT_TYPE, lang: str, name: str, source: str | None
) -> tuple[str, InlineKeyboardMarkup]:
    """Return the welcome with the consent notice, "I agree", help and the other language."""
    svc = services(context)
    body = "\n\n".join(
        (
            text(context, lang, "welcome", name=name),
            text(context, lang, "disclaimer"),
            text(context, lang, "consent", clinic=svc.settings.clinic_name),
        )
    )
    agree = agree_data(lang, source)
    other = next((code for code in svc.content.catalogs.languages if code != lang), None)
    rows = [
        [InlineKeyboardButton(text(context, lang, "button_subscribe"), callback_data=agree)],
        [InlineKeyboardButton(text(context, lang, "button_help"), callback_data=HELP)],
    ]
    if other is not None:
        switch = f"{NOTICE}{other}" + agree.removeprefix(f"sub:yes:{lang}")
        label = text(context, lang, "button_notice_language")
        rows.append([InlineKeyboardButton(label, callback_data=switch[:64])])
    return body, InlineKeyboardMarkup(rows)


async def show_notice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the same welcome and notice in the other language, in place."""
    query, user = update.callback_query, update.effective_user
    found = _NOTICE.match(query.data or "") if query is not None else None
    if query is None or user is None or found is None:
        await expired(update, context)
        return
    lang = found["lang"]
    if lang not in services(context).content.catalogs.languages:
        await expired(update, context)
        return
    await query.answer()
    body, markup = consent_screen(context, lang, user.first_name, found["source"])
    await query.edit_message_text(body, parse_mode=ParseMode.HTML, reply_markup=markup)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register the notice's language switch."""
    app.add_handler(CallbackQueryHandler(show_notice, pattern=f"^{NOTICE}"))
