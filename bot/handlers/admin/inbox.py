"""The staff inbox in the admin console: questions patients chose to send to the team.

Newest first with language, age and status; reply through the bot (the patient sees it
marked as from the clinic), close, or turn question and reply into an FAQ draft.
"""

from __future__ import annotations

import functools
import html
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.admin import inbox
from bot.db.models import InboxItem
from bot.handlers.admin import common
from bot.handlers.admin.auth import PREFIX, add_admin_doors
from bot.handlers.admin.common import MENU, button
from bot.handlers.groups import AnyApplication
from bot.handlers.services import services, text
from bot.schedule.due import zone

LIST = f"{PREFIX}inbox"  # adm:inbox[:<page>]
ITEM = f"{PREFIX}ibx:"  # adm:ibx:<id>
REPLY = f"{PREFIX}ibr:"  # adm:ibr:<id>
CLOSE = f"{PREFIX}ibc:"  # adm:ibc:<id>
DRAFT = f"{PREFIX}ibf:"  # adm:ibf:<id>
REPLY_INPUT = "inbox_reply"
PAGE = 8

log = logging.getLogger(__name__)


async def show_inbox(update: Update, context: ContextTypes.DEFAULT_TYPE, page: int = 0) -> None:
    """List the items, newest first, one button each."""
    await common.answer(update)
    lang = await common.lang_of(update, context)
    svc = services(context)
    now = svc.clock.now()
    async with svc.db.session() as session:
        items = await inbox.newest(session, limit=PAGE + 1, offset=page * PAGE)
        waiting = await inbox.count_open(session)
    rows = [
        [common.plain(_line(context, lang, item, now), f"{ITEM}{item.id}")] for item in items[:PAGE]
    ]
    more = []
    if page > 0:
        more.append(common.plain("‹", f"{LIST}:{page - 1}"))
    if len(items) > PAGE:
        more.append(common.plain("›", f"{LIST}:{page + 1}"))
    if more:
        rows.append(more)
    rows.append(common.back_row(context, lang, MENU))
    key = "inbox_title" if items or page else "inbox_empty"
    await common.show(update, context, text(context, lang, key, open=waiting), rows)


def _facts(
    context: ContextTypes.DEFAULT_TYPE, lang: str, item: InboxItem, now: Any
) -> dict[str, object]:
    """What the list line and the item screen both say of an item."""
    return {
        "id": item.id,
        "status": text(context, lang, f"inbox_status_{item.status}"),
        "lang_code": item.language,
        "age": inbox.age(item, now),
    }


def _line(context: ContextTypes.DEFAULT_TYPE, lang: str, item: InboxItem, now: Any) -> str:
    preview = " ".join(item.question.split())[:40]
    return text(
        context,
        lang,
        "inbox_line",
        **_facts(context, lang, item, now),
        preview=preview,
    )


async def _open(
    update: Update, context: ContextTypes.DEFAULT_TYPE, item_id: int
) -> tuple[InboxItem, str] | None:
    """Answer the press and read one item, with the staff member's language; None (and a
    note to them) when it is gone."""
    await common.answer(update)
    lang = await common.lang_of(update, context)
    async with services(context).db.session() as session:
        try:
            return await inbox.get(session, item_id), lang
        except inbox.NotFound:
            await _gone(update, context, lang)
            return None


ItemAction = Callable[[Update, ContextTypes.DEFAULT_TYPE, InboxItem, str], Awaitable[None]]


def _on_item(
    action: ItemAction,
) -> Callable[[Update, ContextTypes.DEFAULT_TYPE, int], Awaitable[None]]:
    """An action on one item, run with its id: the press answered, the item read (a gone
    one is said to be gone), with the staff member's language."""

    @functools.wraps(action)
    async def run(update: Update, context: ContextTypes.DEFAULT_TYPE, item_id: int) -> None:
        opened = await _open(update, context, item_id)
        if opened is not None:
            await action(update, context, *opened)

    return run


@_on_item
async def show_item(
    update: Update, context: ContextTypes.DEFAULT_TYPE, item: InboxItem, lang: str
) -> None:
    """Show one item in full, with Reply, Close and FAQ draft."""
    svc = services(context)
    body = text(
        context,
        lang,
        "inbox_item",
        **_facts(context, lang, item, svc.clock.now()),
        kind=text(context, lang, f"inbox_kind_{item.kind}"),
        question=item.question,
        reply=item.reply or text(context, lang, "inbox_no_reply"),
    )
    rows = [
        [
            button(context, lang, "inbox_button_reply", f"{REPLY}{item.id}"),
            button(context, lang, "inbox_button_close", f"{CLOSE}{item.id}"),
        ],
        [button(context, lang, "inbox_button_faq", f"{DRAFT}{item.id}")],
        [button(context, lang, "inbox_button_list", LIST)],
    ]
    await common.show(update, context, body, rows)


async def ask_reply(update: Update, context: ContextTypes.DEFAULT_TYPE, item_id: int) -> None:
    """Wait for the staff member's reply to an item."""
    await common.answer(update)
    lang = await common.lang_of(update, context)
    common.await_input(context, REPLY_INPUT, item_id=item_id)
    rows = [[button(context, lang, "admin_button_cancel", common.CANCEL)]]
    await common.send(update, context, text(context, lang, "inbox_reply_prompt", id=item_id), rows)


async def read_reply(
    update: Update, context: ContextTypes.DEFAULT_TYPE, waiting: dict[str, Any]
) -> None:
    """Send the typed reply to the patient, marked as from the clinic, then save it."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not message.text:
        return
    common.stop_waiting(context)
    lang = await common.lang_of(update, context)
    svc = services(context)
    item_id = int(waiting["item_id"])
    async with svc.db.session() as session:
        try:
            item = await inbox.get(session, item_id)
        except inbox.NotFound:
            await _gone(update, context, lang)
            return
        patient = text(
            context,
            item.language,
            "inbox_staff_reply",
            clinic=svc.settings.clinic_name,
            reply=message.text,
            question=" ".join(item.question.split())[:300],
        )
        try:
            await context.bot.send_message(item.chat_id, patient, parse_mode=ParseMode.HTML)
        except TelegramError as exc:
            failed = text(context, lang, "inbox_reply_failed", id=item_id, error=str(exc))
            await common.send(update, context, failed)
            return
        await inbox.record_reply(session, item_id, message.text, user.id, svc.clock.now())
    rows = [[button(context, lang, "inbox_button_list", f"{ITEM}{item_id}")]]
    await common.send(update, context, text(context, lang, "inbox_replied", id=item_id), rows)


async def close_item(update: Update, context: ContextTypes.DEFAULT_TYPE, item_id: int) -> None:
    """Close an item (purged after the retention period)."""
    await common.answer(update)
    lang = await common.lang_of(update, context)
    svc = services(context)
    user = update.effective_user
    async with svc.db.session() as session:
        try:
            await inbox.close(session, item_id, user.id if user else 0, svc.clock.now())
        except inbox.NotFound:
            await _gone(update, context, lang)
            return
    body = text(context, lang, "inbox_closed", id=item_id, days=svc.settings.inbox_retention_days)
    await common.show(update, context, body, [[button(context, lang, "inbox_button_list", LIST)]])


@_on_item
async def send_draft(
    update: Update, context: ContextTypes.DEFAULT_TYPE, item: InboxItem, lang: str
) -> None:
    """Send the item's question and reply as a draft FAQ entry, for clinical review."""
    svc = services(context)
    user = update.effective_user
    by = (user.full_name if user else "")[:80]
    topics = list(dict.fromkeys(entry.topic for entry in svc.content.faq))
    today = svc.clock.now().astimezone(zone(svc.settings.default_timezone)).date()
    draft = inbox.faq_draft(item, today, topics=topics, by=by if len(by) >= 2 else "clinic team")
    intro = text(context, lang, "inbox_faq_draft", id=item.id)
    await common.send(update, context, f"{intro}\n<pre>{html.escape(draft)}</pre>")


async def _gone(update: Update, context: ContextTypes.DEFAULT_TYPE, lang: str) -> None:
    await common.show(
        update,
        context,
        text(context, lang, "inbox_gone"),
        [[button(context, lang, "inbox_button_list", LIST)]],
    )


async def route(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Dispatch an inbox button."""
    data = (update.callback_query.data if update.callback_query else None) or ""
    for prefix, action in (
        (ITEM, show_item),
        (REPLY, ask_reply),
        (CLOSE, close_item),
        (DRAFT, send_draft),
    ):
        raw = data.removeprefix(prefix)
        if data.startswith(prefix) and raw.isdigit() and len(raw) < 18:
            await action(update, context, int(raw))
            return
    raw = data.removeprefix(LIST).removeprefix(":")
    if data.startswith(LIST) and (raw == "" or raw.isdigit()):
        await show_inbox(update, context, int(raw or 0))
        return
    await common.stale(update, context)


async def inbox_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/inbox: the list."""
    common.stop_waiting(context)
    await show_inbox(update, context)


def register(app: AnyApplication) -> None:
    """Register /inbox and the inbox buttons."""
    add_admin_doors(
        app,
        ((f"^({LIST}(:|$)|{PREFIX}ib[xrcf]:)", route),),
        command=("inbox", inbox_command),
    )
