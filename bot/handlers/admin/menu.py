"""/admin: the console's main menu, and the Apply, Cancel and Undo buttons every change uses."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.admin import review
from bot.content import store as content_store
from bot.content.catalog import Html
from bot.content.program import EditError
from bot.content.store import CannotUndo, ChangeRefused, NothingToChange
from bot.handlers.admin import common
from bot.handlers.admin.auth import PREFIX, add_admin_doors, is_owner
from bot.handlers.admin.common import CANCEL, CONFIRM, MENU, UNDO, button
from bot.handlers.admin.stats import capacity_text
from bot.handlers.groups import AnyApplication
from bot.handlers.services import services, text

log = logging.getLogger(__name__)

SCHEDULE = f"{PREFIX}sch"
TIPS = f"{PREFIX}tips"
BROADCASTS = f"{PREFIX}bc"  # part of the console built in bot/handlers/admin/broadcasts.py
STATS = f"{PREFIX}stats"  # bot/handlers/admin/stats.py
TRANSFER = f"{PREFIX}io"
PEOPLE = f"{PREFIX}people"
INBOX = f"{PREFIX}inbox"  # bot/handlers/admin/inbox.py
REVIEW = f"{PREFIX}rvq:a:0"  # bot/handlers/admin/review.py


async def show_menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the main menu: Schedule, Tips, Broadcasts, Stats, Export/Import (and Admins)."""
    if update.callback_query is None:
        common.stop_waiting(context)  # /admin starts afresh
    await common.answer(update)
    lang = await common.lang_of(update, context)
    svc = services(context)
    async with svc.db.session() as session:
        state = await content_store.load_state(session, svc.content)
        send_time = await content_store.default_send_time(session, svc.settings)
        found = await review.items(session, svc.content, svc.clock.now())
    live = {i.id for i in found if i.kind == review.TIP and i.status in review.LIVE}
    drafts = sum(1 for s in state.tips if not s.retired and s.tip.id not in live)
    status_key = "admin_status_paused" if state.paused else "admin_status_running"
    body = text(
        context,
        lang,
        "admin_menu",
        status=Html(text(context, lang, status_key)),
        time=send_time.strftime("%H:%M"),
        timezone=svc.settings.default_timezone,
        tips=len(state.active_tips),
        drafts=drafts,
    )
    # A send time too large for its catch-up window: said where the admin looks first.
    if warning := await capacity_text(context, lang, only_warnings=True):
        body = f"{body}\n\n{warning}"
    rows = [
        [
            button(context, lang, "admin_button_schedule", SCHEDULE),
            button(context, lang, "admin_button_tips", TIPS),
        ],
        [
            button(context, lang, "admin_button_broadcasts", BROADCASTS),
            button(context, lang, "admin_button_stats", STATS),
        ],
        [
            button(context, lang, "admin_button_transfer", TRANSFER),
            button(context, lang, "admin_button_inbox", INBOX),
            button(context, lang, "admin_button_review_queue", REVIEW),
        ],
    ]
    user = update.effective_user
    if is_owner(context, user.id if user else None):
        rows.append([button(context, lang, "admin_button_people", PEOPLE)])
    await common.show(update, context, body, rows)


async def apply_change(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Apply the change the admin just previewed."""
    query = update.callback_query
    assert query is not None
    pending = common.take_pending(context, (query.data or "").removeprefix(CONFIRM))
    if pending is None:
        await common.stale(update, context)
        return
    await query.answer()
    lang = await common.lang_of(update, context)
    back = [common.back_row(context, lang, pending.back)]
    try:
        audit_id = await pending.run()
    except (ChangeRefused, NothingToChange, EditError) as exc:
        await _refused(update, context, lang, exc, back)
        return
    rows = back
    if pending.undoable and audit_id:
        rows = [[button(context, lang, "admin_button_undo", f"{UNDO}{audit_id}")], *back]
    body = text(context, lang, pending.done_key, **pending.values)
    await common.show(update, context, body, rows)


async def cancel_change(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Drop the previewed change (or the typed input being waited for)."""
    await common.answer(update)
    common.stop_waiting(context)
    lang = await common.lang_of(update, context)
    rows = [common.back_row(context, lang)]
    await common.show(update, context, text(context, lang, "admin_cancelled"), rows)


async def undo_change(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Put back what an applied change replaced (audited as an undo)."""
    query = update.callback_query
    assert query is not None
    raw = (query.data or "").removeprefix(UNDO)
    if not raw.isdigit():
        await common.stale(update, context)
        return
    await query.answer()
    lang = await common.lang_of(update, context)
    svc = services(context)
    user = update.effective_user
    assert user is not None
    rows = [common.back_row(context, lang)]
    try:
        async with svc.db.session() as session:
            await content_store.undo(
                session, svc.content, int(raw), actor=user.id, now=svc.clock.now()
            )
    except (CannotUndo, ChangeRefused, NothingToChange) as exc:
        await _refused(update, context, lang, exc, rows)
        return
    await common.show(update, context, text(context, lang, "admin_undone"), rows)


async def _refused(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    lang: str,
    exc: Exception,
    rows: common.Rows,
) -> None:
    """Say why a change (or its undo) was not made: its problems, nothing to change, or the
    edit's own reason."""
    if isinstance(exc, ChangeRefused):
        await common.show(update, context, text(context, lang, "admin_refused_title"), rows)
        await common.send_problems(update, context, lang, "admin_refused", exc.problems)
    elif isinstance(exc, NothingToChange):
        await common.show(update, context, text(context, lang, "admin_err_no_change"), rows)
    elif isinstance(exc, EditError):
        await common.show(update, context, text(context, lang, exc.key, **exc.values), rows)
    elif isinstance(exc, CannotUndo):
        await common.show(update, context, text(context, lang, exc.key), rows)
    else:
        raise exc


def register(app: AnyApplication) -> None:
    """Register /admin and the shared Apply / Cancel / Undo buttons."""
    add_admin_doors(
        app,
        (
            (f"^{MENU}$", show_menu),
            (f"^{CONFIRM}[0-9a-f]+$", apply_change),
            (f"^{CANCEL}$", cancel_change),
            (f"^{UNDO}", undo_change),
        ),
        command=("admin", show_menu),
    )
