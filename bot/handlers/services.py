"""The services handlers use, kept in bot_data and set up in post_init."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from bot import subscribers
from bot.clock import Clock
from bot.config import Settings
from bot.content.loader import Content
from bot.db.engine import Database
from bot.db.models import Subscriber
from bot.faq.matcher import FaqMatcher

SERVICES_KEY = "services"


@dataclass
class Services:
    """Everything long-lived the handlers need."""

    settings: Settings
    db: Database
    content: Content
    clock: Clock
    matcher: FaqMatcher


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """Return the services stored by post_init."""
    found = context.bot_data[SERVICES_KEY]
    assert isinstance(found, Services)
    return found


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
