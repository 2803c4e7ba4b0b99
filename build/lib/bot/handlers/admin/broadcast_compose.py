"""Composing a broadcast in the admin console: the draft (text, photo, link button) in the
admin's chat_data, its preview exactly as subscribers will get it, and its audience."""

from __future__ import annotations

import datetime as dt
from typing import Any

from telegram import InlineKeyboardButton, Update
from telegram.ext import ContextTypes

from bot.admin import broadcasts
from bot.admin.broadcasts import Audience, Draft, Invalid
from bot.content.catalog import Html
from bot.handlers.admin import common
from bot.handlers.admin.broadcast_runs import sender_of
from bot.handlers.services import services, text
from bot.outbound.outcome import SendOutcome
from bot.schedule.due import zone

PREFIX = "adm:bc"
DRAFT = "bc_draft"
OPTIONS = "bc_options"
WHEN = "bc_send_at"
Rows = list[list[InlineKeyboardButton]]


def data(*parts: object) -> str:
    """Callback data under adm:bc."""
    return ":".join((PREFIX, *(str(p) for p in parts)))


def button(
    context: ContextTypes.DEFAULT_TYPE, lang: str, key: str, *parts: object, **values: Any
) -> InlineKeyboardButton:
    """A button labelled from the catalogs (values are data, not HTML)."""
    label = text(context, lang, key, **{k: Html(str(v)) for k, v in values.items()})
    return InlineKeyboardButton(label[:64], callback_data=data(*parts))


def label(context: ContextTypes.DEFAULT_TYPE, lang: str, key: str, fallback: str) -> str:
    """A catalog word if the catalogs have it (topic and concern names), else the raw value."""
    catalogs = services(context).content.catalogs
    return catalogs.text(lang, key) if key in catalogs.keys(lang) else fallback


def value_name(context: ContextTypes.DEFAULT_TYPE, lang: str, kind: str, value: str) -> str:
    """How an audience value reads: a language's own name, a topic, a concern, a source."""
    if kind == "language":
        return label(context, value, "language_name", value)
    if kind in ("topic", "concern"):
        return label(context, lang, f"{kind}_{value}", value)
    return value


def audience_name(context: ContextTypes.DEFAULT_TYPE, lang: str, audience: Audience) -> str:
    """An audience in words: "everyone subscribed", "language: Bahasa Melayu"."""
    if audience.value is None:
        return text(context, lang, "bc_audience_all")
    name = value_name(context, lang, audience.kind, audience.value)
    return text(context, lang, f"bc_audience_{audience.kind}", value=Html(name))


def when_text(context: ContextTypes.DEFAULT_TYPE, lang: str, instant: dt.datetime) -> str:
    """An instant as the admin reads it, in the clinic's timezone."""
    tz = services(context).settings.default_timezone
    local = instant.astimezone(zone(tz))
    return f"{common.fmt_day(context, lang, local.date())}, {local:%H:%M}"


def current_draft(context: ContextTypes.DEFAULT_TYPE) -> Draft | None:
    """The admin's draft, or None (none yet, or chat_data was lost in a restart)."""
    found = common.chat_data(context).get(DRAFT)
    if not isinstance(found, dict) or not found.get("text"):
        return None
    try:
        return Draft.from_dict(found)
    except Invalid:
        return None


def keep(context: ContextTypes.DEFAULT_TYPE, draft: Draft) -> None:
    """Store the draft in the admin's chat_data."""
    common.chat_data(context)[DRAFT] = draft.as_dict()


async def show_error(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    lang: str,
    exc: Invalid,
    rows: Rows | None = None,
) -> None:
    """Say why input was refused (nothing changed)."""
    body = text(context, lang, f"bc_error_{exc.code}", **exc.values)
    await common.send(update, context, body, rows)


# -- composing --------------------------------------------------------------------------------


async def start_new(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start a new announcement: wait for its text (or a photo with a caption)."""
    await common.answer(update)
    common.chat_data(context).pop(DRAFT, None)
    await _ask(update, context, "bc_text", "bc_ask_text")


async def ask_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Wait for new text for the draft (the rest stays)."""
    await common.answer(update)
    await _ask(update, context, "bc_text", "bc_ask_text")


async def ask_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Wait for a photo (or an image link)."""
    await common.answer(update)
    await _ask(update, context, "bc_photo", "bc_ask_photo")


async def ask_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Wait for "Label | https://link"."""
    await common.answer(update)
    await _ask(update, context, "bc_button", "bc_ask_button")


async def _ask(update: Update, context: ContextTypes.DEFAULT_TYPE, kind: str, key: str) -> None:
    lang = await common.lang_of(update, context)
    common.await_input(context, kind)
    back = "draft" if current_draft(context) is not None else "x"
    await common.show(
        update,
        context,
        text(context, lang, key),
        [[button(context, lang, "bc_button_cancel", back)]],
    )


async def read_draft_input(update: Update, context: ContextTypes.DEFAULT_TYPE, kind: str) -> None:
    """Read the text, photo or button the composer asked for; preview the draft with it."""
    message = update.effective_message
    assert message is not None
    lang = await common.lang_of(update, context)
    draft = current_draft(context)
    typed = (message.text or "").strip()
    try:
        if kind == "bc_text":
            photo = message.photo[-1].file_id if message.photo else None
            html = message.text_html if message.text else (message.caption_html or "")
            base = draft or Draft("")
            draft = Draft(
                html, photo or base.photo, base.button_text, base.button_url, base.audience
            )
        elif draft is None:
            await common.send(update, context, text(context, lang, "bc_draft_gone"))
            common.stop_waiting(context)
            return
        elif kind == "bc_photo":
            photo = (
                message.photo[-1].file_id
                if message.photo
                else broadcasts.compose.check_photo_link(typed)
            )
            draft = Draft(draft.text, photo, draft.button_text, draft.button_url, draft.audience)
        else:
            label, url = broadcasts.compose.parse_button(typed)
            draft = Draft(draft.text, draft.photo, label, url, draft.audience)
        draft = broadcasts.check(draft)
    except Invalid as exc:
        await show_error(update, context, lang, exc)
        return
    if await preview(update, context, lang, draft):
        common.stop_waiting(context)
        keep(context, draft)
        await panel(update, context, lang, draft, edit=False)


async def preview(
    update: Update, context: ContextTypes.DEFAULT_TYPE, lang: str, draft: Draft
) -> bool:
    """Send the draft to the admin exactly as subscribers will get it; False if refused."""
    chat = update.effective_chat
    sender = sender_of(context.application)
    assert chat is not None and sender is not None, "post_init sets the sender up"
    method, params = broadcasts.message(draft)
    result = await sender.send(chat.id, method, params, bulk=False)
    if result.outcome != SendOutcome.SENT:
        reason = result.reason or result.outcome
        await common.send(update, context, text(context, lang, "bc_error_telegram", reason=reason))
        return False
    return True


async def panel(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    lang: str,
    draft: Draft,
    *,
    edit: bool = True,
) -> None:
    """Show the draft's panel: audience and size, photo, button, and what to do next."""
    svc = services(context)
    async with svc.db.session() as session:
        count = await broadcasts.audience_size(session, draft.audience)
    none = text(context, lang, "bc_none")
    body = text(
        context,
        lang,
        "bc_draft",
        audience=audience_name(context, lang, draft.audience),
        count=count,
        photo=text(context, lang, "bc_yes") if draft.photo else none,
        button=draft.button_text or none,
    )
    photo = (
        ("bc_button_remove_photo", "photo_rm") if draft.photo else ("bc_button_add_photo", "photo")
    )
    link = (
        ("bc_button_remove_button", "btn_rm")
        if draft.button_text
        else ("bc_button_add_button", "btn")
    )
    rows = [
        [
            button(context, lang, "bc_button_edit_text", "text"),
            button(context, lang, "bc_button_audience", "aud"),
        ],
        [button(context, lang, photo[0], photo[1]), button(context, lang, link[0], link[1])],
        [
            button(context, lang, "bc_button_send_now", "now"),
            button(context, lang, "bc_button_schedule", "when"),
        ],
        [button(context, lang, "bc_button_discard", "x")],
    ]
    if edit:
        await common.show(update, context, body, rows)
    else:
        await common.send(update, context, body, rows)


async def show_draft(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Back to the draft's panel."""
    draft = await current(update, context)
    if draft is not None:
        common.stop_waiting(context)
        await panel(update, context, await common.lang_of(update, context), draft)


async def current(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Draft | None:
    """The draft a button belongs to; an old button gets "draft gone"."""
    draft = current_draft(context)
    lang = await common.lang_of(update, context)
    if draft is None:
        await common.answer(update)
        await common.show(
            update,
            context,
            text(context, lang, "bc_draft_gone"),
            [[button(context, lang, "bc_button_new", "new")]],
        )
        return None
    await common.answer(update)
    return draft


async def remove_part(update: Update, context: ContextTypes.DEFAULT_TYPE, part: str) -> None:
    """Take the photo or the link button off the draft (and preview it again)."""
    draft = await current(update, context)
    if draft is None:
        return
    lang = await common.lang_of(update, context)
    if part == "photo":
        draft = Draft(draft.text, None, draft.button_text, draft.button_url, draft.audience)
    else:
        draft = Draft(draft.text, draft.photo, None, None, draft.audience)
    if await preview(update, context, lang, draft):
        keep(context, draft)
        await panel(update, context, lang, draft, edit=False)


async def discard(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Drop the draft."""
    await common.answer(update)
    common.chat_data(context).pop(DRAFT, None)
    common.stop_waiting(context)
    lang = await common.lang_of(update, context)
    await common.show(
        update,
        context,
        text(context, lang, "bc_discarded"),
        [[button(context, lang, "bc_button_back", "")]],
    )


# -- audience ---------------------------------------------------------------------------------


async def choose_audience(
    update: Update, context: ContextTypes.DEFAULT_TYPE, args: list[str]
) -> None:
    """Audience kinds; then a kind's values with counts; then store the choice."""
    draft = await current(update, context)
    if draft is None:
        return
    lang = await common.lang_of(update, context)
    svc = services(context)
    back = [button(context, lang, "bc_button_to_draft", "draft")]
    if not args:
        async with svc.db.session() as session:
            everyone = await broadcasts.audience_size(session, Audience())
        rows = [[button(context, lang, "bc_kind_all", "aud", "all", count=everyone)]]
        rows += [
            [button(context, lang, f"bc_kind_{kind}", "aud", kind)]
            for kind in broadcasts.compose.AUDIENCE_KINDS[1:]
        ]
        await common.show(update, context, text(context, lang, "bc_ask_audience"), [*rows, back])
        return
    kind = args[0]
    if kind == "all" or len(args) > 1:
        options = common.chat_data(context).get(OPTIONS) or []
        try:
            if kind == "all":
                audience = Audience()
            else:
                index = int(args[1])
                if not 0 <= index < len(options):
                    raise ValueError(index)
                audience = Audience(kind, str(options[index]))
        except ValueError:
            await common.stale(update, context)
            return
        draft = Draft(draft.text, draft.photo, draft.button_text, draft.button_url, audience)
        keep(context, draft)
        await panel(update, context, lang, draft)
        return
    if kind not in broadcasts.compose.AUDIENCE_KINDS:
        await common.stale(update, context)
        return
    async with svc.db.session() as session:
        found = await broadcasts.audience_options(session, kind)
    common.chat_data(context)[OPTIONS] = [value for value, _n in found]
    rows = [
        [
            button(
                context,
                lang,
                "bc_option",
                "aud",
                kind,
                i,
                name=value_name(context, lang, kind, value),
                count=n,
            )
        ]
        for i, (value, n) in enumerate(found)
    ]
    body = text(context, lang, "bc_ask_value", kind=text(context, lang, f"bc_kind_{kind}"))
    if not found:
        body = text(context, lang, "bc_no_sources")
    await common.show(
        update, context, body, [*rows, [button(context, lang, "bc_button_audience", "aud")], back]
    )
