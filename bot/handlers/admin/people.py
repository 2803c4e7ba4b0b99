"""/admins: owners list, add and remove admins (by user id, or a message forwarded from them)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from telegram import MessageOriginHiddenUser, MessageOriginUser, Update
from telegram.ext import ContextTypes

from bot.admin import admins
from bot.content.catalog import Html
from bot.content.store import NothingToChange
from bot.handlers.admin import auth, common
from bot.handlers.admin.auth import PREFIX, add_admin_doors, is_owner
from bot.handlers.admin.common import Pending, button
from bot.handlers.groups import AnyApplication
from bot.handlers.services import services, text

PEOPLE = f"{PREFIX}people"
ADD = f"{PREFIX}pa"
ADD_REVIEWER = f"{PREFIX}pv"
REMOVE = f"{PREFIX}pr:"  # adm:pr:<user id>
INPUT = "admin_add"
_ID = re.compile(r"^\s*(\d{1,15})\s*$")


async def show_admins(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List owners and admins with Add and Remove buttons (owners only)."""
    await common.answer(update)
    lang = await common.lang_of(update, context)
    if not await _owner(update, context, lang):
        return
    svc = services(context)
    async with svc.db.session() as session:
        stored = await admins.list_admins(session)
    owners = "\n".join(
        text(context, lang, "admin_people_owner_line", id=owner) for owner in svc.settings.admin_ids
    )
    listed = "\n".join(
        text(
            context,
            lang,
            "admin_people_reviewer_line" if a.role == "reviewer" else "admin_people_line",
            id=a.user_id,
            by=a.added_by,
            date=a.added_at.date().isoformat(),
        )
        for a in stored
    ) or text(context, lang, "admin_people_none")
    body = text(context, lang, "admin_people", owners=Html(owners), admins=Html(listed))
    rows = [
        [button(context, lang, "admin_button_add_admin", ADD)],
        [button(context, lang, "admin_button_add_reviewer", ADD_REVIEWER)],
    ]
    rows += [
        [button(context, lang, "admin_button_remove_admin", f"{REMOVE}{a.user_id}", id=a.user_id)]
        for a in stored
    ]
    rows.append(common.back_row(context, lang))
    await common.show(update, context, body, rows)


def _admin_change(
    context: ContextTypes.DEFAULT_TYPE, change: Callable[..., Awaitable[bool]]
) -> Callable[[], Awaitable[int]]:
    """What Apply runs to add or remove an admin (`change(session, owners=, now=)` says
    whether anything changed); the admin set in memory is reloaded after."""
    svc = services(context)

    async def run() -> int:
        async with svc.db.session() as session:
            changed = await change(session, owners=svc.settings.admin_ids, now=svc.clock.now())
        if not changed:
            raise NothingToChange()
        await auth.refresh(context.application, svc)
        return 0

    return run


async def ask_new_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask for the new admin's user id or a forwarded message from them."""
    await common.answer(update)
    lang = await common.lang_of(update, context)
    if not await _owner(update, context, lang):
        return
    role = (
        "reviewer"
        if (update.callback_query and update.callback_query.data) == ADD_REVIEWER
        else "admin"
    )
    await common.ask_input(update, context, lang, INPUT, "admin_people_add_prompt", role=role)


async def read_new_admin(
    update: Update, context: ContextTypes.DEFAULT_TYPE, _waiting: dict[str, Any]
) -> None:
    """Read the id (typed or from a forwarded message) and preview adding them."""
    message = update.effective_message
    assert message is not None
    lang = await common.lang_of(update, context)
    origin = message.forward_origin
    user_id: int | None = None
    if isinstance(origin, MessageOriginUser):
        user_id = origin.sender_user.id
    elif isinstance(origin, MessageOriginHiddenUser):
        await common.send(update, context, text(context, lang, "admin_people_hidden"))
        return
    elif message.text and (found := _ID.match(message.text)):
        user_id = int(found.group(1))
    if not user_id:
        await common.send(update, context, text(context, lang, "admin_people_bad_id"))
        return
    common.stop_waiting(context)
    svc = services(context)
    role = str(_waiting.get("role", "admin"))
    if user_id in svc.settings.admin_ids and role != "reviewer":  # an owner may be a clinician
        await common.send(update, context, text(context, lang, "admin_people_is_owner", id=user_id))
        return
    actor = _actor(update)
    new_id = user_id

    run = _admin_change(context, partial(admins.add_admin, actor=actor, user_id=new_id, role=role))

    done_key = "admin_people_added_reviewer" if role == "reviewer" else "admin_people_added"
    pending = Pending(run, done_key, PEOPLE, {"id": user_id}, undoable=False)
    preview_key = "admin_people_add_reviewer_preview" if role == "reviewer" else ""
    body = text(context, lang, preview_key or "admin_people_add_preview", id=user_id)
    await common.preview(update, context, lang, body, pending, edit=False)


async def ask_remove(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Preview removing an admin."""
    lang = await common.lang_of(update, context)
    raw = common.args_of(update, REMOVE)
    if not raw or not raw[0].isdigit():
        await common.stale(update, context)
        return
    await common.answer(update)
    if not await _owner(update, context, lang):
        return
    actor, user_id = _actor(update), int(raw[0])

    run = _admin_change(context, partial(admins.remove_admin, actor=actor, user_id=user_id))

    pending = Pending(run, "admin_people_removed", PEOPLE, {"id": user_id}, undoable=False)
    body = text(context, lang, "admin_people_remove_preview", id=user_id)
    await common.preview(update, context, lang, body, pending)


async def _owner(update: Update, context: ContextTypes.DEFAULT_TYPE, lang: str) -> bool:
    user = update.effective_user
    if is_owner(context, user.id if user else None):
        return True
    rows = [common.back_row(context, lang)]
    await common.show(update, context, text(context, lang, "admin_owners_only"), rows)
    return False


def _actor(update: Update) -> int:
    user = update.effective_user
    assert user is not None
    return user.id


def register(app: AnyApplication) -> None:
    """Register /admins and its buttons."""
    add_admin_doors(
        app,
        (
            (f"^{PEOPLE}$", show_admins),
            (f"^({ADD}|{ADD_REVIEWER})$", ask_new_admin),
            (f"^{REMOVE}[0-9]+$", ask_remove),
        ),
        command=("admins", show_admins),
    )
