"""/start, the subscribe button and the guided choices after it, /help, edited messages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.content import store as content_store
from bot.db.models import SubscriberStatus
from bot.faq.urgent import detect_urgent
from bot.handlers import preferences, settings
from bot.handlers.consent import consent_screen
from bot.handlers.faq import send_urgent
from bot.handlers.flows import ONBOARDING_STEPS, SHOW_SETTINGS, Changed, Flow, on_flow
from bot.handlers.groups import AnyApplication, Group
from bot.handlers.privacy import ERASED_AT
from bot.handlers.services import (
    drop_keyboard,
    expired,
    language_of,
    reply_language,
    send,
    services,
    text,
    when,
)
from bot.subscribers import consent
from bot.subscribers import store as subscribers
from bot.subscribers.consent import parse_agree

SUBSCRIBE = consent.AGREE  # "I agree": sub:yes[:<language>[:<source>]]
HELP = "help"
_SUBSCRIBED_ON = "subscribed_on"  # chat_data: the welcome message whose Subscribe was pressed

Ask = Callable[[Update, ContextTypes.DEFAULT_TYPE, Flow, str | None], Awaitable[None]]
STEPS: dict[str, Ask] = {
    "language": preferences.ask_language_in,
    "time": preferences.ask_time,
    "timezone": settings.ask_timezone,
    "topics": settings.ask_topics,
    "concern": settings.ask_concern,
}
"""How each onboarding step (services.ONBOARDING_STEPS, in order) is asked."""


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store the chat and greet: welcome, not-medical-advice notice, subscribe button."""
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    if chat is None or user is None or message is None:
        return
    svc = services(context)
    payload = context.args[0] if context.args else None
    async with svc.db.session() as session:
        # Nothing about a person is stored before "I agree" (PDPA): a chat that never agreed
        # gets the notice, and the language and deep-link source ride on its buttons.
        known = await subscribers.find(session, chat.id)
        outcome = None
        if known is not None:
            outcome = await subscribers.record_start(
                session,
                chat_id=chat.id,
                user_id=user.id,
                language=known.language,
                source=payload,
                defaults=await _defaults(session, context),
                now=svc.clock.now(),
            )
    sub = outcome.subscriber if outcome is not None else None
    if sub is not None and sub.status in (SubscriberStatus.ACTIVE, SubscriberStatus.PAUSED):
        lang = sub.language
        key = "welcome_back" if sub.status == SubscriberStatus.ACTIVE else "welcome_back_paused"
        reply = text(context, lang, key, name=user.first_name, **when(context, sub))
        settings_button = InlineKeyboardButton(
            text(context, lang, "button_settings"), callback_data=SHOW_SETTINGS
        )
        markup = InlineKeyboardMarkup([[settings_button]])
        await message.reply_text(reply, parse_mode=ParseMode.HTML, reply_markup=markup)
        return
    lang = language_of(update, context, sub.language if sub else None)
    reply, keyboard = consent_screen(context, lang, user.first_name, payload)
    await message.reply_text(reply, parse_mode=ParseMode.HTML, reply_markup=keyboard)


async def _defaults(
    session: AsyncSession, context: ContextTypes.DEFAULT_TYPE
) -> subscribers.Defaults:
    svc = services(context)
    return subscribers.Defaults(
        svc.settings.default_timezone,
        # An admin may have set another default from /admin → Schedule.
        await content_store.default_send_time(session, svc.settings),
    )


async def confirm_subscription(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Record consent, then guide through the choices (a returning subscriber keeps theirs)."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return
    agreed = parse_agree(query.data)
    erased_at = (context.chat_data or {}).get(ERASED_AT, 0)
    stale = query.message is not None and query.message.message_id < erased_at
    if agreed is None or update.effective_user is None or stale:
        # PTB hands empty button data to the first button handler: consent must be explicit.
        await expired(update, context)
        return
    svc = services(context)
    async with svc.db.session() as session:
        await consent.agree(
            session,
            chat_id=chat.id,
            user_id=update.effective_user.id,
            language=agreed[0] or language_of(update, context, None),
            source=agreed[1],
            defaults=await _defaults(session, context),
            now=svc.clock.now(),
        )
        outcome = await subscribers.subscribe_once(session, chat.id, svc.clock.now())
    sub = outcome.subscriber
    if sub is None:
        await expired(update, context)
        return
    await query.answer()
    pressed_on = query.message.message_id if query.message is not None else None
    if not outcome.activated:
        if pressed_on is not None and (context.chat_data or {}).get(_SUBSCRIBED_ON) == pressed_on:
            return  # a double tap: the first press confirmed and started the onboarding
        await send(
            update, context, text(context, sub.language, "already_subscribed", **when(context, sub))
        )
        return
    if context.chat_data is not None and pressed_on is not None:
        context.chat_data[_SUBSCRIBED_ON] = pressed_on
    if pressed_on is not None:
        # Take the buttons away so an old welcome cannot be pressed again.
        await drop_keyboard(context, chat.id, pressed_on)
    if outcome.returning:
        await send(
            update,
            context,
            *settings.screen(context, sub, text(context, sub.language, "resubscribed")),
        )
        return
    note = text(context, sub.language, "subscribed", **when(context, sub))
    await STEPS[ONBOARDING_STEPS[0]](update, context, Flow.ONBOARDING, note)


async def next_step(update: Update, context: ContextTypes.DEFAULT_TYPE, changed: Changed) -> None:
    """After an onboarding choice: its buttons go, then one message confirms and asks the next."""
    sub, step, confirmation = changed.sub, changed.step, changed.confirmation
    query = update.callback_query
    if query is not None and query.message is not None:
        await drop_keyboard(context, query.message.chat.id, query.message.message_id)
    if step not in ONBOARDING_STEPS:
        await send(update, context, confirmation)
        return
    index = ONBOARDING_STEPS.index(step) + 1
    if index < len(ONBOARDING_STEPS):
        await STEPS[ONBOARDING_STEPS[index]](update, context, Flow.ONBOARDING, confirmation)
        return
    note = f"{confirmation}\n\n{text(context, sub.language, 'onboarding_done')}"
    await send(update, context, *settings.screen(context, sub, note))


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
    await send(update, context, text(context, lang, "help"))


async def track_block(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Mark a subscriber blocked the moment they block the bot (unblocking + /start restores)."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    if change.new_chat_member.status in ("kicked", "left"):
        svc = services(context)
        async with svc.db.session() as session:
            await subscribers.mark_blocked(session, change.chat.id, svc.clock.now())


async def answer_edit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say that edits are not acted on: an old command or STOP edited later must not run.

    An edit that describes an emergency or thoughts of self-harm still gets that reply (and
    nothing of it is stored): safety first.
    """
    message = update.edited_message
    if message is not None:
        lang = await reply_language(update, context)
        said = message.text or message.caption or ""
        finding = detect_urgent(said, services(context).content.urgent)
        if finding is None:
            await message.reply_text(text(context, lang, "edited_message"))
        else:
            await send_urgent(message, context, lang, finding.kind)
    raise ApplicationHandlerStop


def register(app: AnyApplication) -> None:
    """Register onboarding handlers; edited messages stop first (Group.EDITED)."""
    private = filters.ChatType.PRIVATE
    app.add_handler(
        MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, answer_edit), Group.EDITED
    )
    app.add_handler(ChatMemberHandler(track_block, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(CommandHandler("start", start, filters=private))
    app.add_handler(CommandHandler("help", show_help, filters=private))
    app.add_handler(CallbackQueryHandler(confirm_subscription, pattern=f"^{SUBSCRIBE}"))
    app.add_handler(CallbackQueryHandler(show_help, pattern=f"^{HELP}$"))
    on_flow(app, Flow.ONBOARDING, next_step)
