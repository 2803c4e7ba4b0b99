"""What every admin screen shares: showing a screen, buttons, pages, typed-input states,
and the preview -> apply -> undo step every change goes through."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.content.catalog import Html
from bot.handlers.admin.auth import PREFIX
from bot.handlers.services import reply_language, services, text

T = TypeVar("T")
Rows = list[list[InlineKeyboardButton]]
MENU = f"{PREFIX}menu"
CONFIRM = f"{PREFIX}ok:"  # adm:ok:<token>
CANCEL = f"{PREFIX}no"
UNDO = f"{PREFIX}undo:"  # adm:undo:<audit id>
_AWAIT = "admin_await"
_PENDING = "admin_pending"
_MAX_MESSAGE = 3800  # under Telegram's 4,096, leaving room for a header


@dataclass
class Pending:
    """A previewed change waiting for the admin's Apply; `run` returns the audit id."""

    run: Callable[[], Awaitable[int]]
    done_key: str
    back: str
    values: dict[str, Any] = field(default_factory=dict)
    undoable: bool = True
    token: str = field(default_factory=lambda: secrets.token_hex(4))


async def lang_of(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """The language to show the admin console in (theirs as a subscriber, else the client's)."""
    return await reply_language(update, context)


def button(
    context: ContextTypes.DEFAULT_TYPE, lang: str, key: str, data: str, **values: Any
) -> InlineKeyboardButton:
    """A callback button labelled from the catalogs (labels are plain text, never escaped)."""
    safe = {name: Html(str(value)) for name, value in values.items()}
    return InlineKeyboardButton(text(context, lang, key, **safe)[:64], callback_data=data)


def plain(label: str, data: str) -> InlineKeyboardButton:
    """A callback button with a label that is data (a tip title, a date)."""
    return InlineKeyboardButton(label[:64], callback_data=data)


def back_row(
    context: ContextTypes.DEFAULT_TYPE, lang: str, data: str = MENU
) -> list[InlineKeyboardButton]:
    """One Back button."""
    return [button(context, lang, "admin_button_back", data)]


def page_of(items: Sequence[T], page: int, size: int) -> tuple[Sequence[T], int, int]:
    """Return one page of items, the page number actually shown, and the number of pages."""
    pages = max(1, -(-len(items) // size))
    page = min(max(page, 0), pages - 1)
    return items[page * size : (page + 1) * size], page, pages


def pager(
    context: ContextTypes.DEFAULT_TYPE, lang: str, page: int, pages: int, data: str
) -> list[InlineKeyboardButton]:
    """◀ / ▶ buttons for a paginated list; `data` is the callback prefix the page is added to."""
    row: list[InlineKeyboardButton] = []
    if page > 0:
        row.append(button(context, lang, "admin_button_prev", f"{data}{page - 1}"))
    if page < pages - 1:
        row.append(button(context, lang, "admin_button_next", f"{data}{page + 1}"))
    return row


async def show(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    body: str,
    rows: Rows | None = None,
) -> Message | None:
    """Show a screen: edit the pressed message in place, or send a new one for a command."""
    markup = InlineKeyboardMarkup(rows) if rows else None
    query = update.callback_query
    shown = query.message if query is not None else None
    if query is not None and isinstance(shown, Message) and shown.text is not None:
        try:
            edited = await query.edit_message_text(
                body, parse_mode=ParseMode.HTML, reply_markup=markup
            )
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                raise
            return None
        return edited if isinstance(edited, Message) else None
    return await send(update, context, body, rows)


async def send(
    update: Update, context: ContextTypes.DEFAULT_TYPE, body: str, rows: Rows | None = None
) -> Message:
    """Send a new message in the admin's chat."""
    chat = update.effective_chat
    assert chat is not None
    markup = InlineKeyboardMarkup(rows) if rows else None
    return await context.bot.send_message(
        chat.id, body, parse_mode=ParseMode.HTML, reply_markup=markup
    )


async def send_problems(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    lang: str,
    key: str,
    problems: Sequence[str],
    rows: Rows | None = None,
) -> None:
    """List every problem (over several messages when long); the last one carries `rows`."""
    chunks: list[list[str]] = [[]]
    size = 0
    for problem in problems:
        line = f"• {problem}"
        if size + len(line) > _MAX_MESSAGE and chunks[-1]:
            chunks.append([])
            size = 0
        chunks[-1].append(line[:_MAX_MESSAGE])
        size += len(line) + 1
    for number, chunk in enumerate(chunks):
        head = text(context, lang, key, count=len(problems)) if number == 0 else ""
        listing = "\n".join(chunk)
        body = text(context, lang, "admin_problem_list", head=Html(head), problems=listing)
        await send(update, context, body, rows if number == len(chunks) - 1 else None)


async def stale(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a button that no longer means anything, as the fallback does."""
    if update.callback_query is not None:
        lang = await lang_of(update, context)
        await update.callback_query.answer(text(context, lang, "button_expired"), show_alert=True)


async def answer(update: Update) -> None:
    """Acknowledge a button press (stops the client's spinner)."""
    if update.callback_query is not None:
        await update.callback_query.answer()


def args_of(update: Update, prefix: str) -> list[str]:
    """The colon-separated arguments after a callback prefix."""
    data = update.callback_query.data if update.callback_query else None
    rest = (data or "").removeprefix(prefix)
    return rest.split(":") if rest else []


def chat_data(context: ContextTypes.DEFAULT_TYPE) -> dict[Any, Any]:
    """This chat's data (admin handlers only run in private chats, which always have it)."""
    assert context.chat_data is not None
    return context.chat_data


def await_input(context: ContextTypes.DEFAULT_TYPE, kind: str, **data: Any) -> None:
    """Read this admin's next text as `kind` (in the admin input group, before the FAQ)."""
    chat_data(context)[_AWAIT] = {"kind": kind, **data}


def awaiting(context: ContextTypes.DEFAULT_TYPE) -> dict[str, Any] | None:
    """The typed input this admin's chat waits for, if any."""
    found = chat_data(context).get(_AWAIT) if context.chat_data is not None else None
    return found if isinstance(found, dict) else None


def stop_waiting(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Forget any typed input and any previewed change."""
    chat_data(context).pop(_AWAIT, None)
    chat_data(context).pop(_PENDING, None)


async def preview(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    lang: str,
    body: str,
    pending: Pending,
    *,
    edit: bool = True,
) -> None:
    """Show what a change will do with Apply and Cancel; nothing is stored until Apply."""
    chat_data(context)[_PENDING] = pending
    rows = [
        [
            button(context, lang, "admin_button_apply", f"{CONFIRM}{pending.token}"),
            button(context, lang, "admin_button_cancel", CANCEL),
        ]
    ]
    if edit:
        await show(update, context, body, rows)
    else:
        await send(update, context, body, rows)


def take_pending(context: ContextTypes.DEFAULT_TYPE, token: str) -> Pending | None:
    """The previewed change this Apply button belongs to (once), or None for an old button."""
    pending = chat_data(context).get(_PENDING)
    if not isinstance(pending, Pending) or pending.token != token:
        return None
    chat_data(context).pop(_PENDING, None)
    return pending


def today(context: ContextTypes.DEFAULT_TYPE) -> dt.date:
    """Today in the clinic's timezone (DEFAULT_TIMEZONE)."""
    svc = services(context)
    return svc.clock.now().astimezone(ZoneInfo(svc.settings.default_timezone)).date()


def fmt_day(context: ContextTypes.DEFAULT_TYPE, lang: str, day: dt.date) -> str:
    """A date as admins read it: 'Tue 1 Dec 2026' in their language."""
    weekday = text(context, lang, f"admin_weekday_short_{day.weekday()}")
    month = text(context, lang, f"admin_month_{day.month}")
    return f"{weekday} {day.day} {month} {day.year}"


def day_code(day: dt.date) -> str:
    """A date in callback data."""
    return day.strftime("%Y%m%d")


def parse_day(code: str) -> dt.date | None:
    """A date from callback data, or None."""
    try:
        return dt.datetime.strptime(code, "%Y%m%d").date()  # noqa: DTZ007 - a date only
    except ValueError:
        return None
