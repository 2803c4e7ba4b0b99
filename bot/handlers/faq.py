"""Questions in the user's own words, the /faq menu, and related tips."""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from bot.admin import review
from bot.content.catalog import Html
from bot.content.loader import Content
from bot.content.models import FaqEntry
from bot.content.render import faq_answer, tip_card
from bot.content.transfer import faq_data
from bot.faq import answer as questions
from bot.faq.matcher import FaqMatcher
from bot.handlers import inbox
from bot.handlers.booking import book_button
from bot.handlers.draft_mark import draft_mark
from bot.handlers.flows import Flow
from bot.handlers.groups import AnyApplication
from bot.handlers.preferences import LANG
from bot.handlers.services import (
    acknowledge,
    language_of,
    pressed,
    reply_language,
    send,
    services,
    stored_subscriber,
    text,
)

ENTRY = "faq:"  # faq:<entry id>
GROUP = "faqg:"  # faqg:<menu group>
MENU = "faqm"
ASK = "faqask"
TIP = "tip:"  # tip:<tip id>

log = logging.getLogger(__name__)


async def live_content(context: ContextTypes.DEFAULT_TYPE) -> tuple[Content, FaqMatcher]:
    """The content and matcher in use now: admins' imported FAQ and edited tips included,
    and with CONTENT_REVIEW=required only reviewed entries (the gate in bot/content/live.py)."""
    svc = services(context)
    async with svc.db.session() as session:
        live = await svc.live.now(session)
    return live.content, live.matcher


async def answer_question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer free text: urgent signs first, then the FAQ (answer, choices or honest fallback)."""
    message = update.effective_message
    # A photo or file comes with its words as a caption: patients send a picture of a swelling
    # with "lips like this and cant breathe" beside it, and those words come first.
    said = message and (message.text or message.caption)
    if message is None or not said:
        return
    svc = services(context)
    try:
        sub, lang = await stored_subscriber(update, context)
    except SQLAlchemyError:
        sub, lang = None, language_of(update, context, None)  # the reply matters more
    content, matcher = await live_content(context)
    reply = questions.triage(content, matcher, said, lang)
    if message.text is None and reply.outcome not in ("urgent", "crisis"):
        await message.reply_text(text(context, reply.language or lang, "photo_words_only"))
    # A question typed in the other language is answered in it, with an offer to switch.
    # The switch stores a language: only for a chat that agreed to be stored (#15).
    await _send_reply(update, context, reply, reply.language or lang, stored=sub is not None)
    # Recorded after replying: a database problem must never hold back an answer,
    # least of all the urgent one.
    try:
        async with svc.db.session() as session:
            await questions.record(session, reply, said, lang, svc.clock.now())
    except SQLAlchemyError:
        log.exception("could not record a question's outcome (%s)", reply.outcome)


async def send_urgent(
    message: Message, context: ContextTypes.DEFAULT_TYPE, lang: str, kind: str
) -> None:
    """The urgent or crisis reply (`kind`), with the clinic's contact and the clinic team."""
    keyboard = [
        [book_button(context, lang, "urgent", "button_contact_clinic")],
        inbox.ask_team_row(context, lang, kind),
    ]
    await message.reply_text(
        text(context, lang, f"{kind}_reply"),
        parse_mode=ParseMode.HTML,
        reply_markup=InlineKeyboardMarkup(keyboard),
    )


async def _send_reply(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    reply: questions.Reply,
    lang: str,
    *,
    stored: bool,
) -> None:
    message = update.effective_message
    assert message is not None
    svc = services(context)
    switch = _switch_rows(context, reply.language) if stored else []
    if reply.outcome == "smalltalk" and reply.smalltalk is not None:
        key = f"smalltalk_{reply.smalltalk.replace('-', '_')}"
        await message.reply_text(text(context, lang, key), parse_mode=ParseMode.HTML)
    elif reply.outcome in ("urgent", "crisis"):
        await send_urgent(message, context, lang, reply.outcome)
    elif reply.outcome == "answered":
        await _send_answer(update, context, reply.entries[0], lang, switch)
    elif reply.outcome == "ambiguous":
        rows = [
            [InlineKeyboardButton(e.text[lang].question[:64], callback_data=f"{ENTRY}{e.id}")]
            for e in reply.entries
        ]
        rows.append(
            [InlineKeyboardButton(text(context, lang, "button_none_of_these"), callback_data=MENU)]
        )
        rows += switch
        await message.reply_text(
            text(context, lang, "faq_did_you_mean"), reply_markup=InlineKeyboardMarkup(rows)
        )
    else:
        rows = [
            [InlineKeyboardButton(text(context, lang, "button_browse_faq"), callback_data=MENU)],
            inbox.ask_team_row(context, lang, "unanswered"),
            [book_button(context, lang, "unanswered")],
            *switch,
        ]
        contacts = "\n".join(
            text(context, lang, "clinic_contact_line", name=c.name[lang], phone=c.phone)
            for c in svc.content.clinics
        )
        sent = await message.reply_text(
            text(context, lang, "faq_no_match", contacts=Html(contacts)),
            parse_mode=ParseMode.HTML,
            reply_markup=InlineKeyboardMarkup(rows),
        )
        # Only in memory, and only until they opt in (or it is pushed out by newer ones).
        inbox.hold_question(context, sent.message_id, message.text or message.caption or "", lang)


def _switch_rows(
    context: ContextTypes.DEFAULT_TYPE, language: str | None
) -> list[list[InlineKeyboardButton]]:
    """One button to make the language the user just typed in their setting."""
    if language is None:
        return []
    label = text(context, language, "button_switch_language")
    return [[InlineKeyboardButton(label, callback_data=f"{LANG}{Flow.COMMAND}:{language}")]]


async def _send_answer(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    entry: FaqEntry,
    lang: str,
    extra: list[list[InlineKeyboardButton]] | None = None,
) -> None:
    svc = services(context)
    chat = update.effective_chat
    assert chat is not None
    rows: list[list[InlineKeyboardButton]] = []
    tip = questions.related_tip((await live_content(context))[0], entry)
    if tip is not None:
        # Button labels are plain text: the title must not be HTML-escaped there.
        label = text(context, lang, "button_related_tip", title=Html(tip.text[lang].title))
        rows.append([InlineKeyboardButton(label[:64], callback_data=f"{TIP}{tip.id}")])
    rows.append([book_button(context, lang, f"faq:{entry.id}")])
    rows.append([InlineKeyboardButton(text(context, lang, "button_ask_else"), callback_data=ASK)])
    rows += extra or []
    body = faq_answer(svc.content.catalogs, entry, lang)
    footer = text(context, lang, "faq_answer_footer")
    mark = await draft_mark(update, context, lang, review.FAQ, entry.id, faq_data(entry))
    await send(update, context, f"{body}\n\n{footer}{mark}", InlineKeyboardMarkup(rows))


async def show_entry(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the entry chosen from a menu or a "did you mean" button."""
    svc = services(context)
    found = await pressed(update, context, ENTRY, (await live_content(context))[0].faq_entry)
    if found is None:
        return
    entry, lang = found
    async with svc.db.session() as session:
        await questions.record_pick(session, entry.id, lang, svc.clock.now())
    await _send_answer(update, context, entry, lang)


async def show_menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the FAQ topics (from /faq or a button)."""
    await acknowledge(update)
    lang = await reply_language(update, context)
    groups = list(dict.fromkeys(e.topic for e in (await live_content(context))[0].faq))
    rows = [
        [InlineKeyboardButton(text(context, lang, f"faq_group_{g}"), callback_data=f"{GROUP}{g}")]
        for g in groups
    ]
    await send(update, context, text(context, lang, "faq_menu"), InlineKeyboardMarkup(rows))


async def show_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List one topic's questions in place of the topic menu."""
    faq = (await live_content(context))[0].faq
    found = await pressed(
        update, context, GROUP, lambda group: [e for e in faq if e.topic == group] or None
    )
    query = update.callback_query
    if found is None or query is None:
        return
    entries, lang = found
    group = entries[0].topic
    rows = [
        [InlineKeyboardButton(e.text[lang].question[:64], callback_data=f"{ENTRY}{e.id}")]
        for e in entries
    ]
    rows.append([InlineKeyboardButton(text(context, lang, "button_back"), callback_data=MENU)])
    title = text(context, lang, "faq_group_title", group=text(context, lang, f"faq_group_{group}"))
    await query.edit_message_text(
        title, parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup(rows)
    )


async def prompt_question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Invite the user to type a question."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return
    await query.answer()
    lang = await reply_language(update, context)
    await context.bot.send_message(chat.id, text(context, lang, "faq_ask_prompt"))


async def show_tip(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show one tip (from a "related tip" button) with a booking button."""
    found = await pressed(update, context, TIP, (await live_content(context))[0].tip)
    if found is None:
        return
    tip, lang = found
    card = tip_card(services(context).content.catalogs, tip, lang)
    markup = InlineKeyboardMarkup([[book_button(context, lang, f"tip:{tip.id}")]])
    await send(update, context, card, markup)


def register(app: AnyApplication) -> None:
    """Register the FAQ handlers; the free-text handler catches any text no flow claimed."""
    app.add_handler(CommandHandler("faq", show_menu, filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(show_entry, pattern=f"^{ENTRY}"))
    app.add_handler(CallbackQueryHandler(show_group, pattern=f"^{GROUP}"))
    app.add_handler(CallbackQueryHandler(show_menu, pattern=f"^{MENU}$"))
    app.add_handler(CallbackQueryHandler(prompt_question, pattern=f"^{ASK}$"))
    app.add_handler(CallbackQueryHandler(show_tip, pattern=f"^{TIP}"))
    said = (filters.TEXT & ~filters.COMMAND) | filters.CAPTION
    app.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & said, answer_question
        )
    )
