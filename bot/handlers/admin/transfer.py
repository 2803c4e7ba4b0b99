"""Export and import: the current tips, FAQ and schedule as YAML files, and an edited file
sent back, validated in full and applied in one transaction or refused with every problem."""

from __future__ import annotations

from typing import Any

from telegram import InputFile, Update
from telegram.constants import ParseMode
from telegram.ext import ApplicationHandlerStop, ContextTypes, MessageHandler, filters

from bot.admin import review
from bot.content import imports as content_import
from bot.content import store as content_store
from bot.content.errors import ContentError
from bot.content.transfer import (
    MAX_UPLOAD_BYTES,
    Parsed,
    dump_faq,
    dump_program,
    dump_tips,
    off_loop,
    parse_file,
)
from bot.handlers.admin import common
from bot.handlers.admin.auth import PREFIX, add_admin_doors, admin_filter
from bot.handlers.admin.common import CANCEL, MENU, Pending, button
from bot.handlers.groups import AnyApplication, Group
from bot.handlers.services import services, text

TRANSFER = f"{PREFIX}io"
EXPORT = f"{PREFIX}ex:"  # adm:ex:<tips|faq|schedule|all>
IMPORT = f"{PREFIX}im"
IMPORT_INPUT = "admin_import"
KINDS = ("tips", "faq", "schedule")
# bot_data key of an optional `async (bot, file_id) -> bytes` that fetches an uploaded file;
# getFile when unset. Tests set it while the sandbox has no getFile.


async def show_transfer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer the exports and the import."""
    await common.answer(update)
    lang = await common.lang_of(update, context)
    rows = [
        [
            button(context, lang, "admin_button_export_tips", f"{EXPORT}tips"),
            button(context, lang, "admin_button_export_faq", f"{EXPORT}faq"),
        ],
        [
            button(context, lang, "admin_button_export_schedule", f"{EXPORT}schedule"),
            button(context, lang, "admin_button_export_all", f"{EXPORT}all"),
        ],
        [button(context, lang, "admin_button_import", IMPORT)],
        common.back_row(context, lang, MENU),
    ]
    await common.show(update, context, text(context, lang, "admin_transfer"), rows)


async def export_files(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the chosen content as YAML documents."""
    args = common.args_of(update, EXPORT)
    if not args or args[0] not in (*KINDS, "all"):
        await common.stale(update, context)
        return
    await common.answer(update)
    lang = await common.lang_of(update, context)
    svc = services(context)
    chat = update.effective_chat
    assert chat is not None
    now = svc.clock.now()
    async with svc.db.session() as session:
        state = await content_store.load_state(session, svc.content)
        state = await review.labelled(session, svc.content, state, now)  # approvals go along
    retired = sum(1 for s in state.tips if s.retired)
    files = {
        "tips": lambda: dump_tips(state.active_tips, retired=retired, now=now),
        "faq": lambda: dump_faq(state.faq, now=now),
        "schedule": lambda: dump_program(state.program, now=now),
    }
    for kind in KINDS if args[0] == "all" else (args[0],):
        data = files[kind]().encode()
        await context.bot.send_document(
            chat.id,
            InputFile(data, filename=f"{kind}.yaml"),
            caption=text(context, lang, f"admin_export_{kind}"),
            parse_mode=ParseMode.HTML,
        )


async def ask_file(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain what to send for an import."""
    await common.answer(update)
    lang = await common.lang_of(update, context)
    common.await_input(context, IMPORT_INPUT)
    rows = [[button(context, lang, "admin_button_cancel", CANCEL)]]
    await common.show(update, context, text(context, lang, "admin_import_prompt"), rows)


async def receive_file(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Read an uploaded YAML file, validate it in full, and preview the import."""
    message = update.effective_message
    document = message.document if message is not None else None
    if document is None:
        return
    waiting = common.awaiting(context)
    name = document.file_name or "upload.yaml"
    if not name.lower().endswith((".yaml", ".yml")) and not (
        waiting and waiting["kind"] == IMPORT_INPUT
    ):
        return  # not content: let the fallback answer as it does for anyone
    lang = await common.lang_of(update, context)
    if not name.lower().endswith((".yaml", ".yml")):
        await common.send(update, context, text(context, lang, "admin_import_not_yaml"))
        raise ApplicationHandlerStop
    if (document.file_size or 0) > MAX_UPLOAD_BYTES:
        await common.send(update, context, text(context, lang, "admin_import_too_large"))
        raise ApplicationHandlerStop
    common.stop_waiting(context)
    download = services(context).state.download or _download
    data = await download(context.bot, document.file_id)
    await preview_import(update, context, lang, data, name)
    raise ApplicationHandlerStop


async def preview_import(
    update: Update, context: ContextTypes.DEFAULT_TYPE, lang: str, data: bytes, name: str
) -> None:
    """Validate a file and show what importing it changes (or every problem it has)."""
    svc = services(context)
    user = update.effective_user
    assert user is not None
    try:
        parsed = await off_loop(name, parse_file, data, name, svc.content.catalogs)
    except ContentError as exc:
        await common.send_problems(update, context, lang, "admin_import_invalid", exc.problems)
        return
    async with svc.db.session() as session:
        plan = await content_import.plan_import(session, svc.content, parsed)
    if plan.problems:
        await common.send_problems(update, context, lang, "admin_import_invalid", plan.problems)
        return
    if plan.empty:
        await common.send(update, context, text(context, lang, "admin_import_same", name=name))
        return
    actor = user.id

    async def run() -> int:
        return await _apply(svc, parsed, name, actor)

    values = {
        "name": name,
        "added": _few(plan.added),
        "changed": _few(plan.changed),
        "removed": _few(plan.removed),
    }
    body = text(context, lang, f"admin_import_preview_{plan.kind}", **values)
    pending = Pending(run, "admin_import_done", TRANSFER, {"name": name})
    await common.preview(update, context, lang, body, pending, edit=False)


async def _apply(svc: Any, parsed: Parsed, name: str, actor: int) -> int:
    # Worked out again at Apply time, so a change made since the preview is not overwritten.
    async with svc.db.session() as session:
        result: int = await content_store.apply(
            session,
            svc.content,
            content_import.import_change(svc.content, parsed),
            actor=actor,
            action=f"import.{parsed.kind}",
            target=name,
            now=svc.clock.now(),
        )
        return result


async def _download(bot: Any, file_id: str) -> bytes:
    return bytes(await (await bot.get_file(file_id)).download_as_bytearray())


def _few(ids: tuple[str, ...], limit: int = 10) -> str:
    if not ids:
        return "0"
    shown = ", ".join(ids[:limit])
    more = f" … (+{len(ids) - limit})" if len(ids) > limit else ""
    return f"{len(ids)}: {shown}{more}"


def register(app: AnyApplication) -> None:
    """Register export and import; uploads are read in the admin input group."""
    add_admin_doors(
        app,
        (
            (f"^{TRANSFER}$", show_transfer),
            (f"^{EXPORT}", export_files),
            (f"^{IMPORT}$", ask_file),
        ),
    )
    uploads = filters.ChatType.PRIVATE & admin_filter(app) & filters.Document.ALL
    app.add_handler(MessageHandler(uploads, receive_file), group=Group.ADMIN_INPUT)
