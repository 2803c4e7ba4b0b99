"""`gutskin-bot broadcast ...` and `gutskin-bot stats`: the console's checks and audit log,
on SQLite and PostgreSQL."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.admin import broadcasts
from bot.admin.broadcasts import RunnerConfig
from bot.cli.broadcast import add_parsers, dispatch
from bot.clock import OffsetClock
from bot.config import Settings, load_settings
from bot.db import migrate
from bot.db.models import AuditEntry, Broadcast
from tests.admin.test_broadcasts import FakeSender, _many
from tests.conftest import DbTarget


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="gutskin-bot")
    add_parsers(parser.add_subparsers(required=True))
    return parser.parse_args(argv)


class Cli:
    """Runs commands against one database with a fixed clock and captured output."""

    def __init__(self, target: DbTarget) -> None:
        self.settings: Settings = load_settings(
            database_url=target.url, database_schema=target.schema
        )
        self.clock = OffsetClock()
        self.out = io.StringIO()
        self.err = io.StringIO()

    async def __call__(self, *argv: str) -> int:
        self.out.seek(0), self.out.truncate()
        self.err.seek(0), self.err.truncate()
        return await dispatch(
            _parse(*argv), self.settings, clock=self.clock, out=self.out, err=self.err
        )


@pytest.fixture
def cli(db_target: DbTarget) -> Cli:
    return Cli(db_target)


async def _seed(cli: Cli, count: int) -> None:
    db = cli.settings.open_database()
    try:
        await migrate.upgrade(db)
        await _many(db, cli.clock.now(), range(1, count + 1))
    finally:
        await db.close()


async def _stored(cli: Cli) -> list[Broadcast]:
    db = cli.settings.open_database()
    try:
        async with db.session() as session:
            return list(await session.scalars(select(Broadcast).order_by(Broadcast.id)))
    finally:
        await db.close()


async def _audit(cli: Cli) -> list[tuple[int, str]]:
    db = cli.settings.open_database()
    try:
        async with db.session() as session:
            rows = await session.execute(
                select(AuditEntry.actor_id, AuditEntry.action).order_by(AuditEntry.id)
            )
            return [(a, b) for a, b in rows]
    finally:
        await db.close()


async def test_schedule_list_and_cancel_are_checked_and_audited(cli: Cli) -> None:
    code = await cli(
        "broadcast",
        "schedule",
        "--text",
        "<b>Closed</b> on 1 December",
        "--audience",
        "language:ms",
        "--button",
        "Book | https://nextmed.example/book",
        "--at",
        "2099-12-01 09:00",
    )
    assert code == 2 and "more than a year ahead" in cli.err.getvalue()
    code = await cli(
        "broadcast",
        "schedule",
        "--text",
        "<b>Closed</b> on 1 December",
        "--audience",
        "language:ms",
        "--button",
        "Book | https://nextmed.example/book",
        "--at",
        "tomorrow 9am",
    )
    assert code == 0, cli.err.getvalue()
    assert cli.out.getvalue().startswith("broadcast #1 scheduled for ")
    assert "(Asia/Kuala_Lumpur) to language:ms (0 subscribers now)" in cli.out.getvalue()
    [stored] = await _stored(cli)
    assert (stored.status, stored.audience, stored.audience_value) == (
        "scheduled",
        "language",
        "ms",
    )
    assert (stored.button_text, stored.button_url, stored.created_by) == (
        "Book",
        "https://nextmed.example/book",
        0,
    )

    assert await cli("broadcast", "list") == 0
    table = cli.out.getvalue().splitlines()
    assert table[0].split()[:3] == ["ID", "STATUS", "WHEN"]
    assert table[1].split()[:2] == ["1", "scheduled"]
    assert table[1].rstrip().endswith("Closed on 1 December")

    assert await cli("broadcast", "cancel", "1") == 0
    assert cli.out.getvalue() == "broadcast #1 cancelled; nothing of it was sent\n"
    assert await cli("broadcast", "cancel", "1") == 2
    assert "is cancelled, so it cannot be cancelled" in cli.err.getvalue()
    assert await cli("broadcast", "cancel", "7") == 2
    assert cli.err.getvalue() == "gutskin-bot: there is no broadcast #7\n"
    assert await _audit(cli) == [(0, "broadcast.create"), (0, "broadcast.cancel")]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--text", "a <b>b"], "not valid Telegram HTML"),
        (["--text", "x" * 4097], "the limit is 4096"),
        (["--text", "hi", "--audience", "language:fr"], "language 'fr' is not one of en, ms"),
        (["--text", "hi", "--audience", "everyone"], "unknown audience 'everyone'"),
        (["--text", "hi", "--button", "Book https://x.example"], "Label | https://link"),
        (["--text", "hi", "--button", "Book | ftp://x.example"], "must start with https://"),
        (["--text", "hi", "--photo", "not a photo"], "https:// link to an image"),
        (["--text", "hi", "--at", "someday"], "--at: cannot read 'someday'"),
        (["--text-file", "/nonexistent/announcement.html"], "--text-file: cannot read"),
    ],
)
async def test_bad_input_is_refused_and_nothing_is_stored(
    cli: Cli, argv: list[str], message: str
) -> None:
    assert await cli("broadcast", "schedule", *argv) == 2
    assert cli.err.getvalue().startswith("gutskin-bot: ")
    assert message in cli.err.getvalue()
    assert await _stored(cli) == []
    assert await _audit(cli) == []


async def test_follow_draws_progress_while_the_bot_sends(cli: Cli, tmp_path: Path) -> None:
    await _seed(cli, 25)
    text = tmp_path / "announcement.html"
    text.write_text("Open day <i>this</i> Saturday\n", encoding="utf-8")
    follow = asyncio.create_task(cli("broadcast", "schedule", "--text-file", str(text), "--follow"))
    sender = FakeSender()
    db = cli.settings.open_database()
    try:
        results: list[broadcasts.Progress] = []
        deadline = asyncio.get_running_loop().time() + 10
        while not results:
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.05)
            results = await broadcasts.run_due_broadcasts(
                db, sender, cli.clock, config=RunnerConfig(poll=0.02, retry_pause=0.0)
            )
    finally:
        await db.close()
    assert await asyncio.wait_for(follow, 10) == 0
    assert len(sender.sent) == 25 and sender.sent[0][2]["text"] == "Open day <i>this</i> Saturday"
    progress = cli.err.getvalue().splitlines()
    assert progress[-1].startswith("#1 [##############################] 100% 25/25 sent 25")
    assert (
        cli.out.getvalue().splitlines()[-1]
        == "broadcast #1 done: 25 sent, 0 blocked, 0 failed of 25"
    )


async def test_stats_prints_text_json_and_a_chart(cli: Cli, tmp_path: Path) -> None:
    await _seed(cli, 3)
    chart = tmp_path / "chart.png"
    assert await cli("stats", "--days", "7", "--chart", str(chart)) == 0
    text = cli.out.getvalue()
    assert "subscribers: 3 subscribed (3 active, 0 paused) of 3" in text
    assert "  in the period: 3 new, 0 lost" in text
    assert chart.read_bytes().startswith(b"\x89PNG")
    assert cli.err.getvalue() == f"chart written to {chart}\n"
    assert await cli("stats", "--json") == 0
    data = json.loads(cli.out.getvalue())
    assert data["subscribers"] == {"active": 3} and len(data["days"]) == 30
    assert data["days"][-1]["new"] == 3
    assert await cli("stats", "--days", "0") == 2


def test_the_parsers_carry_a_handler_for_bot_cli(tmp_path: Path) -> None:
    args = _parse("stats", "--days", "3")
    settings = load_settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    assert args.handler(settings, args) == 0
