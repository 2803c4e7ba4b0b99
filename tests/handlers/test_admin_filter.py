"""The admin filter's decisions, update by update: who gets through an admin door, which
attempts of a non-admin are logged as refused, and whose chats list the admin commands.

Telegram's update objects are built here as Telegram would send them; no network, no
database. tests/e2e/test_admin_doors.py and test_admin_console.py walk the real doors.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from telegram import CallbackQuery, Chat, Message, MessageEntity, Update, User
from telegram.error import Forbidden, TelegramError

from bot.admin import admins
from bot.content.loader import Content
from bot.db.engine import Database
from bot.handlers.admin import auth
from bot.handlers.admin.auth import AdminButtons, AdminFilter, admin_filter
from bot.handlers.commands import COMMANDS
from bot.handlers.groups import Group
from bot.services import SERVICES_KEY, Services, services_in

ADMIN, OWNER, STRANGER = 42, 7, 99
NOW = dt.datetime(2026, 12, 2, 3, 0, tzinfo=dt.UTC)


def person(user_id: int) -> User:
    return User(id=user_id, first_name="Someone", is_bot=False)


def said(text: str | None, user_id: int = STRANGER) -> Update:
    message = Message(
        message_id=1,
        date=dt.datetime(2026, 12, 2, tzinfo=dt.UTC),
        chat=Chat(id=user_id, type="private"),
        from_user=person(user_id),
        text=text,
    )
    return Update(update_id=1, message=message)


def pressed(data: str | None, user_id: int = STRANGER) -> Update:
    query = CallbackQuery(id="1", from_user=person(user_id), chat_instance="c", data=data)
    return Update(update_id=1, callback_query=query)


def nobody() -> Update:
    """An update with no user (a channel post)."""
    post = Message(
        message_id=1,
        date=dt.datetime(2026, 12, 2, tzinfo=dt.UTC),
        chat=Chat(id=-100, type="channel"),
        text="/admin",
    )
    return Update(update_id=1, channel_post=post)


def edited(text: str, user_id: int = STRANGER) -> Update:
    message = said(text, user_id).message
    return Update(update_id=1, edited_message=message)


def an_app(**more: Any) -> Any:
    """What the filter needs of an application: its bot_data, holding the services."""
    return SimpleNamespace(bot_data={SERVICES_KEY: services()}, **more)


def an_admins_app() -> Any:
    """An application whose admins are ADMIN and OWNER."""
    app = an_app()
    admin_filter(cast(Any, app)).ids = frozenset({ADMIN, OWNER})
    return app


async def nothing(update: object, context: object) -> None:
    """A handler's callback (never called here)."""


def test_the_filter_passes_admins_only() -> None:
    found = admin_filter(an_admins_app())
    assert found.filter(said("/admin", ADMIN))
    assert found.filter(pressed("adm:bc", OWNER))
    assert not found.filter(said("/admin", STRANGER))
    assert not found.filter(nobody())


def test_one_filter_per_application_kept_in_its_services() -> None:
    app = an_app()
    first = admin_filter(cast(Any, app))
    assert isinstance(first, AdminFilter) and first.ids == frozenset()
    assert admin_filter(cast(Any, app)) is first
    assert services_in(app.bot_data).state.admin_filter is first
    assert admin_filter(cast(Any, an_app())) is not first  # another application's own


@pytest.mark.parametrize(
    ("update", "passes"),
    [
        (pressed("adm:bc:list", ADMIN), True),
        (pressed("adm:bc:list", STRANGER), False),  # a forwarded admin button
        (pressed("sub:yes", ADMIN), False),  # not this handler's pattern
        (said("/admin", ADMIN), False),  # not a button press
    ],
)
def test_admin_buttons_reach_their_callback_only_for_admins(update: Update, passes: bool) -> None:
    handler = AdminButtons(an_admins_app(), nothing, pattern=r"^adm:bc:")
    assert bool(handler.check_update(update)) is passes
    assert handler.check_update("not an update") is None


async def other(update: object, context: object) -> None:
    """Another handler's callback (never called here)."""


def command_update(text: str, user_id: int, chat_type: str = "private") -> Update:
    """A command as Telegram sends it: its entity marked, from a chat with the bot."""
    name = text.split()[0]
    message = Message(
        message_id=1,
        date=dt.datetime(2026, 12, 2, tzinfo=dt.UTC),
        chat=Chat(id=user_id if chat_type == "private" else -5, type=chat_type),
        from_user=person(user_id),
        text=text,
        entities=(MessageEntity(MessageEntity.BOT_COMMAND, 0, len(name)),),
    )
    message.set_bot(cast(Any, SimpleNamespace(username="GutSkinBot")))
    return Update(update_id=1, message=message)


def test_a_modules_admin_doors_register_in_order_each_behind_the_filter() -> None:
    added: list[Any] = []
    app = an_admins_app()
    app.add_handler = added.append
    auth.add_admin_doors(
        app, ((r"^adm:one$", nothing), (r"^adm:two:", other)), command=("review", nothing)
    )
    command, first, second = added
    assert isinstance(command, auth.AdminCommand) and command.commands == frozenset({"review"})
    assert command.callback is nothing
    assert command.check_update(command_update("/review", ADMIN))
    assert not command.check_update(command_update("/review", STRANGER))
    assert not command.check_update(command_update("/reviews", ADMIN))
    assert [(h.pattern.pattern, h.callback) for h in (first, second)] == [
        (r"^adm:one$", nothing),
        (r"^adm:two:", other),
    ]
    assert first.check_update(pressed("adm:one", ADMIN))
    assert not first.check_update(pressed("adm:one", STRANGER))
    assert second.check_update(pressed("adm:two:x", OWNER))


def test_a_module_without_a_command_registers_only_its_buttons() -> None:
    added: list[Any] = []
    app = an_admins_app()
    app.add_handler = added.append
    auth.add_admin_doors(app, ((r"^adm:x$", nothing),))
    [button] = added
    assert isinstance(button, AdminButtons) and button.check_update(pressed("adm:x", ADMIN))


def test_an_admin_command_is_for_private_chats_only() -> None:
    stats = auth.AdminCommand(an_admins_app(), "stats", nothing)
    assert stats.check_update(command_update("/stats", ADMIN))
    assert not stats.check_update(command_update("/stats", ADMIN, chat_type="group"))


@pytest.mark.parametrize(
    ("update", "refused"),
    [
        (said("/admin"), True),
        (said("/ADMINS"), True),  # commands are not case-sensitive
        (said("/admin@GutSkinBot"), True),  # addressed to the bot by name
        (said("/broadcast now please"), True),
        (said("/stats"), True),
        (said("/administrator"), False),  # another word: the ordinary unknown command
        (said("/start"), False),
        (said("admin"), False),  # not a command
        (said("please /admin"), False),
        (said(None), False),  # a photo, a sticker
        (pressed("adm:sch"), True),
        (pressed("adm:"), True),
        (pressed("sub:yes"), False),
        (pressed("xadm:sch"), False),
        (pressed(None), False),  # a game button
        (said("/admin", ADMIN), False),  # admins are let in, not refused
        (pressed("adm:sch", OWNER), False),
        (nobody(), False),
        (edited("/admin"), False),  # an edit is no new attempt
    ],
)
def test_what_a_non_admin_tries_is_logged_as_refused(update: Update, refused: bool) -> None:
    refusals = auth._Refusals(an_admins_app())
    assert refusals.check_update(update) is refused
    assert refusals.check_update("not an update") is False


def test_every_admin_command_is_refused_to_non_admins() -> None:
    refusals = auth._Refusals(an_admins_app())
    for name in ("admin", "admins", "broadcast", "stats", "try", "inbox", "review"):
        assert refusals.check_update(said(f"/{name}")), name
        assert not refusals.check_update(said(f"/{name}", ADMIN)), name
    assert not refusals.check_update(said("/audit"))  # not an admin command: the fallback's


async def test_an_admin_press_reaches_the_consoles_callback() -> None:
    pressed_by: list[int] = []

    async def console(update: Update, context: object) -> None:
        assert update.effective_user is not None
        pressed_by.append(update.effective_user.id)

    handler = AdminButtons(an_admins_app(), console, pattern=r"^adm:bc:")
    update = pressed("adm:bc:list", ADMIN)
    found = handler.check_update(update)
    await handler.handle_update(update, cast(Any, None), found, cast(Any, SimpleNamespace()))
    assert pressed_by == [ADMIN]


async def test_a_refusal_is_logged_with_the_user_id_and_nothing_else(
    caplog: pytest.LogCaptureFixture,
) -> None:
    refusals = auth._Refusals(an_admins_app())
    update = said("/admins my secret words")
    with caplog.at_level(logging.WARNING, logger="bot.handlers.admin.auth"):
        found = refusals.check_update(update)
        await refusals.handle_update(update, cast(Any, None), found, cast(Any, None))
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage() == f"admin console refused for user {STRANGER}"


class CommandsBot:
    """Records the command lists set and cleared, per chat and language; can refuse a chat."""

    def __init__(self, refuse: frozenset[int] = frozenset()) -> None:
        self.refuse = refuse
        self.lists: dict[tuple[int, str | None], list[str]] = {}
        self.described: dict[tuple[str, str | None], str] = {}
        self.cleared: list[tuple[int, str | None]] = []

    async def set_my_commands(
        self, commands: list[Any], *, scope: Any, language_code: str | None
    ) -> None:
        if scope.chat_id in self.refuse:
            raise Forbidden("bot can't initiate conversation with a user")
        self.lists[(scope.chat_id, language_code)] = [c.command for c in commands]
        self.described |= {(c.command, language_code): c.description for c in commands}

    async def delete_my_commands(self, scope: Any, *, language_code: str | None) -> None:
        if scope.chat_id in self.refuse:
            raise TelegramError("network down")
        self.cleared.append((scope.chat_id, language_code))


def console(content: Content, bot: CommandsBot, ids: set[int]) -> tuple[Any, Any, AdminFilter]:
    app = an_app(bot=bot)
    svc = SimpleNamespace(
        settings=SimpleNamespace(admin_ids=(OWNER,)),
        content=SimpleNamespace(catalogs=content.catalogs),
    )
    found = admin_filter(cast(Any, app))
    found.ids = frozenset(ids)
    return app, svc, found


PUBLIC = list(COMMANDS)


async def test_new_admins_get_the_admin_commands_in_every_language(content: Content) -> None:
    bot = CommandsBot()
    app, svc, found = console(content, bot, {OWNER, ADMIN})
    await auth._sync_commands(app, svc, found)
    languages = content.catalogs.languages
    assert set(bot.lists) == {
        (chat, None if lang == "en" else lang) for chat in (OWNER, ADMIN) for lang in languages
    }
    owner = bot.lists[(OWNER, None)]
    admin = bot.lists[(ADMIN, None)]
    everyone = ["try", "inbox", "review"]
    assert owner == [*PUBLIC, "admin", "admins", "broadcast", "stats", *everyone]
    assert admin == [*PUBLIC, "admin", "broadcast", "stats", *everyone]  # /admins: owners
    assert bot.lists[(ADMIN, "ms")] == admin
    catalogs = content.catalogs
    for lang in languages:
        code = None if lang == "en" else lang
        assert bot.described[("admin", code)] == catalogs.text(lang, "admin_command_admin")
        assert bot.described[("admins", code)] == catalogs.text(lang, "admin_command_admins")
        assert bot.described["start", code] == catalogs.text(lang, "command_start")
    assert found.commands_for == {OWNER, ADMIN}
    bot.lists.clear()
    await auth._sync_commands(app, svc, found)
    assert bot.lists == {}  # nothing to do a second time


async def test_a_chat_that_refuses_the_commands_is_tried_again_next_time(
    content: Content,
) -> None:
    bot = CommandsBot(refuse=frozenset({ADMIN}))
    app, svc, found = console(content, bot, {OWNER, ADMIN})
    await auth._sync_commands(app, svc, found)
    assert found.commands_for == {OWNER}
    bot.refuse = frozenset()
    await auth._sync_commands(app, svc, found)
    assert found.commands_for == {OWNER, ADMIN}
    assert (ADMIN, None) in bot.lists


async def test_one_chat_refusing_the_commands_does_not_stop_the_others(
    content: Content,
) -> None:
    bot = CommandsBot(refuse=frozenset({OWNER}))  # the first in id order
    app, svc, found = console(content, bot, {OWNER, ADMIN})
    await auth._sync_commands(app, svc, found)
    assert found.commands_for == {ADMIN} and (ADMIN, None) in bot.lists


async def test_a_removed_admin_loses_the_commands_in_every_language(content: Content) -> None:
    bot = CommandsBot()
    app, svc, found = console(content, bot, {OWNER, ADMIN})
    await auth._sync_commands(app, svc, found)
    found.ids = frozenset({OWNER})
    await auth._sync_commands(app, svc, found)
    languages = content.catalogs.languages
    assert bot.cleared == [(ADMIN, None if lang == "en" else lang) for lang in languages]
    assert found.commands_for == {OWNER}


async def test_clearing_that_fails_is_tried_again_next_time(content: Content) -> None:
    bot = CommandsBot()
    app, svc, found = console(content, bot, {OWNER, ADMIN})
    await auth._sync_commands(app, svc, found)
    found.ids = frozenset({OWNER})
    bot.refuse = frozenset({ADMIN})
    await auth._sync_commands(app, svc, found)
    assert found.commands_for == {OWNER, ADMIN}  # still listed there: try again
    bot.refuse = frozenset()
    await auth._sync_commands(app, svc, found)
    assert found.commands_for == {OWNER}
    assert (ADMIN, None) in bot.cleared


def services(db: Any = None, content: Any = None) -> Services:
    """Real Services holding only what the admin filter reads (the rest is never used here)."""
    return Services(
        settings=cast(Any, SimpleNamespace(admin_ids=(OWNER,))),
        db=db,
        content=content,
        clock=cast(Any, None),
        matcher=cast(Any, None),
        live=cast(Any, None),
        pacer=cast(Any, None),
        metrics=cast(Any, None),
        requests=(),
    )


async def test_refresh_lets_in_the_owners_and_the_stored_admins(
    db: Database, content: Content
) -> None:
    async with db.session() as session:
        await admins.add_admin(session, actor=OWNER, user_id=ADMIN, owners=(OWNER,), now=NOW)
    bot = CommandsBot()
    app = an_app(bot=bot)
    await auth.refresh(cast(Any, app), services(db, content))
    found = admin_filter(cast(Any, app))
    assert found.ids == {OWNER, ADMIN}
    assert found.commands_for == {OWNER, ADMIN} and (ADMIN, None) in bot.lists


async def test_the_minutely_reload_keeps_the_last_list_when_the_database_fails(
    content: Content, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = Database(f"sqlite+aiosqlite:///{tmp_path}/missing/dir/x.db")
    app = an_app(bot=CommandsBot())
    app.bot_data[SERVICES_KEY] = services(broken, content)
    admin_filter(cast(Any, app)).ids = frozenset({ADMIN})
    try:
        with caplog.at_level(logging.ERROR, logger="bot.handlers.admin.auth"):
            await auth.reload(cast(Any, app))
    finally:
        await broken.close()
    assert admin_filter(cast(Any, app)).ids == {ADMIN}
    assert [r.getMessage() for r in caplog.records] == [
        "could not reload the admin list; keeping the last one"
    ]


async def test_the_minutely_reload_picks_up_an_admin_added_elsewhere(
    db: Database, content: Content
) -> None:
    app = an_app(bot=CommandsBot())
    app.bot_data[SERVICES_KEY] = services(db, content)
    await auth.reload(cast(Any, app))
    assert admin_filter(cast(Any, app)).ids == {OWNER}
    async with db.session() as session:  # the command line, or another replica
        await admins.add_admin(session, actor=0, user_id=ADMIN, owners=(OWNER,), now=NOW)
    await auth.reload(cast(Any, app))
    assert admin_filter(cast(Any, app)).ids == {OWNER, ADMIN}


def test_refusals_are_logged_in_their_own_group() -> None:
    added: list[tuple[Any, int]] = []
    app = an_app(add_handler=lambda h, group: added.append((h, group)))
    auth.register(cast(Any, app))
    [(handler, group)] = added
    assert isinstance(handler, auth._Refusals) and group == Group.ADMIN_REFUSALS
    admin_filter(cast(Any, app)).ids = frozenset({ADMIN})
    assert handler.check_update(said("/admin")) and not handler.check_update(said("/admin", ADMIN))


def test_owners_are_the_ids_in_settings(content: Content) -> None:
    context = SimpleNamespace(bot_data={SERVICES_KEY: services(None, content)})
    assert auth.is_owner(cast(Any, context), OWNER)
    assert not auth.is_owner(cast(Any, context), ADMIN)
    assert not auth.is_owner(cast(Any, context), None)
