"""Sending a composed broadcast: now (the confirmation becomes the progress message) or at
a date and time in the clinic's timezone, typed or chosen."""

from __future__ import annotations

import datetime as dt

from telegram import Update
from telegram.ext import ContextTypes

from bot.admin import broadcasts
from bot.admin.broadcasts import Draft, Invalid
from bot.db.models import Broadcast
from bot.handlers.admin import broadcast_runs, common
from bot.handlers.admin.broadcast_compose import (
    DRAFT,
    WHEN,
    audience_name,
    button,
    current,
    current_draft,
    show_error,
    when_text,
)
from bot.handlers.services import services, text
from bot.schedule.due import due_on, local_date, zone

# -- send now, or schedule ------------------------------------------------------------------


async def confirm_now(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask once before sending to everyone in the audience."""
    draft = await current(update, context)
    if draft is None:
        return
    lang = await common.lang_of(update, context)
    async with services(context).db.session() as session:
        count = await broadcasts.audience_size(session, draft.audience)
    back = [button(context, lang, "bc_button_to_draft", "draft")]
    if count == 0:
        await common.show(
            update,
            context,
            text(context, lang, "bc_nobody"),
            [[button(context, lang, "bc_button_audience", "aud")], back],
        )
        return
    body = text(
        context,
        lang,
        "bc_confirm_now",
        count=count,
        audience=audience_name(context, lang, draft.audience),
    )
    await common.show(
        update, context, body, [[button(context, lang, "bc_button_confirm_send", "now_ok")], back]
    )


async def send_now(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store the broadcast to go now and start it; the confirmation becomes its progress
    message. Its buttons go first, before the broadcast exists, so a second press cannot
    happen and no edit of ours can land after the runner's last one."""
    draft = await current(update, context)
    query = update.callback_query
    if draft is None or query is None or query.message is None:
        return
    lang = await common.lang_of(update, context)
    await common.show(update, context, text(context, lang, "bc_starting"))
    now = services(context).clock.now()
    made = await _create(update, context, draft, send_at=now, progress=query.message.message_id)
    if made is not None:
        broadcast_runs.spawn(context.application, made[0].id)


async def ask_when(update: Update, context: ContextTypes.DEFAULT_TYPE, args: list[str]) -> None:
    """Quick choices and a typed date and time; a quick choice goes on to the confirmation."""
    draft = await current(update, context)
    if draft is None:
        return
    lang = await common.lang_of(update, context)
    svc = services(context)
    tz, now = svc.settings.default_timezone, svc.clock.now()
    if args:
        tomorrow = local_date(now, tz) + dt.timedelta(days=1)
        quick = {
            "1h": now + dt.timedelta(hours=1),
            "t9": due_on(tomorrow, dt.time(9, 0), tz),
            "t20": due_on(tomorrow, dt.time(20, 0), tz),
        }.get(args[0])
        if quick is None:
            await common.stale(update, context)
            return
        await _confirm_when(update, context, lang, draft, quick, edit=True)
        return
    common.await_input(context, "bc_when")
    example = (now + dt.timedelta(days=1)).astimezone(zone(tz)).strftime("%Y-%m-%d 09:00")
    rows = [
        [button(context, lang, "bc_button_in_hour", "when", "1h")],
        [
            button(context, lang, "bc_button_tomorrow_morning", "when", "t9"),
            button(context, lang, "bc_button_tomorrow_evening", "when", "t20"),
        ],
        [button(context, lang, "bc_button_to_draft", "draft")],
    ]
    await common.show(
        update, context, text(context, lang, "bc_ask_when", timezone=tz, example=example), rows
    )


async def read_when(
    update: Update, context: ContextTypes.DEFAULT_TYPE, lang: str, typed: str
) -> None:
    """Read a typed date and time for the draft; confirm it, or say it was unreadable."""
    draft = current_draft(context)
    svc = services(context)
    if draft is None:
        common.stop_waiting(context)
        await common.send(update, context, text(context, lang, "bc_draft_gone"))
        return
    tz, now = svc.settings.default_timezone, svc.clock.now()
    found = broadcasts.parse_when(typed, now, tz)
    if found is None:
        example = (now + dt.timedelta(days=1)).astimezone(zone(tz)).strftime("%Y-%m-%d 09:00")
        await common.send(
            update, context, text(context, lang, "bc_when_unreadable", example=example)
        )
        return
    await _confirm_when(update, context, lang, draft, found, edit=False)


async def _confirm_when(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    lang: str,
    draft: Draft,
    send_at: dt.datetime,
    *,
    edit: bool,
) -> None:
    svc = services(context)
    back = [button(context, lang, "bc_button_to_draft", "draft")]
    try:
        send_at = broadcasts.when.check_send_at(send_at, svc.clock.now())
    except Invalid as exc:
        await show_error(update, context, lang, exc, [back])
        return
    common.stop_waiting(context)
    common.chat_data(context)[WHEN] = send_at.isoformat()
    async with svc.db.session() as session:
        count = await broadcasts.audience_size(session, draft.audience)
    body = text(
        context,
        lang,
        "bc_confirm_when",
        when=when_text(context, lang, send_at),
        timezone=svc.settings.default_timezone,
        audience=audience_name(context, lang, draft.audience),
        count=count,
    )
    rows = [[button(context, lang, "bc_button_confirm_schedule", "when_ok")], back]
    if edit:
        await common.show(update, context, body, rows)
    else:
        await common.send(update, context, body, rows)


async def schedule(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store the broadcast for the confirmed time."""
    draft = await current(update, context)
    raw = common.chat_data(context).get(WHEN)
    if draft is None:
        return
    if not isinstance(raw, str):
        await common.stale(update, context)
        return
    made = await _create(update, context, draft, send_at=dt.datetime.fromisoformat(raw))
    if made is None:
        return
    broadcast, lang = made
    svc = services(context)
    body = text(
        context,
        lang,
        "bc_scheduled",
        id=broadcast.id,
        when=when_text(context, lang, broadcast.send_at),
        timezone=svc.settings.default_timezone,
    )
    rows = [
        [button(context, lang, "bc_button_cancel_id", "cancel", broadcast.id, id=broadcast.id)],
        [button(context, lang, "bc_button_back", "")],
    ]
    await common.show(update, context, body, rows)


async def _create(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    draft: Draft,
    *,
    send_at: dt.datetime,
    progress: int | None = None,
) -> tuple[Broadcast, str] | None:
    lang = await common.lang_of(update, context)
    svc, user, chat = services(context), update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    try:
        async with svc.db.session() as session:
            broadcast = await broadcasts.create(
                session,
                draft,
                send_at=send_at,
                actor=user.id,
                language=lang,
                now=svc.clock.now(),
                progress_chat_id=chat.id,
                progress_message_id=progress,
            )
    except Invalid as exc:
        await show_error(
            update, context, lang, exc, [[button(context, lang, "bc_button_to_draft", "draft")]]
        )
        return None
    common.chat_data(context).pop(DRAFT, None)
    common.chat_data(context).pop(WHEN, None)
    return broadcast, lang
