"""/settings (one screen for everything), /timezone, /topics and the skin concern.

Every choice here is also an onboarding step; the buttons carry the flow they belong to
("tz:s:Europe/London"), so a choice made on an old message still leads somewhere sensible.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.db.models import Subscriber, SubscriberStatus
from bot.faq.urgent import detect_urgent
from bot.handlers import preferences
from bot.handlers.groups import Group
from bot.handlers.services import (
    SETTINGS_PREFIX,
    STOP_WORDS,
    Flow,
    acknowledge,
    after_change,
    await_answer,
    awaiting,
    concern_name,
    drop_keyboard,
    expired,
    framed,
    kept,
    keyboard,
    language_name,
    last_row,
    on_flow,
    present,
    reply_language,
    send,
    services,
    show,
    split_data,
    status_line,
    stop_awaiting,
    stored_subscriber,
    text,
    topic_names,
    when,
    zone_label,
)
from bot.subscribers import consent, timezones
from bot.subscribers import store as subscribers

TZ = "tz:"  # tz:<flow>:<zone> | tz:<flow>:skip
TOPIC = "topic:"  # topic:<flow>:<topic>:<1 on | 0 off> | topic:<flow>:done
CONCERN = "concern:"  # concern:<flow>:<concern> | concern:<flow>:none | concern:<flow>:skip
AGREED = "+ok"  # concern:<flow>:<concern>+ok: agreed to store it (health data)
DECLINE = "decline"  # concern:<flow>:decline: did not agree; nothing stored
SKIP, DONE, NONE = "skip", "done", "none"


# -- the settings screen ------------------------------------------------------------------


def screen(
    context: ContextTypes.DEFAULT_TYPE, sub: Subscriber, note: str | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    """Return the settings screen (every setting, a button to change each) under a note."""
    lang = sub.language
    body = text(
        context,
        lang,
        "settings_screen",
        language_name=language_name(context, lang),
        time=sub.send_time.strftime("%H:%M"),
        timezone=zone_label(context, sub.timezone),
        topics=topic_names(context, lang, sub),
        concern=concern_name(context, lang, sub.concern),
        status=status_line(context, lang, sub),
    )

    def button(key: str, what: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(text(context, lang, key), callback_data=SETTINGS_PREFIX + what)

    if sub.status == SubscriberStatus.ACTIVE:
        status_button = button("button_settings_pause", "pause")
    elif sub.status == SubscriberStatus.PAUSED:
        status_button = button("button_settings_resume", "resume")
    else:
        status_button = button("button_settings_resubscribe", "resume")
    rows = [
        [button("button_settings_language", "lang"), button("button_settings_time", "time")],
        [button("button_settings_timezone", "tz"), button("button_settings_topics", "topics")],
        [button("button_settings_concern", "concern"), status_button],
        [button("button_done", "close")],
    ]
    return (f"{note}\n\n{body}" if note else body), InlineKeyboardMarkup(rows)


async def show_settings(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show every setting with a button to change each."""
    sub, lang = await stored_subscriber(update, context)
    if sub is None or sub.consented_at is None:
        await send(update, context, text(context, lang, "need_subscription"))
        return
    await stop_awaiting(update, context)
    await send(update, context, *screen(context, sub))


async def back_to_settings(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    sub: Subscriber,
    step: str,
    confirmation: str,
) -> None:
    """After a change made from the settings screen, show it again, updated."""
    await show(update, context, *screen(context, sub, confirmation))


async def press_settings(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Open the editor a settings button names, in place of the screen."""
    query = update.callback_query
    if query is None:
        return
    sub, _ = await stored_subscriber(update, context)
    what = (query.data or "").removeprefix(SETTINGS_PREFIX)
    asks = {
        "lang": preferences.ask_language_in,
        "time": preferences.ask_time,
        "tz": ask_timezone,
        "topics": ask_topics,
        "concern": ask_concern,
        "pause": preferences.ask_pause_in,
        "resume": preferences.resume_in,
    }
    if (
        sub is None
        or sub.consented_at is None
        or (what not in asks and what not in ("show", "close"))
    ):
        await expired(update, context)
        return
    await query.answer()
    await stop_awaiting(update, context)
    if what == "show":
        await show(update, context, *screen(context, sub))
    elif what == "close":
        await show(update, context, screen(context, sub)[0])
    else:
        await asks[what](update, context, Flow.SETTINGS)


# -- timezone -----------------------------------------------------------------------------


async def ask_timezone_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer common zones and accept a typed city or offset, or a shared location."""
    await ask_timezone(update, context, Flow.COMMAND)


async def ask_timezone(
    update: Update, context: ContextTypes.DEFAULT_TYPE, flow: Flow, note: str | None = None
) -> None:
    """Show the timezone prompt for a flow."""
    sub, lang = await stored_subscriber(update, context)
    if sub is None or sub.consented_at is None:
        await preferences.not_subscribed(update, context)
        return
    zones = [_zone_button(context, flow, zone) for zone in timezones.COMMON_ZONES]
    rows = [zones[i : i + 2] for i in range(0, len(zones), 2)]
    prompt = text(context, lang, "timezone_prompt", timezone=zone_label(context, sub.timezone))
    prompt = framed(context, lang, flow, "timezone", prompt, note)
    prompt_id = await present(
        update, context, flow, prompt, keyboard(rows, last_row(context, lang, flow, TZ))
    )
    await_answer(context, "timezone", flow, prompt_id)


def _zone_button(context: ContextTypes.DEFAULT_TYPE, flow: Flow, zone: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(zone_label(context, zone), callback_data=f"{TZ}{flow}:{zone}")


async def choose_timezone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store a zone from a button (a common zone or a suggestion), or keep it: Skip."""
    query = update.callback_query
    if query is None:
        return
    flow, zone = split_data(query.data, TZ)
    if zone != SKIP and not timezones.is_zone(zone):
        await expired(update, context)
        return
    await stop_awaiting(update, context)
    await _store_zone(update, context, flow, None if zone == SKIP else zone)


async def read_typed_timezone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """After a timezone prompt, read a city or an offset; questions go on to the FAQ."""
    message = update.effective_message
    flow = awaiting(context, "timezone")
    if flow is None or message is None or message.text is None:
        return
    typed = message.text.strip()
    if not _could_be_a_place(context, typed):
        await stop_awaiting(update, context)
        return  # STOP, a question or an urgent message: the handlers after this one answer
    reading = timezones.read_timezone(typed)
    if reading.zone is not None:
        await stop_awaiting(update, context, drop_buttons=True)
        await _store_zone(update, context, flow, reading.zone)
        raise ApplicationHandlerStop
    lang = await reply_language(update, context)
    if reading.suggestions:
        rows = [[_zone_button(context, flow, zone)] for zone in reading.suggestions]
        markup = keyboard(rows, last_row(context, lang, flow, TZ))
        await send(update, context, text(context, lang, "timezone_suggest"), markup)
    else:
        await send(update, context, text(context, lang, "timezone_unknown"))
    raise ApplicationHandlerStop


def _could_be_a_place(context: ContextTypes.DEFAULT_TYPE, typed: str) -> bool:
    if STOP_WORDS.match(typed) or not timezones.could_be_a_place(typed):
        return False
    return detect_urgent(typed, services(context).content.urgent) is None


async def read_location(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """After a timezone prompt, a shared location sets the timezone (else: nearest branch)."""
    message = update.effective_message
    flow = awaiting(context, "timezone")
    if flow is None or message is None or message.location is None:
        return  # booking answers it with the nearest branch
    zone = timezones.zone_at(message.location.latitude, message.location.longitude)
    await stop_awaiting(update, context, drop_buttons=True)
    await _store_zone(update, context, flow, zone)
    raise ApplicationHandlerStop


async def _store_zone(
    update: Update, context: ContextTypes.DEFAULT_TYPE, flow: Flow, zone: str | None
) -> None:
    """Store a zone (None keeps the current one) and go on."""
    chat = update.effective_chat
    if chat is None:
        return
    svc = services(context)
    try:
        async with svc.db.session() as session:
            if zone is None:
                sub = await subscribers.current(session, chat.id)
            else:
                sub = await subscribers.set_timezone(session, chat.id, zone, svc.clock.now())
    except subscribers.NotSubscribed:
        await preferences.not_subscribed(update, context)
        return
    await acknowledge(update)
    if zone is None:
        confirmation = kept(context, sub, "timezone")
    else:
        confirmation = text(context, sub.language, "timezone_set", **when(context, sub))
    await after_change(update, context, flow, sub, "timezone", confirmation)


# -- topics and skin concern ----------------------------------------------------------------


async def ask_topics_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the topics to toggle (and the skin concern)."""
    await ask_topics(update, context, Flow.COMMAND)


async def ask_topics(
    update: Update, context: ContextTypes.DEFAULT_TYPE, flow: Flow, note: str | None = None
) -> None:
    """Show the topic toggles for a flow."""
    sub, _ = await stored_subscriber(update, context)
    if sub is None or sub.consented_at is None:
        await preferences.not_subscribed(update, context)
        return
    await present(update, context, flow, *_topics_message(context, sub, flow, note))


def _topics_message(
    context: ContextTypes.DEFAULT_TYPE, sub: Subscriber, flow: Flow, note: str | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    lang = sub.language
    chosen = subscribers.topics_of(sub)
    toggles = []
    for topic in subscribers.CORE_TOPIC_NAMES:
        on = topic in chosen
        label = text(
            context,
            lang,
            "button_topic_on" if on else "button_topic_off",
            topic=text(context, lang, f"topic_{topic}"),
        )
        data = f"{TOPIC}{flow}:{topic}:{0 if on else 1}"  # what pressing it means, not a flip
        toggles.append(InlineKeyboardButton(label, callback_data=data))
    rows = [toggles[i : i + 2] for i in range(0, len(toggles), 2)]
    if flow == Flow.COMMAND:  # the concern is its own step in onboarding and in settings
        concern = concern_name(context, lang, sub.concern)
        label = text(context, lang, "button_concern", concern=concern)
        rows.append([InlineKeyboardButton(label, callback_data=f"{CONCERN}{flow}:ask")])
    done = InlineKeyboardButton(
        text(context, lang, "button_done"), callback_data=f"{TOPIC}{flow}:{DONE}"
    )
    prompt = framed(context, lang, flow, "topics", text(context, lang, "topics_prompt"), note)
    return prompt, keyboard(rows, [done])


async def toggle_topic(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Turn a topic on or off (never the last one), or finish with Done."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return
    flow, value = split_data(query.data, TOPIC)
    topic, _, on = value.partition(":")
    if value != DONE and (topic not in subscribers.CORE_TOPIC_NAMES or on not in ("0", "1")):
        await expired(update, context)
        return
    svc = services(context)
    last = False
    try:
        async with svc.db.session() as session:
            if value == DONE:
                sub = await subscribers.current(session, chat.id)
            else:
                try:
                    sub = await subscribers.set_topic(
                        session, chat.id, topic, on == "1", svc.clock.now()
                    )
                except subscribers.LastTopic:
                    last = True
                    sub = await subscribers.current(session, chat.id)
    except subscribers.NotSubscribed:
        await expired(update, context)
        return
    if last:
        await query.answer(text(context, sub.language, "topics_last"), show_alert=True)
    else:
        await query.answer()
    if value != DONE:
        await show(update, context, *_topics_message(context, sub, flow))
        return
    topics = topic_names(context, sub.language, sub)
    confirmation = text(context, sub.language, "topics_set", topics=topics)
    if flow == Flow.COMMAND:
        await show(update, context, confirmation)  # the toggles become the confirmation
        return
    await after_change(update, context, flow, sub, "topics", confirmation)


async def ask_concern(
    update: Update, context: ContextTypes.DEFAULT_TYPE, flow: Flow, note: str | None = None
) -> None:
    """Offer the optional skin concern for a flow."""
    sub, lang = await stored_subscriber(update, context)
    if sub is None or sub.consented_at is None:
        await preferences.not_subscribed(update, context)
        return
    choices = [
        InlineKeyboardButton(concern_name(context, lang, c), callback_data=f"{CONCERN}{flow}:{c}")
        for c in (*subscribers.CONCERN_NAMES, NONE)
    ]
    rows = [choices[i : i + 2] for i in range(0, len(choices), 2)]
    if sub.concern is not None:  # PDPA: consent to health data can be withdrawn here
        withdraw = text(context, lang, "button_concern_withdraw")
        rows.append([InlineKeyboardButton(withdraw, callback_data=f"{CONCERN}{flow}:{NONE}")])
    concern = concern_name(context, lang, sub.concern)
    prompt = text(context, lang, "concern_prompt", concern=concern)
    prompt = framed(context, lang, flow, "concern", prompt, note)
    await present(
        update, context, flow, prompt, keyboard(rows, last_row(context, lang, flow, CONCERN))
    )


async def choose_concern(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store the skin concern (or none), or keep it: Skip."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return
    flow, value = split_data(query.data, CONCERN)
    if value == "ask":
        sub, _ = await stored_subscriber(update, context)
        if sub is None or sub.consented_at is None:
            await expired(update, context)
            return
        await query.answer()
        await ask_concern(update, context, flow)
        return
    agreed = value.endswith(AGREED)
    value = value.removesuffix(AGREED)
    if value not in (*subscribers.CONCERN_NAMES, NONE, SKIP, DECLINE):
        await expired(update, context)
        return
    if value in subscribers.CONCERN_NAMES and not agreed:
        sub, lang = await stored_subscriber(update, context)
        if sub is None or sub.consented_at is None:
            await expired(update, context)
            return
        if sub.concern is None:  # health data: its own explicit consent, one line
            await query.answer()
            await _ask_concern_consent(update, context, flow, value, lang)
            return
    svc = services(context)
    withdrawn = False
    try:
        async with svc.db.session() as session:
            if value in (SKIP, DECLINE):
                sub = await subscribers.current(session, chat.id)
            elif value == NONE:
                # Withdrawing consent erases the concern (the column is emptied).
                withdrawn = await consent.withdraw_concern(session, chat.id, svc.clock.now())
                sub = await subscribers.current(session, chat.id)
            else:
                sub = await subscribers.set_concern(session, chat.id, value, svc.clock.now())
                if agreed:
                    await consent.record(
                        session, chat.id, consent.CONCERN, sub.language, svc.clock.now()
                    )
                    await session.commit()
    except subscribers.NotSubscribed:
        await expired(update, context)
        return
    await query.answer()
    lang = sub.language
    if value == SKIP:
        confirmation = kept(context, sub, "concern")
    elif value == DECLINE:
        confirmation = text(context, lang, "concern_declined")
    elif withdrawn:
        confirmation = text(context, lang, "concern_withdrawn")
    elif sub.concern is None:
        confirmation = text(context, lang, "concern_cleared")
    else:
        confirmation = text(
            context, lang, "concern_set", concern=concern_name(context, lang, sub.concern)
        )
    await after_change(update, context, flow, sub, "concern", confirmation)


async def _ask_concern_consent(
    update: Update, context: ContextTypes.DEFAULT_TYPE, flow: Flow, concern: str, lang: str
) -> None:
    """Ask, in one line, to store a skin concern (health data) before storing it."""
    svc = services(context)
    question = text(
        context,
        lang,
        "concern_consent",
        clinic=svc.settings.clinic_name,
        concern=concern_name(context, lang, concern),
    )
    agree = text(context, lang, "button_concern_agree")
    decline = text(context, lang, "button_concern_decline")
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(agree, callback_data=f"{CONCERN}{flow}:{concern}{AGREED}")],
            [InlineKeyboardButton(decline, callback_data=f"{CONCERN}{flow}:{DECLINE}")],
        ]
    )
    query = update.callback_query
    if flow != Flow.SETTINGS and query is not None and query.message is not None:
        # The choices go: the answer to this question is what counts now.
        await drop_keyboard(context, query.message.chat.id, query.message.message_id)
    await present(
        update, context, flow, framed(context, lang, flow, "concern", question, None), markup
    )


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register /settings, /timezone, /topics; typed places and locations in Group.TYPED_ZONE."""
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("settings", show_settings, filters=private))
    app.add_handler(CommandHandler("timezone", ask_timezone_command, filters=private))
    app.add_handler(CommandHandler("topics", ask_topics_command, filters=private))
    app.add_handler(CallbackQueryHandler(press_settings, pattern=f"^{SETTINGS_PREFIX}"))
    app.add_handler(CallbackQueryHandler(choose_timezone, pattern=f"^{TZ}"))
    app.add_handler(CallbackQueryHandler(toggle_topic, pattern=f"^{TOPIC}"))
    app.add_handler(CallbackQueryHandler(choose_concern, pattern=f"^{CONCERN}"))
    # Before booking's nearest-branch answer (group 0) and the FAQ: only while the bot waits
    # for a timezone do these claim the message; otherwise it goes on untouched.
    mine = private & filters.UpdateType.MESSAGE & ~filters.FORWARDED
    app.add_handler(MessageHandler(mine & filters.LOCATION, read_location), group=Group.TYPED_ZONE)
    app.add_handler(
        MessageHandler(mine & filters.TEXT & ~filters.COMMAND, read_typed_timezone),
        group=Group.TYPED_ZONE,
    )
    on_flow(app, Flow.SETTINGS, back_to_settings)
