"""The `gutskin-bot` command: run, sandbox, db, content."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from sqlalchemy.exc import DBAPIError, OperationalError
from telegram.error import InvalidToken, NetworkError

from bot.config import ConfigError, Settings, load_settings
from bot.content.errors import ContentError
from bot.content.loader import Content, load_content
from bot.db import migrate
from bot.logging_setup import configure_logging

EXIT_USAGE = 2


class CliError(Exception):
    """A problem the operator can fix; printed as one line, exit code 2."""


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen command."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        return int(args.handler(settings, args) or 0)
    except (ConfigError, CliError) as exc:
        print(f"gutskin-bot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ContentError as exc:
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
    run.set_defaults(handler=_run)

    sandbox = commands.add_parser(
        "sandbox", help="run the bot against the local sandbox and chat with it in the terminal"
    )
    sandbox.add_argument("--port", type=int, help="sandbox port (default: SANDBOX_PORT)")
    sandbox.add_argument("--user-id", type=int, default=100001, help="your simulated user id")
    sandbox.add_argument("--name", default="Aisyah", help="your simulated first name")
    sandbox.add_argument("--language", default="en", help="your Telegram client language")
    sandbox.set_defaults(handler=_sandbox)

    db = commands.add_parser("db", help="database schema").add_subparsers(
        required=True, metavar="ACTION"
    )
    db.add_parser("upgrade", help="apply every pending migration").set_defaults(handler=_db_upgrade)
    db.add_parser("current", help="show the schema revision").set_defaults(handler=_db_current)

    content = commands.add_parser("content", help="tips, FAQ and clinics").add_subparsers(
        required=True, metavar="ACTION"
    )
    content.add_parser("check", help="validate everything under tips/").set_defaults(
        handler=_content_check
    )
    return parser


def prepare(settings: Settings) -> Content:
    """Load the content and bring the database up to date, or fail with one line."""
    content = load_content(settings.tips_dir)
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


def _run(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.app import build_application, run

    token = settings.require_token()
    configure_logging(settings.log_level, token)
    content = prepare(settings)
    app = build_application(settings, content, token=token)
    try:
        run(app)
    except InvalidToken:
        raise CliError("TELEGRAM_BOT_TOKEN: the Bot API rejected this token") from None
    except NetworkError as exc:
        raise CliError(
            f"cannot reach the Bot API at {settings.telegram_api_base_url}: {exc}"
        ) from None
    return 0


def _sandbox(settings: Settings, args: argparse.Namespace) -> int:
    from bot.sandbox_runner import run_sandbox

    configure_logging("WARNING" if settings.log_level == "INFO" else settings.log_level, None)
    content = prepare(settings)
    port = settings.sandbox_port if args.port is None else args.port
    if not 0 <= port <= 65535:
        raise CliError(f"--port: {port} is not a port number (0-65535)")
    try:
        asyncio.run(run_sandbox(settings, content, port, args.user_id, args.name, args.language))
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
    content = load_content(settings.tips_dir)
    print(
        f"content OK: {len(content.tips)} tips, {len(content.faq)} FAQ entries, "
        f"{len(content.clinics)} clinics, catalogs {', '.join(content.catalogs.languages)}"
    )
    return 0
