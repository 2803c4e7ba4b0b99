"""Ask the clinic team (patient side): after the honest no-answer reply, or an urgent or
crisis reply, a patient may opt in to a reply from a person.

Until they agree, nothing links the question to them: the unanswered question waits in this
process's memory only (a few per chat, never in the database), and an urgent or crisis
message is never kept: after agreeing, the patient types what they want the team to know.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.admin import inbox
from bot.db.models import InboxItem
from bot.faq.urgent import detect_urgent
from bot.handlers.services import expired, reply_language, services, text

ASK = "team:"  # team:<kind>: show the opt-in
AGREE = "teamok:"  # teamok:<kind>
CANCEL = "teamno"
INPUT_GROUP = -8  # before every other typed-text handler, and only while a chat waits

_HELD = "inbox_held"  # chat_data: {reply message id: (question, language)}, newest last
_SENT = "inbox_sent"  # chat_data: replies whose question went to the team (double taps)
_WAITING = "inbox_waiting"  # chat_data: the kind whose message the patient is to type
PURGE_SECONDS = 3600
_KEEP = 5  # unanswered questions held per chat, for a while, in case they ask the team

log = logging.getLogger(__name__)


def ask_team_row(
    context: ContextTypes.DEFAULT_TYPE, lang: str, kind: str
) -> list[InlineKeyboardButton]:
    """The "Ask the clinic team" button under a reply of this kind."""
    return [
        InlineKeyboardButton(text(context, lang, "button_ask_team"), callback_data=f"{ASK}{kind}")
    ]


def hold_question(
    context: ContextTypes.DEFAULT_TYPE, reply_id: int, question: str, lang: str
) -> None:
    """Keep an unanswered question in memory, by the reply that offers the team, for a while."""
    if context.chat_data is None:
        return
    held: dict[int, tuple[str, str]] = context.chat_data.setdefault(_HELD, {})
    held[reply_id] = (question, lang)
    for old in list(held)[:-_KEEP]:
        del held[old]


async def offer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain what asking the team stores, with an explicit "I agree"."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    kind = (query.data or "").removeprefix(ASK)
    if kind not in inbox.KINDS:
        await expired(update, context)
        return
    await query.answer()
    lang = await reply_language(update, context)
    svc = services(context)
    held = kind == "unanswered"
    key = "inbox_consent" if held else "inbox_consent_type"
    body = text(
        context,
        lang,
        key,
        clinic=svc.settings.clinic_name,
        days=svc.settings.inbox_retention_days,
    )
    agree_key = "button_inbox_agree" if held else "button_inbox_agree_type"
    # The held question is found again by the message the first button was under.
    data = f"{AGREE}{kind}:{query.message.message_id}" if held else f"{AGREE}{kind}"
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(text(context, lang, agree_key), callback_data=data)],
            [
                InlineKeyboardButton(
                    text(context, lang, "button_inbox_cancel"), callback_data=CANCEL
                )
            ],
        ]
    )
    await context.bot.send_message(
        query.message.chat.id, body, parse_mode=ParseMode.HTML, reply_markup=markup
    )


async def agree(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store the held question with the chat (or ask the patient to type one), then confirm."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None or context.chat_data is None:
        return
    kind, _, reply_id = (query.data or "").removeprefix(AGREE).partition(":")
    if kind not in inbox.KINDS:
        await expired(update, context)
        return
    await query.answer()
    lang = await reply_language(update, context)
    if kind != "unanswered":
        context.chat_data[_WAITING] = kind
        await query.edit_message_text(text(context, lang, "inbox_type_prompt"))
        return
    held: dict[int, tuple[str, str]] = context.chat_data.get(_HELD, {})
    found = held.pop(int(reply_id), None) if reply_id.isdigit() else None
    sent: set[str] = context.chat_data.setdefault(_SENT, set())
    if found is None and reply_id in sent:
        return  # a second tap of an "I agree" already done: the first one confirmed
    if found is None:
        await query.edit_message_text(text(context, lang, "inbox_forgotten"))
        return
    question, asked_in = found
    sent.add(reply_id)
    item = await _store(context, chat.id, asked_in, kind, question)
    await query.edit_message_text(
        text(context, lang, "inbox_sent", clinic=services(context).settings.clinic_name)
    )
    await announce(context, item)


async def decline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store nothing."""
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    lang = await reply_language(update, context)
    await query.edit_message_text(text(context, lang, "inbox_cancelled"))


async def read_typed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store what a patient typed for the team after agreeing; other text goes on untouched."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None or not message.text or context.chat_data is None:
        return
    kind = context.chat_data.pop(_WAITING, None)
    if kind is None:
        return
    lang = await reply_language(update, context)
    svc = services(context)
    item = await _store(context, chat.id, lang, kind, message.text)
    await message.reply_text(text(context, lang, "inbox_sent", clinic=svc.settings.clinic_name))
    # Safety first: what they typed may say they are in danger now.
    finding = detect_urgent(message.text, svc.content.urgent)
    if finding is not None:
        await message.reply_text(
            text(context, lang, f"{finding.kind}_reply"), parse_mode=ParseMode.HTML
        )
    await announce(context, item)
    raise ApplicationHandlerStop


async def _store(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, lang: str, kind: str, question: str
) -> InboxItem:
    svc = services(context)
    async with svc.db.session() as session:
        return await inbox.open_item(
            session,
            chat_id=chat_id,
            language=lang,
            kind=kind,
            question=question,
            now=svc.clock.now(),
        )


async def announce(context: ContextTypes.DEFAULT_TYPE, item: InboxItem) -> None:
    """Tell the staff group chat (if one is set) that a question waits, its text only if allowed."""
    settings = services(context).settings
    if settings.staff_chat_id is None:
        return
    lang = language_of_staff(context)
    key = "inbox_announce" if settings.staff_chat_show_text else "inbox_announce_hidden"
    body = text(
        context,
        lang,
        key,
        id=item.id,
        lang_code=item.language,
        kind=text(context, lang, f"inbox_kind_{item.kind}"),
        question=item.question[:1000],
    )
    try:
        await context.bot.send_message(settings.staff_chat_id, body, parse_mode=ParseMode.HTML)
    except TelegramError:
        log.exception("could not announce inbox item %s to the staff chat", item.id)


def language_of_staff(context: ContextTypes.DEFAULT_TYPE) -> str:
    """The staff chat's language: the catalogs' default."""
    return services(context).content.catalogs.language_for(None)


async def purge(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Erase items closed more than INBOX_RETENTION_DAYS ago (hourly; any replica may run it)."""
    svc = services(context)
    async with svc.db.session() as session:
        gone = await inbox.purge_closed(session, svc.clock.now(), svc.settings.inbox_retention_days)
    if gone:
        log.info("purged %d closed inbox items past their retention", gone)


def start(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Start the hourly purge of closed items past their retention."""
    if app.job_queue is None:
        log.warning("no job queue: closed inbox items will not be purged on their own")
        return
    app.job_queue.run_repeating(purge, interval=PURGE_SECONDS, first=60, name="inbox-purge")


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register the opt-in buttons, and the typed message after agreeing (group -8)."""
    app.add_handler(CallbackQueryHandler(offer, pattern=f"^{ASK}"))
    app.add_handler(CallbackQueryHandler(agree, pattern=f"^{AGREE}"))
    app.add_handler(CallbackQueryHandler(decline, pattern=f"^{CANCEL}$"))
    typed = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
    app.add_handler(MessageHandler(typed, read_typed), group=INPUT_GROUP)
