"""The command line: what an operator sees, and the exit codes."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import SANDBOX_TOKEN
from bot.sandbox.server import Sandbox
from tests.conftest import SHIPPED_CONTENT_ENV, TIPS_DIR

pytestmark = pytest.mark.slow

# Subprocesses read only the variables given here; nothing from the developer's shell leaks in.
_PASSTHROUGH = ("PATH", "HOME", "LANG", "SYSTEMROOT")


def gutskin(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `gutskin-bot ARGS` in tmp_path with a clean environment."""
    base = {k: v for k, v in os.environ.items() if k in _PASSTHROUGH}
    base.update(SHIPPED_CONTENT_ENV)
    base.update({"TIPS_DIR": str(TIPS_DIR), "DATA_DIR": str(tmp_path / "data")})
    base.update(env)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_run_without_token_refuses_and_points_to_sandbox(tmp_path: Path) -> None:
    result = gutskin(tmp_path, "run")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "gutskin-bot: TELEGRAM_BOT_TOKEN is not set: get one from @BotFather, "
        "or try the bot without a token with `gutskin-bot sandbox`"
    ]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://root@localhost/x", "gutskin-bot: DATABASE_URL: driver 'mysql' is not supported"),
        (
            "postgresql+asyncpg://nobody@127.0.0.1:1/none",
            "gutskin-bot: DATABASE_URL: cannot open the database",
        ),
    ],
)
def test_bad_database_url_is_one_line(tmp_path: Path, url: str, expected: str) -> None:
    result = gutskin(tmp_path, "db", "upgrade", DATABASE_URL=url)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(expected), result.stderr


def test_bad_database_url_stops_run_before_telegram(tmp_path: Path) -> None:
    result = gutskin(
        tmp_path,
        "run",
        TELEGRAM_BOT_TOKEN="1:x",
        DATABASE_URL="postgresql+asyncpg://nobody@127.0.0.1:1/none",
    )
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("gutskin-bot: DATABASE_URL: cannot open the database")
    )
    assert "Traceback" not in result.stderr


def test_broken_yaml_is_one_line_naming_the_file(tmp_path: Path) -> None:
    tips = tmp_path / "tips"
    shutil.copytree(TIPS_DIR, tips)
    (tips / "faq.yaml").write_text("faq:\n  - id: a\n    topic: [\n")
    result = gutskin(tmp_path, "content", "check", TIPS_DIR=str(tips))
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"gutskin-bot: content error: {tips / 'faq.yaml'}: line ")


def test_an_urgent_word_read_as_two_words_is_a_content_error(tmp_path: Path) -> None:
    # "epi-pen" is read "epi pen": as one word of a phrase any "pen" would stand for it.
    tips = tmp_path / "tips"
    shutil.copytree(TIPS_DIR, tips)
    urgent = tips / "urgent.yaml"
    urgent.write_text(urgent.read_text().replace("anafilaksis|epipen", "anafilaksis|epi-pen", 1))
    result = gutskin(tmp_path, "content", "check", TIPS_DIR=str(tips))
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "'epi-pen' is read as several words (epi pen)" in line


def test_content_check_reports_counts(tmp_path: Path) -> None:
    result = gutskin(tmp_path, "content", "check")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("content OK: ")


def test_db_upgrade_creates_the_sqlite_file(tmp_path: Path) -> None:
    result = gutskin(tmp_path, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "gutskin.db").exists()
    current = gutskin(tmp_path, "db", "current")
    assert current.stdout.strip() == result.stdout.strip().rsplit(" ", 1)[-1]


async def _run_async(tmp_path: Path, *args: str, **env: str) -> tuple[int, str]:
    base = {k: v for k, v in os.environ.items() if k in _PASSTHROUGH}
    base.update(SHIPPED_CONTENT_ENV)
    base.update({"TIPS_DIR": str(TIPS_DIR), "DATA_DIR": str(tmp_path / "data")}, **env)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=tmp_path,
        env=base,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, stderr.decode()


async def test_rejected_token_is_one_line_and_never_printed(tmp_path: Path) -> None:
    sandbox = Sandbox(token=SANDBOX_TOKEN)
    await sandbox.start()
    try:
        secret = "123456:SECRET-never-print-me"
        code, stderr = await _run_async(
            tmp_path,
            "run",
            TELEGRAM_BOT_TOKEN=secret,
            TELEGRAM_API_BASE_URL=sandbox.base_url,
            LOG_LEVEL="DEBUG",
        )
    finally:
        await sandbox.stop()
    assert code == 2
    assert stderr.strip().splitlines()[-1] == (
        "gutskin-bot: TELEGRAM_BOT_TOKEN: the Bot API rejected this token"
    )
    assert "SECRET-never-print-me" not in stderr


async def test_unreachable_bot_api_is_one_line(tmp_path: Path) -> None:
    code, stderr = await _run_async(
        tmp_path, "run", TELEGRAM_BOT_TOKEN="1:x", TELEGRAM_API_BASE_URL="http://127.0.0.1:1/bot"
    )
    assert code == 2
    assert (
        stderr.strip()
        .splitlines()[-1]
        .startswith("gutskin-bot: cannot reach the Bot API at http://127.0.0.1:1/bot")
    )


def test_data_dir_that_is_a_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    result = gutskin(tmp_path, "db", "upgrade", DATA_DIR=str(tmp_path / "afile" / "sub"))
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("gutskin-bot: DATABASE_URL: cannot open the database")


def test_sandbox_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = gutskin(tmp_path, "sandbox", "--port", str(port))
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith(f"gutskin-bot: SANDBOX_PORT: cannot listen on 127.0.0.1:{port}")
    )


async def test_sandbox_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    base = {k: v for k, v in os.environ.items() if k in _PASSTHROUGH}
    base.update(SHIPPED_CONTENT_ENV)
    base.update({"TIPS_DIR": str(TIPS_DIR), "DATA_DIR": str(tmp_path / "data")})
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "sandbox",
        "--port",
        "0",
        cwd=tmp_path,
        env=base,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), timeout=30)
    # The terminal's own user, not the chat page's Aisyah (100001): they share the database.
    assert b"Chatting as Siti (id 100010)" in line
    process.send_signal(signal.SIGTERM)
    code = await asyncio.wait_for(process.wait(), timeout=10)
    assert code == 0
