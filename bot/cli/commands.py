"""The `gutskin-bot` command: run, sandbox, db, content."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from telegram.error import InvalidToken, NetworkError

from bot.cli import admin as cli_admin
from bot.cli import broadcast as cli_broadcast
from bot.cli import faq as cli_faq
from bot.cli.parsing import command_group
from bot.cli.review import refuse_to_run
from bot.config import ASYNC_DRIVERS, ConfigError, Settings, load_settings
from bot.content.errors import ContentError
from bot.content.loader import Content, load_content
from bot.content.placeholders import clinic_placeholders
from bot.db import migrate
from bot.faq.urgent import unreadable_words
from bot.runtime.logs import configure_logging

EXIT_USAGE = 2


class CliError(Exception):
    """A problem the operator can fix; printed as one line, exit code 2."""


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen command."""
    args = _parser().parse_args(argv)
    settings: Settings | None = None
    try:
        settings = load_settings()
        if args.handler is not _content_check:
            _check_database_folder(settings)
        return int(args.handler(settings, args) or 0)
    except (ConfigError, CliError) as exc:
        print(f"gutskin-bot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ContentError as exc:
        if settings is not None and not settings.tips_dir.is_dir():
            # Not seven "file not found" lines: one saying where it looked and what to do.
            print(f"gutskin-bot: {_no_content_folder(settings.tips_dir)}", file=sys.stderr)
            return EXIT_USAGE
        for problem in exc.problems:
            print(f"gutskin-bot: content error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gutskin-bot", description="Daily gut-skin tips, FAQ and booking on Telegram."
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run the bot against Telegram (needs the token)")
    run.add_argument(
        "--webhook",
        action="store_true",
        help="take updates by webhook (UPDATES=webhook; needs WEBHOOK_URL and WEBHOOK_SECRET)",
    )
    run.set_defaults(handler=_run)

    sandbox = commands.add_parser(
        "sandbox",
        help="run the bot against the local sandbox; chat with it in the terminal or a browser",
    )
    where = sandbox.add_mutually_exclusive_group()
    where.add_argument(
        "--web",
        action="store_true",
        help="serve a chat page on 127.0.0.1 (several users, a clock, the bot's requests)",
    )
    where.add_argument(
        "--terminal", action="store_true", help="chat in this terminal (the default)"
    )
    sandbox.add_argument("--port", type=int, help="sandbox port (default: SANDBOX_PORT)")
    sandbox.add_argument(
        "--user-id",
        type=int,
        help="your simulated user id (default: 100001 on the page, 100010 in the terminal)",
    )
    sandbox.add_argument(
        "--name",
        help="your simulated first name (default: Aisyah on the page, Siti in the terminal)",
    )
    sandbox.add_argument("--language", default="en", help="your Telegram client language")
    sandbox.set_defaults(handler=_sandbox)

    db = command_group(commands, "db", "database schema")
    db.add_parser("upgrade", help="apply every pending migration").set_defaults(handler=_db_upgrade)
    db.add_parser("current", help="show the schema revision").set_defaults(handler=_db_current)
    copy = db.add_parser(
        "copy",
        help="copy every row to another database (e.g. SQLite to PostgreSQL), verified by counts",
    )
    copy.add_argument(
        "--from", dest="source", help="source database URL (default: DATABASE_URL or SQLite)"
    )
    copy.add_argument("--to", dest="target", required=True, help="target database URL")
    copy.add_argument("--from-schema", help="PostgreSQL schema of the source")
    copy.add_argument("--to-schema", help="PostgreSQL schema of the target")
    copy.add_argument(
        "--force", action="store_true", help="replace the rows of a target that is not empty"
    )
    copy.add_argument("--batch", type=int, default=1000, help="rows per batch (default 1000)")
    copy.set_defaults(handler=_db_copy)
    backup = db.add_parser(
        "backup", help="online backup of the SQLite database to a new file (safe while running)"
    )
    backup.add_argument("file", type=Path, help="the backup file to write (must not exist)")
    backup.set_defaults(handler=_db_backup)

    content = command_group(commands, "content", "tips, FAQ and clinics")
    content.add_parser("check", help="validate everything under tips/").set_defaults(
        handler=_content_check
    )
    # Admin work from a shell: tips, admins, broadcasts and stats (same checks, same audit).
    cli_admin.add_parsers(commands)
    cli_broadcast.add_parsers(commands)
    cli_faq.add_parsers(commands)
    return parser


def _no_content_folder(tips_dir: Path) -> str:
    return (
        f"TIPS_DIR: no content folder at {tips_dir.absolute()}; run gutskin-bot from the "
        "repository's folder, or set TIPS_DIR to the content folder (the repository's tips/)"
    )


def _check_database_folder(settings: Settings) -> None:
    """Refuse an SQLite file in a folder that does not exist, outside DATA_DIR.

    DATA_DIR (and folders in it) are made on first use; any other missing folder is more
    likely a typo in DATABASE_URL than a wish, so it is not made silently.
    """
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return
    folder = Path(url.database).parent
    if folder.exists():
        return
    data_dir = settings.data_dir.absolute()
    if folder.absolute() == data_dir or folder.absolute().is_relative_to(data_dir):
        return
    raise CliError(
        f"DATABASE_URL: the folder {folder} does not exist; create it first, or leave "
        f"DATABASE_URL unset to use {settings.data_dir / 'gutskin.db'} (DATA_DIR)"
    )


def load_checked(settings: Settings) -> Content:
    """Load the content, with the urgent signs' words checked as triage reads them."""
    content = load_content(settings.tips_dir)
    if problems := unreadable_words(content.urgent):
        raise ContentError(problems)
    return content


def prepare(settings: Settings) -> Content:
    """Load the content and bring the database up to date, or fail with one line."""
    content = load_checked(settings)
    asyncio.run(_upgrade(settings))
    return content


def _cannot_open(exc: Exception) -> CliError:
    reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    return CliError(f"DATABASE_URL: cannot open the database ({reason})")


async def _upgrade(settings: Settings) -> None:
    try:
        db = settings.open_database()
    except OSError as exc:
        raise _cannot_open(exc) from None
    try:
        await migrate.upgrade(db)
    except (OSError, OperationalError, DBAPIError) as exc:
        raise _cannot_open(exc) from None
    finally:
        await db.close()


def _run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.runtime.app import build_application, run
    from bot.runtime.web import ServeError

    if args.webhook:
        settings = load_settings(updates="webhook")
    token = settings.require_token()
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    configure_logging(settings.log_level, token, fmt=settings.log_format, secrets=(secret,))
    content = prepare(settings)
    if settings.content_review is None:  # the default: only reviewed content in production
        settings = settings.model_copy(update={"content_review": "required"})
    refusal = refuse_to_run(settings, content)
    if refusal:
        raise CliError(refusal)
    app = build_application(settings, content, token=token)
    try:
        run(app)
    except ServeError as exc:
        raise CliError(str(exc)) from None
    except InvalidToken:
        raise CliError("TELEGRAM_BOT_TOKEN: the Bot API rejected this token") from None
    except NetworkError as exc:
        raise CliError(
            f"cannot reach the Bot API at {settings.telegram_api_base_url}: {exc}"
        ) from None
    return 0


def _sandbox(settings: Settings, args: argparse.Namespace) -> int:
    from bot.cli.sandbox import run_sandbox

    configure_logging("WARNING" if settings.log_level == "INFO" else settings.log_level, None)
    content = prepare(settings)
    port = settings.sandbox_port if args.port is None else args.port
    if not 0 <= port <= 65535:
        raise CliError(f"--port: {port} is not a port number (0-65535)")
    try:
        asyncio.run(
            run_sandbox(
                settings, content, port, args.user_id, args.name, args.language, web=args.web
            )
        )
    except OSError as exc:
        raise CliError(
            f"SANDBOX_PORT: cannot listen on 127.0.0.1:{port} ({exc.strerror})"
        ) from None
    return 0


def _db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    asyncio.run(_upgrade(settings))
    print(f"database is at revision {migrate.head_revision()}")
    return 0


def _db_current(settings: Settings, _args: argparse.Namespace) -> int:
    async def current() -> str | None:
        try:
            db = settings.open_database()
        except OSError as exc:
            raise _cannot_open(exc) from None
        try:
            return await migrate.current_revision(db)
        except (OSError, OperationalError, DBAPIError) as exc:
            raise _cannot_open(exc) from None
        finally:
            await db.close()

    print(asyncio.run(current()) or "empty (run `gutskin-bot db upgrade`)")
    return 0


def _content_check(settings: Settings, _args: argparse.Namespace) -> int:
    content = load_checked(settings)
    for line in clinic_placeholders(content.clinics):
        print(f"warning: {settings.tips_dir / 'clinics.yaml'}: {line}", file=sys.stderr)
    print(
        f"content OK: {len(content.tips)} tips, {len(content.faq)} FAQ entries, "
        f"{len(content.clinics)} clinics, catalogs {', '.join(content.catalogs.languages)}"
    )
    return 0


def _db_copy(settings: Settings, args: argparse.Namespace) -> int:
    from bot.db.copy import CopyError, copy_database
    from bot.db.engine import Database

    source_url = args.source or settings.resolved_database_url
    source_schema = args.from_schema if args.source else settings.database_schema
    for option, url in (("--from", source_url), ("--to", args.target)):
        try:
            driver = make_url(url).drivername
        except ArgumentError:
            driver = ""
        if driver not in ASYNC_DRIVERS:
            raise CliError(
                f"{option}: not a database URL like sqlite+aiosqlite:///data/gutskin.db "
                "or postgresql+asyncpg://user:pass@host/db"
            )
    source_file = make_url(source_url).database
    if source_url.startswith("sqlite") and source_file and not Path(source_file).is_file():
        raise CliError(f"--from: there is no SQLite database at {source_file}")
    if make_url(source_url) == make_url(args.target) and source_schema == args.to_schema:
        raise CliError("--from and --to are the same database")

    def show(url: str, schema: str | None) -> str:
        shown = make_url(url).render_as_string(hide_password=True)
        return f"{shown} (schema {schema})" if schema else shown

    print(f"copying {show(source_url, source_schema)} -> {show(args.target, args.to_schema)}")

    async def copy() -> list[tuple[str, int, int]]:
        source = Database(source_url, schema=source_schema)
        target = Database(args.target, schema=args.to_schema)
        try:
            counts = await copy_database(source, target, force=args.force, batch=args.batch)
        except CopyError as exc:
            raise CliError(str(exc)) from None
        except (OSError, OperationalError, DBAPIError) as exc:
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            raise CliError(f"copy failed, the target is unchanged ({reason})") from None
        finally:
            await source.close()
            await target.close()
        return [(c.table, c.source, c.target) for c in counts]

    counts = asyncio.run(copy())
    width = max(len(table) for table, _, _ in counts)
    print(f"{'table':<{width}}  {'source':>9}  {'target':>9}")
    for table, source, target in counts:
        print(f"{table:<{width}}  {source:>9}  {target:>9}")
    total = sum(source for _, source, _ in counts)
    print(f"OK: {total} rows in {len(counts)} tables, counts match")
    return 0


def _db_backup(settings: Settings, args: argparse.Namespace) -> int:
    from bot.db.copy import CopyError, backup_sqlite

    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        raise CliError(
            "db backup is for the SQLite database; back PostgreSQL up with pg_dump "
            "(docs/OPERATIONS.md)"
        )
    try:
        size = backup_sqlite(Path(url.database), args.file)
    except CopyError as exc:
        raise CliError(str(exc)) from None
    except sqlite3.Error as exc:
        raise CliError(f"backup failed: {exc}") from None
    print(f"backed up {url.database} to {args.file} ({size / 1_000_000:.1f} MB, integrity ok)")
    return 0
