"""The admin console's Broadcasts: compose an announcement, preview it exactly as subscribers
will get it, choose the audience, send it now or at a time in the clinic's timezone, cancel
one before it starts, stop one that is sending.

Buttons are `adm:bc[:<action>[:<arg>...]]`, all behind the admin filter. The draft lives in
the admin's chat_data; the text, photo, button and time they type are read in Group.BROADCAST_INPUT
only while the console waits for one of them (the shared typed-input slot, common.awaiting).
Composing is in broadcast_compose, sending in broadcast_send, running in broadcast_runs.
"""

from __future__ import annotations

from sqlalchemy import func, select
from telegram import InlineKeyboardButton, Update
from telegram.ext import (
    ApplicationHandlerStop,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.admin import broadcasts
from bot.admin.broadcasts import Draft, Invalid
from bot.content.catalog import Html
from bot.db.models import Broadcast, BroadcastStatus
from bot.handlers.admin import broadcast_compose as compose
from bot.handlers.admin import broadcast_send, common
from bot.handlers.admin.auth import add_admin_doors, admin_filter
from bot.handlers.admin.broadcast_compose import Rows, audience_name, button, when_text
from bot.handlers.groups import AnyApplication, Group
from bot.handlers.services import services, text

COMPOSER_INPUTS = ("bc_text", "bc_photo", "bc_button")


# -- menu and list ----------------------------------------------------------------------------


async def show_menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/broadcast or the menu's Broadcasts button: counts and what to do."""
    await common.answer(update)
    lang = await common.lang_of(update, context)
    svc = services(context)
    async with svc.db.session() as session:
        counts = dict(
            (str(status), int(n))
            for status, n in await session.execute(
                select(Broadcast.status, func.count()).group_by(Broadcast.status)
            )
        )
    body = text(
        context,
        lang,
        "bc_menu",
        timezone=svc.settings.default_timezone,
        scheduled=counts.get(BroadcastStatus.SCHEDULED, 0),
        sending=counts.get(BroadcastStatus.SENDING, 0),
    )
    rows = [
        [button(context, lang, "bc_button_new", "new")],
        [button(context, lang, "bc_button_list", "list")],
        [InlineKeyboardButton(text(context, lang, "bc_button_back"), callback_data=common.MENU)],
    ]
    await common.show(update, context, body, rows)


async def show_list(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Waiting and running broadcasts (with Cancel and Stop), then the latest finished."""
    await common.answer(update)
    lang = await common.lang_of(update, context)
    svc = services(context)
    async with svc.db.session() as session:
        found = await broadcasts.recent(session, limit=8)
        counts = {b.id: await broadcasts.delivery_counts(session, b.id) for b in found}
    lines = [text(context, lang, "bc_list_title", timezone=svc.settings.default_timezone)]
    rows: Rows = []
    for item in found:
        tally = counts[item.id]
        started = (
            item.status != BroadcastStatus.SCHEDULED and item.status != BroadcastStatus.CANCELLED
        )
        preview = " ".join(broadcasts.compose.plain_text(item.text).split())
        lines.append(
            text(
                context,
                lang,
                "bc_list_item",
                id=item.id,
                status=Html(text(context, lang, f"bc_status_{item.status}")),
                when=when_text(context, lang, item.started_at or item.send_at),
                audience=Html(audience_name(context, lang, Draft.of(item).audience)),
                counts=Html(
                    text(context, lang, "bc_list_counts", sent=tally["sent"], total=item.total)
                    if started
                    else ""
                ),
                preview=preview[:80] + ("…" if len(preview) > 80 else ""),
            )
        )
        if item.status == BroadcastStatus.SCHEDULED:
            rows.append(
                [button(context, lang, "bc_button_cancel_id", "cancel", item.id, id=item.id)]
            )
        elif item.status == BroadcastStatus.SENDING:
            rows.append([button(context, lang, "bc_button_stop_id", "stop", item.id, id=item.id)])
    if not found:
        lines.append(text(context, lang, "bc_list_empty"))
    rows.append([button(context, lang, "bc_button_back", "")])
    await common.show(update, context, "\n\n".join(lines), rows)


# -- cancel and stop --------------------------------------------------------------------------


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE, args: list[str]) -> None:
    """Ask before cancelling a scheduled broadcast; then cancel it (audited)."""
    await common.answer(update)
    lang = await common.lang_of(update, context)
    if not args or not args[0].isdigit():
        await common.stale(update, context)
        return
    broadcast_id, svc, user = int(args[0]), services(context), update.effective_user
    assert user is not None
    back = [[button(context, lang, "bc_button_list", "list")]]
    try:
        async with svc.db.session() as session:
            if len(args) == 1:
                found = await broadcasts.compose.get(session, broadcast_id)
                body = text(
                    context,
                    lang,
                    "bc_confirm_cancel",
                    id=broadcast_id,
                    when=when_text(context, lang, found.send_at),
                )
                rows = [
                    [
                        button(
                            context, lang, "bc_button_confirm_cancel", "cancel", broadcast_id, "ok"
                        )
                    ],
                    *back,
                ]
                await common.show(update, context, body, rows)
                return
            await broadcasts.cancel(session, broadcast_id, actor=user.id, now=svc.clock.now())
    except Invalid as exc:
        await common.show(
            update, context, text(context, lang, f"bc_error_{exc.code}", **exc.values), back
        )
        return
    await common.show(update, context, text(context, lang, "bc_cancelled", id=broadcast_id), back)


async def stop(update: Update, context: ContextTypes.DEFAULT_TYPE, args: list[str]) -> None:
    """The Stop button: the runner notices within a second and shows the final tally."""
    query = update.callback_query
    lang = await common.lang_of(update, context)
    if query is None or not args or not args[0].isdigit():
        await common.stale(update, context)
        return
    svc, user = services(context), update.effective_user
    assert user is not None
    try:
        async with svc.db.session() as session:
            await broadcasts.stop(session, int(args[0]), actor=user.id, now=svc.clock.now())
    except Invalid as exc:
        await query.answer(
            text(context, lang, f"bc_error_{exc.code}", **exc.values), show_alert=True
        )
        return
    await query.answer(text(context, lang, "bc_stopping"))


async def read_input(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Read what the admin typed (or the photo they sent) while composing; else pass it on."""
    waiting = common.awaiting(context)
    kind = waiting.get("kind") if waiting else None
    message = update.effective_message
    if message is None or not isinstance(kind, str):
        return
    if kind in COMPOSER_INPUTS:
        await compose.read_draft_input(update, context, kind)
    elif kind == "bc_when":
        lang = await common.lang_of(update, context)
        await broadcast_send.read_when(update, context, lang, (message.text or "").strip())
    else:
        return
    raise ApplicationHandlerStop


# -- routing ----------------------------------------------------------------------------------


async def route(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Dispatch an adm:bc button to its screen."""
    data = update.callback_query.data if update.callback_query else None
    action, *args = (data or "").split(":")[2:] or [""]
    simple = {
        "": show_menu,
        "list": show_list,
        "new": compose.start_new,
        "text": compose.ask_text,
        "photo": compose.ask_photo,
        "btn": compose.ask_button,
        "draft": compose.show_draft,
        "now": broadcast_send.confirm_now,
        "now_ok": broadcast_send.send_now,
        "when_ok": broadcast_send.schedule,
        "x": compose.discard,
    }
    with_args = {
        "aud": compose.choose_audience,
        "when": broadcast_send.ask_when,
        "cancel": cancel,
        "stop": stop,
    }
    if action in simple and not args:
        await simple[action](update, context)
    elif action in with_args:
        await with_args[action](update, context, args)
    elif action in ("photo_rm", "btn_rm"):
        await compose.remove_part(update, context, action.removesuffix("_rm"))
    else:
        await common.stale(update, context)


def register(app: AnyApplication) -> None:
    """Register /broadcast, the adm:bc buttons and the composer's typed input (the job that
    starts due broadcasts, broadcast_runs.run_due, runs on the runtime's scheduler)."""
    private_admin = filters.ChatType.PRIVATE & admin_filter(app)
    add_admin_doors(
        app,
        ((f"^{compose.PREFIX}(:|$)", route),),
        command=("broadcast", show_menu),
    )
    typed = (
        private_admin
        & filters.UpdateType.MESSAGE
        & ((filters.TEXT & ~filters.COMMAND) | filters.PHOTO)
    )
    app.add_handler(MessageHandler(typed, read_input), group=Group.BROADCAST_INPUT)
