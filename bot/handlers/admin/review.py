"""Review: the queue of tips and FAQ entries waiting for a clinician (rules in bot/admin/review.py).

A reviewer opens an item, reads it exactly as patients will (English and Malay cards side by
side, one message each), and approves it or sends it back with a typed comment. What they
read is remembered (its fingerprint): if it changed in the meantime the decision is refused.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.admin import review
from bot.content import store as content_store
from bot.content.catalog import Html
from bot.content.models import LANGUAGES
from bot.content.render import faq_answer
from bot.handlers.admin import common
from bot.handlers.admin.auth import PREFIX, add_admin_doors
from bot.handlers.admin.common import button, plain
from bot.handlers.admin.tips import send_card
from bot.handlers.groups import AnyApplication
from bot.handlers.services import services, text

log = logging.getLogger(__name__)

QUEUE = f"{PREFIX}rvq:"  # adm:rvq:<a|t|f>:<page> (all, tips, FAQ)
ITEM = f"{PREFIX}r:"  # adm:r:<t|f>:<id> (at most 64 bytes with the longest id)
APPROVE = f"{PREFIX}rva"  # the item last opened in this chat
SEND_BACK = f"{PREFIX}rvb"
COMMENT_INPUT = "admin_review_comment"
_SHOWN = "admin_review_item"
_KINDS = {"t": review.TIP, "f": review.FAQ}
_CODES = {kind: code for code, kind in _KINDS.items()}
_ICONS = {
    review.Status.NEW: "🆕",
    review.Status.EDITED: "✏️",
    review.Status.EXPIRED: "⌛",
    review.Status.EXPIRING: "⏳",
    review.Status.RETURNED: "↩️",
    review.Status.REVIEWED: "✅",
}
PAGE = 8


async def show_queue(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List what waits for review (new, edited, expired or expiring, sent back)."""
    await common.answer(update)
    lang = await common.lang_of(update, context)
    svc = services(context)
    raw = common.args_of(update, QUEUE)
    only = raw[0] if raw and raw[0] in _KINDS else "a"
    page = int(raw[1]) if len(raw) > 1 and raw[1].isdigit() else 0
    async with svc.db.session() as session:
        found = await review.items(session, svc.content, svc.clock.now())
    everything = review.queue(found)
    waiting = [i for i in everything if only == "a" or i.kind == _KINDS[only]]
    per_kind = review.counts(found)
    live = sum(per_kind[k][s] for k in review.KINDS for s in review.LIVE)
    shown, page, pages = common.page_of(waiting, page, PAGE)
    mode = "admin_review_mode_on" if svc.settings.review_required else "admin_review_mode_off"
    body = text(
        context,
        lang,
        "admin_review_queue",
        waiting=len(waiting),
        live=live,
        total=len(found),
        mode=Html(text(context, lang, mode)),
    )
    rows = [
        [
            plain(
                f"{_ICONS[i.status]} {_kind_label(context, lang, i.kind)}: {i.title}", _item_data(i)
            )
        ]
        for i in shown
    ]
    nav = common.pager(context, lang, page, pages, f"{QUEUE}{only}:")
    if nav:
        rows.append(nav)
    rows.append(
        [
            button(
                context,
                lang,
                f"admin_review_only_{kind}",
                f"{QUEUE}{'a' if only == code else code}:0",
                count=sum(1 for i in everything if i.kind == kind),
                on="• " if only == code else "",
            )
            for code, kind in _KINDS.items()
        ]
    )
    rows.append(common.back_row(context, lang))
    await common.show(update, context, body, rows)


async def show_item(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the item in both languages as patients see it, then its review and the buttons."""
    raw = common.args_of(update, ITEM)
    kind = _KINDS.get(raw[0]) if raw else None
    await common.answer(update)
    lang = await common.lang_of(update, context)
    svc = services(context)
    item_id = ":".join(raw[1:]) if raw else ""
    async with svc.db.session() as session:
        item = await review.find(session, svc.content, kind or "", item_id, svc.clock.now())
        state = await content_store.load_state(session, svc.content)
    if kind is None or item is None:
        await common.stale(update, context)
        return
    if kind == review.TIP:
        tip = review.find_tip(state, item_id)
        assert tip is not None
        for language in LANGUAGES:
            await send_card(update, context, tip, language)
    else:
        entry = review.find_faq(state, item_id)
        assert entry is not None
        for language in LANGUAGES:
            await common.send(update, context, faq_answer(svc.content.catalogs, entry, language))
    common.chat_data(context)[_SHOWN] = {"kind": kind, "id": item_id, "fp": item.fingerprint}
    rows = [
        [
            button(context, lang, "admin_button_approve", APPROVE),
            button(context, lang, "admin_button_send_back", SEND_BACK),
        ],
        common.back_row(context, lang, f"{QUEUE}{_CODES[kind]}:0"),
    ]
    await common.send(update, context, _describe(context, lang, item), rows)


async def approve(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Approve the item this reviewer just read (for REVIEW_VALID_DAYS)."""
    await common.answer(update)
    await _decide(update, context, approve=True, comment=None)


async def ask_comment(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask for the comment the item goes back to its author with."""
    await common.answer(update)
    lang = await common.lang_of(update, context)
    if common.chat_data(context).get(_SHOWN) is None:
        await common.stale(update, context)
        return
    await common.ask_input(update, context, lang, COMMENT_INPUT, "admin_review_comment_prompt")


async def read_comment(
    update: Update, context: ContextTypes.DEFAULT_TYPE, _waiting: dict[str, Any]
) -> None:
    """Send the item back with the typed comment."""
    common.stop_waiting(context)
    message = update.effective_message
    assert message is not None
    await _decide(update, context, approve=False, comment=message.text or "")


async def _decide(
    update: Update, context: ContextTypes.DEFAULT_TYPE, *, approve: bool, comment: str | None
) -> None:
    lang = await common.lang_of(update, context)
    svc = services(context)
    shown = common.chat_data(context).get(_SHOWN)
    user = update.effective_user
    if shown is None or user is None:
        await common.stale(update, context)
        return
    back = [common.back_row(context, lang, f"{QUEUE}{_CODES.get(shown['kind'], 'a')}:0")]
    try:
        async with svc.db.session() as session:
            item = await review.decide(
                session,
                svc.content,
                kind=shown["kind"],
                item_id=shown["id"],
                fp=shown["fp"],
                actor=user.id,
                approve=approve,
                now=svc.clock.now(),
                valid_days=svc.settings.review_valid_days,
                comment=comment,
            )
    except review.ReviewRefused as exc:
        await common.show(update, context, text(context, lang, exc.key), back)
        return
    common.chat_data(context).pop(_SHOWN, None)
    decision = item.decision
    assert decision is not None
    if approve:
        until = (
            decision.expires_at.date().isoformat()
            if decision.expires_at
            else text(context, lang, "admin_review_no_expiry")
        )
        body = text(context, lang, "admin_review_approved", item=item.key, until=until)
    else:
        body = text(context, lang, "admin_review_returned", item=item.key)
        await _tell_author(context, item, user.id)
    await common.show(update, context, body, back)


async def _tell_author(
    context: ContextTypes.DEFAULT_TYPE, item: review.Item, reviewer: int
) -> None:
    """The author of a change sees the comment in their own chat (staff speak English or Malay;
    the comment itself is the reviewer's words)."""
    if not item.author or item.decision is None:
        return  # the repository's content, or the command line: the queue shows the comment
    svc = services(context)
    try:
        lang = svc.content.catalogs.languages[0]
        body = text(
            context,
            lang,
            "admin_review_author_note",
            item=item.key,
            title=item.title,
            comment=item.decision.comment or "",
            reviewer=reviewer,
        )
        await context.bot.send_message(item.author, body, parse_mode=ParseMode.HTML)
    except (TelegramError, SQLAlchemyError):
        log.warning("could not tell author %s about the review of %s", item.author, item.key)


def _describe(context: ContextTypes.DEFAULT_TYPE, lang: str, item: review.Item) -> str:
    status = text(context, lang, f"admin_review_status_{item.status.value}")
    lines = [
        text(
            context,
            lang,
            "admin_review_item",
            icon=_ICONS[item.status],
            item=item.key,
            status=Html(status),
        )
    ]
    decision = item.decision
    if decision is not None:
        key = "admin_review_last_approved"
        if decision.decision == "returned":
            key = "admin_review_last_returned"
        lines.append(
            text(
                context,
                lang,
                key,
                reviewer=decision.reviewer_id,
                date=_day(decision.created_at),
                comment=decision.comment or "",
                until=_day(decision.expires_at) if decision.expires_at else "—",
            )
        )
    author = str(item.author) if item.author else text(context, lang, "admin_review_author_file")
    lines.append(text(context, lang, "admin_review_author", author=author))
    return "\n".join(lines)


def _day(when: dt.datetime | None) -> str:
    return when.date().isoformat() if when else ""


def _kind_label(context: ContextTypes.DEFAULT_TYPE, lang: str, kind: str) -> str:
    return text(context, lang, f"admin_review_kind_{kind}")


def _item_data(item: review.Item) -> str:
    return f"{ITEM}{_CODES[item.kind]}:{item.id}"


def register(app: AnyApplication) -> None:
    """Register /review and the queue's buttons."""
    add_admin_doors(
        app,
        (
            (f"^{QUEUE}[atf]:[0-9]+$", show_queue),
            (f"^{ITEM}[tf]:", show_item),
            (f"^{APPROVE}$", approve),
            (f"^{SEND_BACK}$", ask_comment),
        ),
        command=("review", show_queue),
    )
