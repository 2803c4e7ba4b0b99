"""The command line: what an operator sees, and the exit codes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TIPS_DIR

# Subprocesses read only the variables given here; nothing from the developer's shell leaks in.
_PASSTHROUGH = ("PATH", "HOME", "LANG", "SYSTEMROOT")


def gutskin(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `gutskin-bot ARGS` in tmp_path with a clean environment."""
    base = {k: v for k, v in os.environ.items() if k in _PASSTHROUGH}
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
