"""/book, every "Book a consultation" button, and the nearest branch to a shared location."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import booking
from bot.content.models import Clinic
from bot.content.render import branch_card
from bot.db.models import Subscriber
from bot.handlers.services import (
    Flow,
    reply_language,
    services,
    stored_subscriber,
    text,
    zone_label,
)
from bot.handlers.settings import TZ

BOOK = "book:"  # book:<origin>, origin = what led here (faq:<id>, tip:<id>, command...)
BRANCH = "branch:"  # branch:<clinic id>
_ORIGIN_KEY = "booking_origin"


def book_button(
    context: ContextTypes.DEFAULT_TYPE, language: str, origin: str, label: str = "button_book"
) -> InlineKeyboardButton:
    """Return a "Book a consultation" button that remembers what led to it."""
    data = f"{BOOK}{origin}".encode()[:64].decode(errors="ignore")
    return InlineKeyboardButton(text(context, language, label), callback_data=data)


async def show_booking(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer the branches (from /book or any booking button)."""
    chat = update.effective_chat
    if chat is None:
        return
    origin = "command"
    query = update.callback_query
    if query is not None and query.data is not None:
        origin = query.data.removeprefix(BOOK) or "button"
        await query.answer()
    if context.chat_data is not None:
        context.chat_data[_ORIGIN_KEY] = origin
    lang = await reply_language(update, context)
    rows = [
        [InlineKeyboardButton(c.name[lang], callback_data=f"{BRANCH}{c.id}")]
        for c in services(context).content.clinics
    ]
    await context.bot.send_message(
        chat.id,
        text(context, lang, "book_choose_branch"),
        parse_mode=ParseMode.HTML,
        reply_markup=InlineKeyboardMarkup(rows),
    )


async def show_branch(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the chosen branch's card with booking, WhatsApp and directions links."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    lang = await reply_language(update, context)
    clinic = services(context).content.clinic(query.data.removeprefix(BRANCH))
    if clinic is None:
        await query.answer(text(context, lang, "button_expired"), show_alert=True)
        return
    await query.answer()
    origin = (context.chat_data or {}).get(_ORIGIN_KEY, "button")
    await _send_branch(update, context, clinic, lang, str(origin), note=None)


async def show_nearest_branch(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a shared location with the nearest branch."""
    message = update.effective_message
    if message is None or message.location is None:
        return
    sub, lang = await stored_subscriber(update, context)
    clinics = services(context).content.clinics
    found = booking.nearby(clinics, message.location.latitude, message.location.longitude)
    if found.abroad:
        await _say_abroad(update, context, found, sub, lang)
        return
    band, km = booking.distance_band(found.km)
    note = text(context, lang, f"book_nearest_{band}", km=km)
    await _send_branch(update, context, found.clinic, lang, "location", note=note)


async def _say_abroad(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    found: booking.Nearby,
    sub: Subscriber | None,
    lang: str,
) -> None:
    """No far-away branch card: say where the branches are, and offer the local timezone."""
    chat = update.effective_chat
    assert chat is not None
    body = text(context, lang, "book_abroad", branch=found.clinic.name[lang], km=f"{found.km:.0f}")
    rows = []
    if sub is not None and sub.consented_at is not None and sub.timezone != found.zone:
        zone = zone_label(context, found.zone)
        body = f"{body}\n\n{text(context, lang, 'book_abroad_timezone', timezone=zone)}"
        label = text(context, lang, "button_use_timezone", timezone=zone)
        rows.append([InlineKeyboardButton(label, callback_data=f"{TZ}{Flow.COMMAND}:{found.zone}")])
    rows.append([book_button(context, lang, "location")])
    await context.bot.send_message(
        chat.id, body, parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup(rows)
    )


async def _send_branch(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    clinic: Clinic,
    lang: str,
    origin: str,
    note: str | None,
) -> None:
    svc = services(context)
    chat = update.effective_chat
    assert chat is not None
    async with svc.db.session() as session:
        await booking.record_intent(
            session, clinic_id=clinic.id, origin=origin, now=svc.clock.now()
        )
    link = booking.booking_link(str(clinic.booking_url), svc.settings.booking_tracking, origin)
    rows = [
        [InlineKeyboardButton(text(context, lang, "button_book_online"), url=link)],
        [
            InlineKeyboardButton(
                text(context, lang, "button_whatsapp"), url=f"https://wa.me/{clinic.whatsapp}"
            ),
            InlineKeyboardButton(text(context, lang, "button_directions"), url=str(clinic.map_url)),
        ],
    ]
    card = branch_card(svc.content.catalogs, clinic, lang)
    body = f"{note}\n\n{card}" if note else card
    await context.bot.send_message(
        chat.id, body, parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup(rows)
    )


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register booking handlers."""
    app.add_handler(CommandHandler("book", show_booking, filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(show_booking, pattern=f"^{BOOK}"))
    app.add_handler(CallbackQueryHandler(show_branch, pattern=f"^{BRANCH}"))
    private_location = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & filters.LOCATION
    app.add_handler(MessageHandler(private_location, show_nearest_branch))
