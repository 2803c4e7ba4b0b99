"""`gutskin-bot tips check|export|import` and `gutskin-bot admins list|add|remove|log`.

The admin console's content and admin tools for operators who prefer a shell: the same
validation and the same audit log as in Telegram. The command line acts as user 0
(admins.CLI_ACTOR, never a Telegram user id); whoever can run it on the server is trusted
like an owner. Running bots pick changes up by themselves: content from their next delivery
tick, admins within a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy.exc import DBAPIError, OperationalError

from bot.admin import admins, review
from bot.admin.admins import CLI_ACTOR
from bot.cli import review as cli_review
from bot.clock import SystemClock
from bot.config import Settings
from bot.content import imports as content_import
from bot.content import store as content_store
from bot.content.errors import ContentError
from bot.content.loader import Content, load_content
from bot.content.transfer import dump_faq, dump_program, dump_tips, parse_file
from bot.db import migrate
from bot.db.engine import Database

EXIT_PROBLEM = 2
KINDS = ("tips", "faq", "schedule")
ACTOR_NOTE = f"actor {CLI_ACTOR} = the command line"
Command = Callable[[argparse.Namespace, Settings, Content, Database], Awaitable[int]]


class Progress:
    """A progress bar on stderr: redrawn in place on a terminal, one final line otherwise."""

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 30) -> None:
        self.label, self.width = label, width
        self.stream = stream if stream is not None else sys.stderr
        self._live = self.stream.isatty()

    def __call__(self, done: int, total: int) -> None:
        """Show `done` of `total`."""
        if not self._live and done < total:
            return
        filled = self.width * done // total if total else self.width
        bar = "#" * filled + "-" * (self.width - filled)
        end = "\n" if done >= total else ""
        prefix = "\r" if self._live else ""
        self.stream.write(f"{prefix}{self.label} [{bar}] {done}/{total}{end}")
        self.stream.flush()


def add_parsers(subparsers: Any) -> None:
    """Add the `tips` and `admins` commands to gutskin-bot's subcommands."""
    tips = subparsers.add_parser(
        "tips", help="the tips, FAQ and schedule in use (tips/ plus admins' changes)"
    ).add_subparsers(required=True, metavar="ACTION")
    check = tips.add_parser(
        "check", help="validate the content in use, or FILE as an import would (nothing changes)"
    )
    check.add_argument("file", nargs="?", type=Path, help="a tips, FAQ or schedule YAML file")
    check.set_defaults(handler=run, admin_command="tips.check")
    export = tips.add_parser("export", help="write the content in use as YAML files")
    export.add_argument("--out", type=Path, default=Path("."), help="folder (default: here)")
    export.add_argument("--only", choices=KINDS, help="one file instead of all three")
    export.set_defaults(handler=run, admin_command="tips.export")
    imported = tips.add_parser(
        "import", help="import an edited tips, FAQ or schedule file (all of it, or nothing)"
    )
    imported.add_argument("file", type=Path, help="the YAML file")
    imported.add_argument(
        "--dry-run", action="store_true", help="show what would change; change nothing"
    )
    imported.set_defaults(handler=run, admin_command="tips.import")
    tips.add_parser(
        "review-status", help="how many tips and FAQ entries are reviewed, new, edited, expired"
    ).set_defaults(handler=run, admin_command="tips.review-status")

    people = subparsers.add_parser(
        "admins", help="who may use the admin console (owners are ADMIN_IDS)"
    ).add_subparsers(required=True, metavar="ACTION")
    people.add_parser("list", help="list owners and admins").set_defaults(
        handler=run, admin_command="admins.list"
    )
    for action, verb in (("add", "make USER_ID an admin"), ("remove", "remove admin USER_ID")):
        parser = people.add_parser(action, help=verb)
        parser.add_argument("user_id", type=int, help="their Telegram user id")
        if action == "add":
            parser.add_argument(
                "--role",
                choices=admins.ROLES,
                default="admin",
                help="reviewer: a clinician who approves tips and FAQ entries (default admin)",
            )
        parser.set_defaults(handler=run, admin_command=f"admins.{action}")
    log = people.add_parser("log", help="the newest audit log entries")
    log.add_argument("--limit", type=int, default=20, help="how many (default 20)")
    log.set_defaults(handler=run, admin_command="admins.log")


def run(settings: Settings, args: argparse.Namespace) -> int:
    """The synchronous entry point `gutskin-bot` calls (args.handler)."""
    return asyncio.run(dispatch(args, settings))


async def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    """Run one `tips` or `admins` command; problems are lines on stderr and exit code 2."""
    try:
        content = load_content(settings.tips_dir)
    except ContentError as exc:
        return _problems("content error", exc.problems)
    try:
        db = settings.open_database()
    except OSError as exc:
        return _cannot_open(exc)
    try:
        await migrate.upgrade(db)
        return await _COMMANDS[args.admin_command](args, settings, content, db)
    except (OSError, OperationalError, DBAPIError) as exc:
        return _cannot_open(exc)
    finally:
        await db.close()


async def _tips_check(
    args: argparse.Namespace, settings: Settings, content: Content, db: Database
) -> int:
    if args.file is not None:
        return await _import(args.file, content, db, apply=False)
    async with db.session() as session:
        state = await content_store.load_state(session, content)
    problems = state.problems()
    if problems:
        return _problems("content error", problems)
    changed = sum(1 for s in state.tips if s.stored and s.in_file and not s.retired)
    added = sum(1 for s in state.tips if not s.in_file and not s.retired)
    retired = sum(1 for s in state.tips if s.retired)
    print(
        f"content OK: {len(state.active_tips)} tips in use ({changed} changed and {added} "
        f"added by admins, {retired} retired), {len(state.faq)} FAQ entries, "
        f"{len(state.program.dates)} dated schedule changes; deliveries "
        f"{'PAUSED' if state.paused else 'running'}"
    )
    return 0


async def _tips_export(
    args: argparse.Namespace, settings: Settings, content: Content, db: Database
) -> int:
    now = _now()
    async with db.session() as session:
        state = await content_store.load_state(session, content)
        state = await review.labelled(session, content, state, now)  # approvals go along
    retired = sum(1 for s in state.tips if s.retired)
    files: dict[str, tuple[Callable[[], str], str]] = {
        "tips": (
            lambda: dump_tips(state.active_tips, retired=retired, now=now),
            f"{len(state.active_tips)} tips",
        ),
        "faq": (lambda: dump_faq(state.faq, now=now), f"{len(state.faq)} FAQ entries"),
        "schedule": (
            lambda: dump_program(state.program, now=now),
            f"{len(state.program.dates)} dated changes",
        ),
    }
    out: Path = args.out
    try:
        await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)
        for kind in (args.only,) if args.only else KINDS:
            dump, what = files[kind]
            path = out / f"{kind}.yaml"
            await asyncio.to_thread(path.write_text, dump(), encoding="utf-8")
            print(f"wrote {path} ({what})")
    except OSError as exc:
        return _problems("cannot write", [f"{args.out}: {exc.strerror or exc}"])
    return 0


async def _tips_import(
    args: argparse.Namespace, settings: Settings, content: Content, db: Database
) -> int:
    return await _import(args.file, content, db, apply=not args.dry_run)


async def _import(path: Path, content: Content, db: Database, *, apply: bool) -> int:
    try:
        data = await asyncio.to_thread(path.read_bytes)
    except OSError as exc:
        return _problems("cannot read", [f"{path}: {exc.strerror or exc}"])
    try:
        parsed = await asyncio.to_thread(parse_file, data, path.name, content.catalogs)
    except ContentError as exc:
        return _problems("content error", exc.problems)
    async with db.session() as session:
        plan = await content_import.plan_import(session, content, parsed)
        if plan.problems:
            return _problems("content error", plan.problems)
        print(f"{path.name}: a {parsed.kind} file")
        for label, ids in (("added", plan.added), ("changed", plan.changed)):
            print(f"  {label}: {len(ids)}{_listing(ids)}")
        removed = "retired" if parsed.kind == "tips" else "removed"
        print(f"  {removed}: {len(plan.removed)}{_listing(plan.removed)}")
        if plan.empty:
            print("nothing to change: it matches what runs now")
            return 0
        if not apply:
            print("checked: nothing was changed")
            return 0
        try:
            audit_id = await content_store.apply(
                session,
                content,
                content_import.import_change(content, parsed),
                actor=CLI_ACTOR,
                action=f"import.{parsed.kind}",
                target=path.name,
                now=_now(),
                progress=Progress("importing"),
            )
        except content_store.ChangeRefused as exc:
            return _problems("content error", exc.problems)
    print(f"imported {path.name} (audit #{audit_id}, {ACTOR_NOTE})")
    return 0


async def _admins_list(
    args: argparse.Namespace, settings: Settings, content: Content, db: Database
) -> int:
    for owner in settings.admin_ids:
        print(f"owner {owner} (ADMIN_IDS)")
    async with db.session() as session:
        stored = await admins.list_admins(session)
    for admin in stored:
        when = admin.added_at.strftime("%Y-%m-%d %H:%M UTC")
        print(f"{admin.role} {admin.user_id} (added by {admin.added_by} on {when})")
    if not settings.admin_ids and not stored:
        print("no owners or admins (set ADMIN_IDS)")
    return 0


async def _admins_change(
    args: argparse.Namespace, settings: Settings, content: Content, db: Database
) -> int:
    user_id: int = args.user_id
    if user_id <= 0:
        return _problems("error", [f"{user_id} is not a Telegram user id"])
    adding = args.admin_command == "admins.add"
    # An owner may also be a reviewer (a stored row), and have that role removed again.
    if user_id in settings.admin_ids and adding and args.role != "reviewer":
        print(f"{user_id} is an owner (ADMIN_IDS); owners are changed in the settings")
        return 0
    change = admins.add_admin if adding else admins.remove_admin
    async with db.session() as session:
        if adding:
            done = await admins.add_admin(
                session,
                actor=CLI_ACTOR,
                user_id=user_id,
                owners=settings.admin_ids,
                now=_now(),
                role=args.role,
            )
        else:
            done = await change(
                session, actor=CLI_ACTOR, user_id=user_id, owners=settings.admin_ids, now=_now()
            )
    role = getattr(args, "role", "admin")
    if not done:
        what = "a reviewer" if adding and role != "admin" else "an admin"
        print(f"{user_id} {'is already' if adding else 'is not'} {what}; nothing changed")
        return 0
    what = f"is now a {role}" if adding and role != "admin" else "is now an admin"
    what = what if adding else "is no longer an admin"
    print(f"{user_id} {what} (audited, {ACTOR_NOTE}); running bots pick it up within a minute")
    return 0


async def _admins_log(
    args: argparse.Namespace, settings: Settings, content: Content, db: Database
) -> int:
    async with db.session() as session:
        entries = await admins.recent_audit(session, max(1, args.limit))
    for entry in entries:
        actor = "command line" if entry.actor_id == CLI_ACTOR else str(entry.actor_id)
        when = entry.created_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        print(f"#{entry.id} {when} {actor}: {entry.action} {entry.target or ''}".rstrip())
    return 0


_COMMANDS: dict[str, Command] = {
    "tips.check": _tips_check,
    "tips.export": _tips_export,
    "tips.import": _tips_import,
    "tips.review-status": cli_review.review_status,
    "admins.list": _admins_list,
    "admins.add": _admins_change,
    "admins.remove": _admins_change,
    "admins.log": _admins_log,
}


def _now() -> dt.datetime:
    return SystemClock().now()


def _listing(ids: tuple[str, ...], limit: int = 10) -> str:
    if not ids:
        return ""
    more = f", ... (+{len(ids) - limit})" if len(ids) > limit else ""
    return " (" + ", ".join(ids[:limit]) + more + ")"


def _problems(kind: str, problems: Any) -> int:
    for problem in problems:
        print(f"gutskin-bot: {kind}: {problem}", file=sys.stderr)
    return EXIT_PROBLEM


def _cannot_open(exc: Exception) -> int:
    reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    print(f"gutskin-bot: DATABASE_URL: cannot open the database ({reason})", file=sys.stderr)
    return EXIT_PROBLEM
