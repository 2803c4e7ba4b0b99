"""Logs: text or JSON, the update and chat on each line, never a secret, never a question.

The end-to-end test runs the real `gutskin-bot run` at DEBUG against the sandbox (by polling
with text logs, by webhook with JSON logs): a daily tip is delivered, someone asks a question
while the questions table is gone (so the failed INSERT, carrying the question, is logged with
its traceback), and the whole output is scanned.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import logging
import os
import re
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import insert, text

from bot.db import migrate
from bot.db.engine import Database
from bot.db.models import Subscriber
from bot.runtime.logs import configure_logging, log_context
from bot.sandbox import users as sandbox_users
from bot.sandbox.client import SandboxClient
from bot.sandbox.server import Sandbox
from tests.conftest import ROOT, SHIPPED_CONTENT_ENV, TIPS_DIR
from tests.runtime.test_webhook import free_port

TOKEN = "7000000001:LOG-scan-TOKEN-must-never-appear"
SECRET = "webhook-SECRET-must-never-appear"
QUESTION = "Can I rub frindleberry vobbleton paste on my quokka elbows?"
READER, ASKER = 8_200_001, 8_200_002
_PASSTHROUGH = ("PATH", "HOME", "LANG", "SYSTEMROOT")
_TEXT_RECORD = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) ", re.M
)


@dataclass(frozen=True)
class Record:
    """One log record: its level and everything printed for it (traceback included)."""

    level: str
    text: str
    fields: dict[str, object]


def text_records(output: str) -> list[Record]:
    """Split text logs into records: each starts with a timestamp and a level."""
    starts = list(_TEXT_RECORD.finditer(output))
    assert starts, output[:2000]
    return [
        Record(m.group(1), output[m.start() : nxt.start() if nxt else len(output)], {})
        for m, nxt in zip(starts, [*starts[1:], None], strict=True)
    ]


def json_records(output: str) -> list[Record]:
    """Every line must be one JSON object."""
    records = []
    for line in output.splitlines():
        entry = json.loads(line)
        assert {"time", "level", "logger", "message"} <= set(entry), line
        records.append(Record(entry["level"], line, entry))
    return records


# -- the formatters, one record at a time --------------------------------------------------


def _log_through(fmt: str, level: int, emit: object) -> str:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure_logging("DEBUG", TOKEN, fmt=fmt, secrets=(SECRET,), stream=stream)
    try:
        assert callable(emit)
        emit(logging.getLogger("bot.test"), level)
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    return stream.getvalue()


def _failing_insert(log: logging.Logger, level: int) -> None:
    try:
        raise RuntimeError(
            f"(sqlite3.OperationalError) no such table: questions\n"
            f"[SQL: INSERT INTO questions (text) VALUES (?)]\n"
            f"[parameters: ('{QUESTION}',)]\n"
            f"(Background on this error at: https://sqlalche.me/e/20/e3q8)"
        )
    except RuntimeError:
        with log_context(update_id=41, chat_id=ASKER):
            log.log(level, "could not store with token %s and %s", TOKEN, SECRET, exc_info=True)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_secrets_and_statement_values_are_kept_out(fmt: str) -> None:
    out = _log_through(fmt, logging.ERROR, _failing_insert)
    assert TOKEN not in out and SECRET not in out
    assert "<token>" in out and "<secret>" in out
    assert QUESTION not in out and "[parameters hidden]" in out
    assert "INSERT INTO questions" in out  # what failed is still said
    if fmt == "json":
        entry = json.loads(out)
        assert (entry["level"], entry["update_id"], entry["chat_id"]) == ("ERROR", 41, ASKER)
        assert "no such table: questions" in entry["exception"]
    else:
        assert f" bot.test [update_id=41 chat_id={ASKER}]: could not store" in out


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_debug_keeps_statement_values_but_never_secrets(fmt: str) -> None:
    out = _log_through(fmt, logging.DEBUG, _failing_insert)
    assert QUESTION in out
    assert TOKEN not in out and SECRET not in out


def test_debug_leaves_the_telegram_library_at_info() -> None:
    """PTB logs whole updates (what patients wrote) and request parameters at DEBUG."""

    def emit(log: logging.Logger, level: int) -> None:
        logging.getLogger("telegram.ext.Application").debug("Processing update %s", QUESTION)
        logging.getLogger("telegram.ext.Application").info("Application started")
        log.debug("tick: 0 due")

    out = _log_through("text", logging.DEBUG, emit)
    assert QUESTION not in out
    assert "Application started" in out and "tick: 0 due" in out


def test_lines_outside_an_update_carry_no_ids() -> None:
    out = _log_through("json", logging.INFO, lambda log, level: log.log(level, "tick"))
    assert set(json.loads(out)) == {"time", "level", "logger", "message"}


# -- the real command ----------------------------------------------------------------------


async def _seed(db_file: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{db_file}")
    try:
        await migrate.upgrade(db)
        now = dt.datetime.now(dt.UTC)
        async with db.session() as session, session.begin():
            await session.execute(
                insert(Subscriber),
                [
                    {
                        "chat_id": READER,
                        "user_id": READER,
                        "language": "en",
                        "timezone": "Asia/Kuala_Lumpur",
                        "send_time": dt.time(8, 0),
                        "status": "active",
                        "consented_at": now,
                        "next_due_at": now - dt.timedelta(seconds=5),
                        "created_at": now,
                        "updated_at": now,
                    }
                ],
            )
    finally:
        await db.close()


async def _drop_questions(db_file: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{db_file}")
    try:
        async with db.engine.begin() as conn:
            await conn.execute(text("DROP TABLE questions"))
    finally:
        await db.close()


async def _until(check: object, seconds: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    assert callable(check)
    while not check():
        assert loop.time() < deadline, f"not within {seconds} s: {what}"
        await asyncio.sleep(0.05)


@pytest.mark.slow
@pytest.mark.parametrize(("fmt", "mode"), [("text", "polling"), ("json", "webhook")])
async def test_a_real_run_logs_no_secret_and_no_question_at_info(
    tmp_path: Path, fmt: str, mode: str
) -> None:
    db_file = tmp_path / "data" / "gutskin.db"
    db_file.parent.mkdir()
    await _seed(db_file)
    sandbox = Sandbox(token=TOKEN, rate_limit_per_second=None)
    await sandbox.start()
    for uid, name in ((READER, "Reader"), (ASKER, "Asker")):
        sandbox_users.add_user(sandbox.world, uid, name, language_code="en")
    env = {k: v for k, v in os.environ.items() if k in _PASSTHROUGH}
    env.update(SHIPPED_CONTENT_ENV)
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=sandbox.base_url,
        TIPS_DIR=str(TIPS_DIR),
        DATA_DIR=str(db_file.parent),
        LOG_LEVEL="DEBUG",
        LOG_FORMAT=fmt,
        DELIVERY_TICK_SECONDS="0.3",
        PYTHONPATH=str(ROOT),
    )
    args = ["run"]
    if mode == "webhook":
        port = free_port()
        args.append("--webhook")
        env.update(
            WEBHOOK_URL=f"http://127.0.0.1:{port}/hook",
            WEBHOOK_SECRET=SECRET,
            WEBHOOK_PORT=str(port),
        )
    log_file = tmp_path / "bot.log"
    with log_file.open("w") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", *args, cwd=tmp_path, env=env, stderr=sink
        )
    try:
        async with SandboxClient(sandbox.control_url) as client:
            tip = await client.wait_for_bot_message(READER, timeout=30)  # the daily tip
            assert "fb:" in json.dumps(tip["reply_markup"])
            sent = await client.send_text(ASKER, "/start")
            await client.wait_for_bot_message(ASKER, after_message_id=sent["message_id"])
            await _drop_questions(db_file)
            sent = await client.send_text(ASKER, QUESTION)
            await client.wait_for_bot_message(ASKER, after_message_id=sent["message_id"])
        await _until(lambda: "could not record a question" in log_file.read_text(), 10, "the error")
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 15) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await sandbox.stop()

    output = log_file.read_text()
    records = json_records(output) if fmt == "json" else text_records(output)
    assert TOKEN not in output and TOKEN.split(":")[1] not in output
    assert SECRET not in output
    # Not even at DEBUG: the Telegram library, which logs each update and each request's
    # parameters at DEBUG, stays at INFO; the bot's own DEBUG lines name ids, not words.
    assert any(r.level == "DEBUG" for r in records)  # DEBUG was on
    leaking = [r.text for r in records if QUESTION in r.text]
    assert leaking == []
    (error,) = [r for r in records if "could not record a question" in r.text]
    assert error.level == "ERROR"
    assert "[parameters hidden]" in error.text and "no such table: questions" in error.text
    if fmt == "json":
        assert error.fields["chat_id"] == ASKER and isinstance(error.fields["update_id"], int)
    else:
        assert re.search(rf"\[update_id=\d+ chat_id={ASKER}\]: could not record", error.text)
    assert any(r.level == "INFO" and "tick: 1 due" in r.text for r in records)
    if mode == "webhook":
        assert any("webhook registered" in r.text for r in records)
